package dev.tugboat.registry;

/** A registry's {@code ratelimit-limit} / {@code ratelimit-remaining} headers as last seen (Docker Hub sends them). */
public record RateLimit(String limit, String remaining, String source) {

  /** The leading number of {@code 100;w=21600}, or -1. */
  public long remainingCount() {
    try {
      return remaining == null ? -1 : Long.parseLong(remaining.split(";")[0].trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
