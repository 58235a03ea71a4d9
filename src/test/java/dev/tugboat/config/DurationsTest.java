package dev.tugboat.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
  @ParameterizedTest
  @CsvSource({"500ms,500", "30s,30000", "5m,300000", "1h,3600000", "1d,86400000", "0s,0", "' 10 s ',10000",
      "1000ms,1000", "90m,5400000"})
  void parsesUnits(String text, long millis) {
    assertThat(Durations.parse("k", text)).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void numbersAreMillis() {
    assertThat(Durations.parse("k", 1500)).isEqualTo(Duration.ofMillis(1500));
    assertThat(Durations.parse("k", 2L)).isEqualTo(Duration.ofMillis(2));
    assertThat(Durations.parse("k", 0)).isEqualTo(Duration.ZERO);
    assertThat(Durations.parse("k", "1000")).isEqualTo(Duration.ofMillis(1000)); // from the environment or --set
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "abc", "1.5s", "-5s", "5S", "5 minutes", "s", "5ms5"})
  void badInputNamesTheKey(String text) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> Durations.parse("auth.reloadInterval", text));
    assertThat(e).isNotNull();
    assertThat(e.key()).isEqualTo("auth.reloadInterval");
    assertThat(e.getMessage()).startsWith("auth.reloadInterval").contains("'" + text + "'");
  }

  @Test
  void nullIsRejected() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> Durations.parse("http.shutdownTimeout", null));
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).startsWith("http.shutdownTimeout");
  }
}
