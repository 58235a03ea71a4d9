package dev.tugboat.bus;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WakeUpsTest {

  @Test
  @DisplayName("a drain that throws synchronously is a failed run: reported, and the next wake-up runs again")
  void throwingDrainDoesNotStickRunning() {
    AtomicInteger calls = new AtomicInteger();
    List<Throwable> failures = new ArrayList<>();
    WakeUps wakeUps = new WakeUps(() -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalArgumentException("The URI contain illegal characters");
      }
      return Future.succeededFuture();
    }, failures::add);

    wakeUps.wake();
    wakeUps.wake();
    assertThat(calls).hasValue(2);
    assertThat(failures).singleElement().satisfies(f -> assertThat(f).hasMessageContaining("illegal characters"));
  }

  @Test
  @DisplayName("wake-ups while a drain runs make exactly one more run; runs never overlap")
  void wakeDuringRunRunsOnceMore() {
    List<Promise<Void>> runs = new ArrayList<>();
    WakeUps wakeUps = new WakeUps(() -> {
      Promise<Void> run = Promise.promise();
      runs.add(run);
      return run.future();
    }, failure -> { });
    wakeUps.wake();
    wakeUps.wake();
    wakeUps.wake();
    assertThat(runs).hasSize(1);
    runs.get(0).complete();
    assertThat(runs).hasSize(2);
    runs.get(1).fail("boom");
    assertThat(runs).hasSize(2);
    wakeUps.wake();
    assertThat(runs).hasSize(3);
  }
}
