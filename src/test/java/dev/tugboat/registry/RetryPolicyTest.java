package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  @Test
  @DisplayName("every delay is a timer Vert.x accepts (>= 1 ms): Retry-After: 0 and a zero base delay included")
  void neverZero() {
    RetryPolicy zero = new RetryPolicy(4, Duration.ZERO, Duration.ZERO);
    for (int i = 0; i < 1000; i++) {
      assertThat(RetryPolicy.DEFAULT.retryAfterMillis("0", 1)).isBetween(1L, 51L);
      assertThat(zero.backoffMillis(1 + i % 4)).isGreaterThanOrEqualTo(1L);
    }
    assertThat(RetryPolicy.DEFAULT.retryAfterMillis("2", 1)).isBetween(2001L, 2051L);
  }
}
