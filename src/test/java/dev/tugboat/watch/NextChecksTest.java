package dev.tugboat.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The watcher wakes itself when its checks come due again: not before, once per second of due times. */
class NextChecksTest {
  final Vertx vertx = Vertx.vertx();
  final Context context = vertx.getOrCreateContext(); // NextChecks lives on one context, as on a verticle's
  final List<Long> wakes = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  NextChecks nextChecks() {
    return new NextChecks(vertx, () -> wakes.add(System.nanoTime())); // used on `context` only
  }

  @Test
  @DisplayName("a burst of checks recorded at once wakes the watcher once, not before their interval passed")
  void burstWakesOnceWhenDue() {
    NextChecks next = nextChecks();
    long start = System.nanoTime();
    context.runOnContext(v -> {
      for (int i = 0; i < 200; i++) {
        next.after(Duration.ofMillis(1200));
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> !wakes.isEmpty());
    assertThat(Duration.ofNanos(wakes.get(0) - start)).isGreaterThanOrEqualTo(Duration.ofMillis(1200));
    // due times fall into at most two whole seconds
    await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(5)).until(() -> wakes.size() <= 2);
  }

  @Test
  @DisplayName("an earlier due time moves the wake-up forward; later ones follow in order; close cancels")
  void earliestFirstAndClose() {
    NextChecks next = nextChecks();
    context.runOnContext(v -> {
      next.after(Duration.ofSeconds(3));
      next.after(Duration.ofMillis(500));
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> wakes.size() == 2);
    NextChecks closed = nextChecks();
    int before = wakes.size();
    context.runOnContext(v -> {
      closed.after(Duration.ofMillis(500));
      closed.close();
    });
    await().during(Duration.ofMillis(2000)).atMost(Duration.ofSeconds(4)).until(() -> wakes.size() == before);
  }
}
