package dev.tugboat.inventory;

import java.math.BigInteger;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The version class ("distinction") of an image tag, as computed by imagespy's version parsers.
 *
 * <p>Parsers are tried in this order and the first match wins:
 *
 * <table>
 *   <caption>Version classes</caption>
 *   <tr><th>Kind</th><th>Pattern</th><th>Distinction</th><th>Weight</th></tr>
 *   <tr><td>MAJOR</td><td>{@code ^v?(\d+)(-.*)?$}</td><td>{@code major<suffix>}</td><td>80</td></tr>
 *   <tr><td>MAJOR_MINOR</td><td>{@code ^v?(\d+)\.(\d+)(-.*)?$}</td><td>{@code majorMinor<suffix>}</td><td>90</td></tr>
 *   <tr><td>MAJOR_MINOR_PATCH</td><td>{@code ^v?(\d+)\.(\d+)\.(\d+)(-.*)?$}</td>
 *       <td>{@code majorMinorPatch<suffix>}</td><td>100</td></tr>
 *   <tr><td>NAME_DATE</td><td>{@code ^(\w*)-(\d{8})$}</td><td>{@code nameDate-<name>}</td><td>70</td></tr>
 *   <tr><td>STATIC</td><td>{@code latest|mainline|master|stable}</td><td>{@code static-<tag>}</td><td>60</td></tr>
 *   <tr><td>UNKNOWN</td><td>anything else</td><td>{@code unknown-<tag>}</td><td>10</td></tr>
 * </table>
 *
 * <p>{@code <suffix>} is the build suffix including its leading dash ({@code 1.12-alpine} is
 * {@code majorMinor-alpine}). Tags are only compared within the same distinction. Numbers are held as
 * {@link BigInteger}, so arbitrarily long digit runs never overflow.
 *
 * @param tag the raw tag
 * @param distinction the version class name
 * @param weight the parser weight (100, 90, 80, 70, 60 or 10)
 * @param numbers the numeric components used for comparison (major[, minor[, patch]] or the date);
 *     empty for static and unknown tags
 */
public record VersionClass(String tag, String distinction, int weight, List<BigInteger> numbers) {

  /** The parser that produced a version class. */
  public enum Kind {
    MAJOR("major", 80),
    MAJOR_MINOR("majorMinor", 90),
    MAJOR_MINOR_PATCH("majorMinorPatch", 100),
    NAME_DATE("nameDate-", 70),
    STATIC("static-", 60),
    UNKNOWN("unknown-", 10);

    private final String prefix;
    private final int weight;

    Kind(String prefix, int weight) {
      this.prefix = prefix;
      this.weight = weight;
    }

    /** Distinction prefix of this kind ({@code major}, {@code nameDate-}, ...). */
    public String prefix() {
      return prefix;
    }

    /** Weight of this kind. */
    public int weight() {
      return weight;
    }

    static Kind forWeight(int weight) {
      for (Kind k : values()) {
        if (k.weight == weight) {
          return k;
        }
      }
      return UNKNOWN;
    }
  }

  public static final int WEIGHT_MAJOR = 80;
  public static final int WEIGHT_MAJOR_MINOR = 90;
  public static final int WEIGHT_MAJOR_MINOR_PATCH = 100;
  public static final int WEIGHT_NAME_DATE = 70;
  public static final int WEIGHT_STATIC = 60;
  public static final int WEIGHT_UNKNOWN = 10;

  // Go's regexp: '$' is end of text (no trailing-newline allowance) and '.' excludes only '\n'.
  // Matcher.matches() anchors both ends; [^\n] reproduces Go's '.'; \d and \w are ASCII in both.
  private static final Pattern MAJOR = Pattern.compile("v?(\\d+)(-[^\\n]*)?");
  private static final Pattern MAJOR_MINOR = Pattern.compile("v?(\\d+)\\.(\\d+)(-[^\\n]*)?");
  private static final Pattern MAJOR_MINOR_PATCH =
      Pattern.compile("v?(\\d+)\\.(\\d+)\\.(\\d+)(-[^\\n]*)?");
  private static final Pattern NAME_DATE = Pattern.compile("(\\w*)-(\\d{8})");
  private static final Set<String> STATIC_TAGS = Set.of("latest", "mainline", "master", "stable");

