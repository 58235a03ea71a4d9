package dev.tugboat.api;

/**
 * The one rule for text Tugboat accepts from outside (bodies, paths, queries): no NUL (PostgreSQL cannot
 * store it), no other control character but tab, newline and carriage return, no unpaired UTF-16 surrogate
 * (it has no UTF-8 form), and at most {@code maxLength} characters counted as both databases count a
 * VARCHAR: in code points.
 */
public final class Text {
  private Text() {}

  /** Why {@code value} is refused, or null when it is acceptable. */
  public static String problem(String value, int maxLength) {
    int count = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1))) {
          return "holds an unpaired UTF-16 surrogate (not valid UTF-8)";
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return "holds an unpaired UTF-16 surrogate (not valid UTF-8)";
      } else if (c == 0) {
        return "holds a NUL character";
      } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f) {
        return "holds a control character";
      }
      if (++count > maxLength) {
        return "is longer than " + maxLength + " characters";
      }
    }
    return null;
  }

  /** {@code value} when acceptable; otherwise a 400 naming {@code field}. */
  public static String require(String field, String value, int maxLength) {
    String problem = problem(value, maxLength);
    if (problem != null) {
      throw ApiError.invalid(field, field + " " + problem);
    }
    return value;
  }
}
