package dev.tugboat.watch;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A semantic version (2.0.0), with or without a leading {@code v}; build metadata is ignored in ordering. */
public record Semver(int major, int minor, int patch, List<String> pre) implements Comparable<Semver> {
  private static final Pattern FORM = Pattern.compile(
      "v?(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})(?:-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?(?:\\+[0-9A-Za-z.-]+)?");

  /** The version a tag names, or null when it is not semver. */
  public static Semver parse(String tag) {
    Matcher m = FORM.matcher(tag);
    if (!m.matches()) {
      return null;
    }
    List<String> pre = m.group(4) == null ? List.of() : List.of(m.group(4).split("\\."));
    return new Semver(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), pre);
  }

  public boolean isPrerelease() {
    return !pre.isEmpty();
  }

  @Override
  public int compareTo(Semver o) {
    int c = Integer.compare(major, o.major);
    c = c != 0 ? c : Integer.compare(minor, o.minor);
    c = c != 0 ? c : Integer.compare(patch, o.patch);
    if (c != 0) {
      return c;
    }
    if (pre.isEmpty() || o.pre.isEmpty()) { // a release ranks above its pre-releases
      return Boolean.compare(pre.isEmpty(), o.pre.isEmpty());
    }
    for (int i = 0; i < Math.min(pre.size(), o.pre.size()); i++) {
      c = comparePart(pre.get(i), o.pre.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(pre.size(), o.pre.size());
  }

  private static int comparePart(String a, String b) {
    boolean na = a.chars().allMatch(Character::isDigit);
    boolean nb = b.chars().allMatch(Character::isDigit);
    if (na && nb) {
      return new java.math.BigInteger(a).compareTo(new java.math.BigInteger(b));
    }
    return na ? -1 : nb ? 1 : a.compareTo(b);
  }

  Semver withoutPre() {
    return new Semver(major, minor, patch, List.of());
  }

  /**
   * A range as npm/Masterminds write it: comparators ({@code >=1.2.0 <2}), carets ({@code ^1.2}), tildes
   * ({@code ~1.2.3}), partial and wildcard versions ({@code 1.x}, {@code *}), hyphen-free; {@code ||} for "or".
   */
  public record Range(List<List<Comparator>> alternatives) {
    public static Range parse(String text) {
      List<List<Comparator>> alternatives = new ArrayList<>();
      for (String alternative : text.trim().split("\\|\\|")) {
        List<Comparator> all = new ArrayList<>();
        for (String token : alternative.trim().replaceAll("(>=|<=|>|<|=|\\^|~)\\s+", "$1").split("[\\s,]+")) {
          if (!token.isEmpty()) {
            all.addAll(Comparator.parse(token));
          }
        }
        alternatives.add(all);
      }
      return new Range(List.copyOf(alternatives));
    }

    /**
     * Whether {@code v} is in the range. As in npm, a pre-release matches only when some comparator names a
     * pre-release of the same major.minor.patch, unless {@code includePre} (the policy opted in to them all).
     */
    public boolean contains(Semver v, boolean includePre) {
      for (List<Comparator> all : alternatives) {
        if (all.stream().allMatch(c -> c.test(v))
            && (!v.isPrerelease() || includePre || all.stream().anyMatch(c -> c.version().isPrerelease()
                && c.version().withoutPre().equals(v.withoutPre())))) {
          return true;
        }
      }
      return false;
    }
  }

  /** One comparison against a version. */
  public record Comparator(String op, Semver version) {
    private static final Pattern PARTIAL = Pattern.compile(
        "(\\^|~|>=|<=|>|<|=)?v?(\\*|x|X|\\d+)(?:\\.(\\*|x|X|\\d+))?(?:\\.(\\*|x|X|\\d+))?(?:-([0-9A-Za-z.-]+))?");

    boolean test(Semver v) {
      int c = v.compareTo(version);
      return switch (op) {
        case ">=" -> c >= 0;
        case "<=" -> c <= 0;
        case ">" -> c > 0;
        case "<" -> c < 0;
        default -> c == 0;
      };
    }

    static List<Comparator> parse(String token) {
      Matcher m = PARTIAL.matcher(token);
      if (!m.matches()) {
        throw new IllegalArgumentException("'" + token + "' is not a version comparator");
      }
      String op = m.group(1) == null ? "" : m.group(1);
      Integer major = number(m.group(2));
      Integer minor = number(m.group(3));
      Integer patch = number(m.group(4));
      List<String> pre = m.group(5) == null ? List.of() : List.of(m.group(5).split("\\."));
      if (major == null) {
        return op.startsWith("<") || op.equals(">") ? List.of(new Comparator("<", new Semver(0, 0, 0, List.of("0"))))
            : List.of(); // * matches everything
      }
      Semver low = new Semver(major, minor == null ? 0 : minor, patch == null ? 0 : patch, pre);
      return switch (op) {
        case "^" -> List.of(ge(low), lt(major > 0 || minor == null ? bump(major + 1, 0, 0)
            : low.minor > 0 || patch == null ? bump(major, low.minor + 1, 0) : bump(major, 0, low.patch + 1)));
        case "~" -> List.of(ge(low), lt(minor == null ? bump(major + 1, 0, 0) : bump(major, minor + 1, 0)));
        case ">", "<=" -> minor == null || patch == null // >1 means >=2.0.0; <=1.2 means <1.3.0
            ? List.of(op.equals(">") ? ge(upper(major, minor)) : lt(upper(major, minor)))
            : List.of(new Comparator(op, low));
        case ">=", "<" -> List.of(new Comparator(op.equals(">=") ? ">=" : "<", low));
        default -> minor == null || patch == null ? List.of(ge(low), lt(upper(major, minor)))
            : List.of(new Comparator("=", low));
      };
    }

    private static Semver upper(int major, Integer minor) {
      return minor == null ? bump(major + 1, 0, 0) : bump(major, minor + 1, 0);
    }

    /** The lowest version of a line, pre-releases included ({@code <2.0.0} must exclude {@code 2.0.0-rc1}). */
    private static Semver bump(int major, int minor, int patch) {
      return new Semver(major, minor, patch, List.of("0"));
    }

    private static Comparator ge(Semver v) {
      return new Comparator(">=", v);
    }

    private static Comparator lt(Semver v) {
      return new Comparator("<", v);
    }

    private static Integer number(String part) {
      return part == null || part.equals("*") || part.equalsIgnoreCase("x") ? null : Integer.valueOf(part);
    }
  }
}
