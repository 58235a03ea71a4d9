package dev.tugboat.db;

import java.time.Duration;

/**
 * When a failed work row (DESIGN rule 1) is tried again: {@code first} after the first failure, doubling per
 * failure, at most {@code max}. The delay is written into the row, so every node agrees on it.
 */
public record Backoff(Duration first, Duration max) {

  /** The wait after the {@code failures}-th failure in a row (1 = the first). */
  public Duration after(int failures) {
    Duration d = first.multipliedBy(1L << Math.min(Math.max(failures - 1, 0), 20));
    return d.compareTo(max) > 0 ? max : d;
  }

  /** A random wait from half of {@link #after} to all of it, for retries that must not collide again. */
  public Duration jittered(int failures) {
    long full = Math.max(after(failures).toNanos(), 2);
    return Duration.ofNanos(full / 2 + java.util.concurrent.ThreadLocalRandom.current().nextLong(full / 2 + 1));
  }
}
