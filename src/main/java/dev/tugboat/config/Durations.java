package dev.tugboat.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as written in the configuration: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 1d}. */
public final class Durations {
  private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

  private Durations() {}

  public static Duration parse(String key, Object value) {
    if (value instanceof Number n) {
      return Duration.ofMillis(n.longValue());
    }
    Matcher m = FORM.matcher(String.valueOf(value).trim());
    if (!m.matches()) {
      throw new ConfigException(key, "expected a duration such as 500ms, 30s, 5m or 1h, got '" + value + "'");
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2) == null ? "ms" : m.group(2)) { // a bare number is milliseconds, as in YAML
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      default -> Duration.ofDays(amount);
    };
  }

  /** As the configuration writes it: the largest unit that is exact ({@code 10m}, {@code 90s}, {@code 1500ms}). */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms == 0 || ms % 1000 != 0) {
      return ms + "ms";
    }
    long s = ms / 1000;
    return s % 86_400 == 0 ? s / 86_400 + "d" : s % 3600 == 0 ? s / 3600 + "h" : s % 60 == 0 ? s / 60 + "m" : s + "s";
  }
}
