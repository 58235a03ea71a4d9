package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LimiterTest {
  @Test
  void atMostMaxInFlightAndWaitersServedInOrder() {
    Limiter limiter = new Limiter(2);
    Future<Void> a = limiter.acquire();
    Future<Void> b = limiter.acquire();
    List<Future<Void>> waiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      waiting.add(limiter.acquire());
    }
    assertThat(a.succeeded()).isTrue();
    assertThat(b.succeeded()).isTrue();
    assertThat(waiting).noneMatch(Future::isComplete);
    assertThat(limiter.inFlight()).isEqualTo(2);

    limiter.release();
    assertThat(waiting.get(0).succeeded()).isTrue();
    assertThat(waiting.get(1).isComplete()).isFalse();
    assertThat(limiter.inFlight()).isEqualTo(2);
    limiter.release();
    limiter.release();
    assertThat(waiting).allMatch(Future::succeeded);
    limiter.release();
    limiter.release();
    assertThat(limiter.inFlight()).isZero();
  }
}
