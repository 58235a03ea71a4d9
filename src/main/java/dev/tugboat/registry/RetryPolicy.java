package dev.tugboat.registry;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Bounded retries with jittered exponential backoff. A 429's {@code Retry-After} is honoured up to
 * {@code maxDelay}; transient failures (502/503/504, connection errors) are retried only for idempotent calls.
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay) {
  public static final RetryPolicy DEFAULT = new RetryPolicy(4, Duration.ofMillis(200), Duration.ofSeconds(30));

  /** Jittered exponential backoff; at least 1 ms (Vert.x refuses a timer of 0 ms). */
  long backoffMillis(int attempt) {
    long exponential = baseDelay.toMillis() << Math.min(attempt - 1, 16);
    long capped = Math.min(exponential, maxDelay.toMillis());
    return Math.max(1, capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
  }

  /**
   * {@code Retry-After} in seconds (the HTTP-date form falls back to backoff); capped at maxDelay, at least 1 ms
   * ({@code Retry-After: 0} with no jitter was a timer of 0 ms, which Vert.x refuses: the call failed instead).
   */
  long retryAfterMillis(String header, int attempt) {
    if (header != null) {
      try {
        long millis = Long.parseLong(header.trim()) * 1000;
        return Math.min(Math.max(millis, 0), maxDelay.toMillis()) + 1 + ThreadLocalRandom.current().nextLong(50);
      } catch (NumberFormatException ignored) {
        // an HTTP-date: backoff is close enough
      }
    }
    return backoffMillis(attempt);
  }

  static boolean transientStatus(int status) {
    return status == 502 || status == 503 || status == 504;
  }
}