  public VersionClass {
    Objects.requireNonNull(tag, "tag");
    Objects.requireNonNull(distinction, "distinction");
    numbers = numbers == null ? List.of() : List.copyOf(numbers);
  }

  /** Classifies a tag; never throws for a non-null tag. */
  public static VersionClass of(String tag) {
    Objects.requireNonNull(tag, "tag");
    Matcher m = MAJOR.matcher(tag);
    if (m.matches()) {
      return new VersionClass(tag, Kind.MAJOR.prefix() + suffix(m.group(2)), WEIGHT_MAJOR,
          List.of(num(m.group(1))));
    }
    m = MAJOR_MINOR.matcher(tag);
    if (m.matches()) {
      return new VersionClass(tag, Kind.MAJOR_MINOR.prefix() + suffix(m.group(3)), WEIGHT_MAJOR_MINOR,
          List.of(num(m.group(1)), num(m.group(2))));
    }
    m = MAJOR_MINOR_PATCH.matcher(tag);
    if (m.matches()) {
      return new VersionClass(tag, Kind.MAJOR_MINOR_PATCH.prefix() + suffix(m.group(4)),
          WEIGHT_MAJOR_MINOR_PATCH, List.of(num(m.group(1)), num(m.group(2)), num(m.group(3))));
    }
    m = NAME_DATE.matcher(tag);
    if (m.matches()) {
      return new VersionClass(tag, Kind.NAME_DATE.prefix() + m.group(1), WEIGHT_NAME_DATE,
          List.of(num(m.group(2))));
    }
    if (STATIC_TAGS.contains(tag)) {
      return new VersionClass(tag, Kind.STATIC.prefix() + tag, WEIGHT_STATIC, List.of());
    }
    return new VersionClass(tag, Kind.UNKNOWN.prefix() + tag, WEIGHT_UNKNOWN, List.of());
  }

  /** Convenience: the distinction of a tag. */
  public static String distinctionOf(String tag) {
    return of(tag).distinction();
  }

  /** The parser kind, derived from the weight. */
  public Kind kind() {
    return Kind.forWeight(weight);
  }

  /**
   * True when this tag is strictly greater than {@code other}. Always false for a different
   * distinction, and for static and unknown tags.
   */
  public boolean isGreaterThan(VersionClass other) {
    if (other == null || !distinction.equals(other.distinction) || weight != other.weight) {
      return false;
    }
    Kind kind = kind();
    if (kind == Kind.STATIC || kind == Kind.UNKNOWN) {
      return false;
    }
    int n = Math.min(numbers.size(), other.numbers.size());
    for (int i = 0; i < n; i++) {
      int c = numbers.get(i).compareTo(other.numbers.get(i));
      if (c != 0) {
        return c > 0;
      }
    }
    return false;
  }

  /**
   * The greatest tag of {@code distinction} among {@code tags}; on ties the first one seen wins.
   * Null tags are ignored.
   */
  public static Optional<String> latest(Collection<String> tags, String distinction) {
    if (tags == null || distinction == null) {
      return Optional.empty();
    }
    VersionClass best = null;
    for (String tag : tags) {
      if (tag == null) {
        continue;
      }
      VersionClass vc = of(tag);
      if (!vc.distinction.equals(distinction)) {
        continue;
      }
      if (best == null || vc.isGreaterThan(best)) {
        best = vc;
      }
    }
    return best == null ? Optional.empty() : Optional.of(best.tag);
  }

  private static String suffix(String group) {
    return group == null ? "" : group;
  }

  private static BigInteger num(String digits) {
    return new BigInteger(digits);
  }
}
