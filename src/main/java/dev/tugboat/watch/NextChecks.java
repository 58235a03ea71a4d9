package dev.tugboat.watch;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.TreeSet;

/**
 * Wakes this node's watcher when checks it recorded come due again, so a repository is checked every
 * {@code pollInterval}, not every interval rounded up to the next sweep (with a 5 s sweep, a 60 s interval became
 * 65 s). Due times are rounded up to whole seconds: a burst of checks costs one wake-up a second, and there are at
 * most as many pending times as the interval has seconds. The sweep still covers checks other nodes recorded and a
 * node that died; the rows stay the truth (a wake-up only makes the watcher claim what is due). Used on the
 * verticle's context.
 */
final class NextChecks {
  private static final long GRAIN_MS = 1000;

  private final Vertx vertx;
  private final Runnable wake;
  private final TreeSet<Long> due = new TreeSet<>(); // System.nanoTime-based milliseconds, multiples of GRAIN_MS
  private long timer = -1;
  private long timerAt;

  NextChecks(Vertx vertx, Runnable wake) {
    this.vertx = vertx;
    this.wake = wake;
  }

  /** Checks recorded now come due after {@code interval}. */
  void after(Duration interval) {
    long at = now() + interval.toMillis();
    due.add((at + GRAIN_MS - 1) / GRAIN_MS * GRAIN_MS);
    arm();
  }

  void close() {
    if (timer != -1) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    due.clear();
  }

  private void arm() {
    if (due.isEmpty() || timer != -1 && timerAt <= due.first()) {
      return;
    }
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
    timerAt = due.first();
    timer = vertx.setTimer(Math.max(1, timerAt - now()), id -> {
      timer = -1;
      due.headSet(now(), true).clear();
      wake.run();
      arm();
    });
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }
}
