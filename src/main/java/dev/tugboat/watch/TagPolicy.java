package dev.tugboat.watch;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which tags of a repository are candidates and which one is the newest. Written as a spec string:
 * <ul>
 *   <li>{@code release} (default): registrywatcher's rule, exactly {@code vX.Y.Z} with 1–3 digits each,
 *       numeric order;</li>
 *   <li>{@code semver:<range>}: semantic versions with or without {@code v} inside the range (pre-releases
 *       only where the range names one); {@code semver-pre:<range>} takes every pre-release too;</li>
 *   <li>{@code numeric:<regex>} / {@code alphabetical:<regex>}: tags matching the regex, ordered by their
 *       numbers (the capture groups if any, else every digit run) or as text. The regex is RE2 syntax, matched
 *       by RE2/J in time linear in the tag's length whatever the pattern (a policy is user input, and matching
 *       runs on an event loop); what RE2 cannot do in linear time (backreferences, lookaround) is refused.</li>
 * </ul>
 * SHA-like tags are never candidates.
 */
public sealed interface TagPolicy {

  /** Whether the tag is a candidate. */
  boolean matches(String tag);

  /** Orders candidates, oldest first. */
  Comparator<String> order();

  /** The spec this policy was parsed from (stored and shown as is). */
  String spec();

  default Optional<String> newest(Collection<String> tags) {
    return tags.stream().filter(t -> !Tags.isShaLike(t) && matches(t)).max(order());
  }

  static TagPolicy parse(String spec) {
    String s = spec == null ? "" : spec.trim();
    if (s.isEmpty() || s.equals("release")) {
      return new Release();
    }
    int colon = s.indexOf(':');
    String kind = colon < 0 ? s : s.substring(0, colon);
    String arg = colon < 0 ? "" : s.substring(colon + 1).trim();
    return switch (kind) {
      case "semver", "semver-pre" -> new SemverRange(Semver.Range.parse(arg.isEmpty() ? "*" : arg),
          kind.equals("semver-pre"), s);
      case "numeric", "alphabetical" -> {
        if (arg.isEmpty()) {
          throw new IllegalArgumentException(kind + ": needs a regular expression, e.g. " + kind + ":^build-(\\d+)$");
        }
        try {
          yield new Filtered(com.google.re2j.Pattern.compile(arg), kind.equals("numeric"), s);
        } catch (com.google.re2j.PatternSyntaxException e) {
          throw new IllegalArgumentException("invalid regular expression '" + arg + "': " + e.getDescription()
              + (e.getPattern() == null || e.getPattern().isEmpty() ? "" : " (" + e.getPattern() + ")")
              + "; policies use RE2 syntax, matched in linear time: no backreferences such as \\1, no lookaround");
        }
      }
      default -> throw new IllegalArgumentException("unknown tag policy '" + s
          + "' (expected release, semver:<range>, semver-pre:<range>, numeric:<regex> or alphabetical:<regex>)");
    };
  }

  /** registrywatcher's release tags: {@code ^v\d{1,3}\.\d{1,3}\.\d{1,3}$}, ordered as major*1e6+minor*1e3+patch. */
  record Release() implements TagPolicy {
    private static final Pattern RELEASE = Pattern.compile("^v(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$");

    @Override
    public boolean matches(String tag) {
      return RELEASE.matcher(tag).matches();
    }

    @Override
    public Comparator<String> order() {
      return Comparator.comparingLong(Release::weight);
    }

    static long weight(String tag) {
      Matcher m = RELEASE.matcher(tag);
      return m.matches() ? Long.parseLong(m.group(1)) * 1_000_000 + Long.parseLong(m.group(2)) * 1_000
          + Long.parseLong(m.group(3)) : -1;
    }

    @Override
    public String spec() {
      return "release";
    }
  }

  record SemverRange(Semver.Range range, boolean prereleases, String spec) implements TagPolicy {
    @Override
    public boolean matches(String tag) {
      Semver v = Semver.parse(tag);
      return v != null && range.contains(v, prereleases);
    }

    /** By version; {@code v1.2.3} and {@code 1.2.3} tie, broken by text so the choice is stable. */
    @Override
    public Comparator<String> order() {
      return Comparator.comparing((String t) -> Semver.parse(t)).thenComparing(Comparator.reverseOrder());
    }
  }

  record Filtered(com.google.re2j.Pattern pattern, boolean numeric, String spec) implements TagPolicy {
    private static final Pattern DIGITS = Pattern.compile("\\d+");

    @Override
    public boolean matches(String tag) {
      return pattern.matcher(tag).find();
    }

    @Override
    public Comparator<String> order() {
      return numeric ? Comparator.comparing(this::numbers, Filtered::compareNumbers).thenComparing(Comparator.naturalOrder())
          : Comparator.naturalOrder();
    }

    /** The capture groups' numbers when the regex has groups, else every digit run of the tag. */
    List<BigInteger> numbers(String tag) {
      List<BigInteger> out = new ArrayList<>();
      com.google.re2j.Matcher m = pattern.matcher(tag);
      if (m.find() && m.groupCount() > 0) {
        for (int g = 1; g <= m.groupCount(); g++) {
          String group = m.group(g);
          Matcher d = DIGITS.matcher(group == null ? "" : group);
          out.add(d.find() ? new BigInteger(d.group()) : BigInteger.ZERO);
        }
        return out;
      }
      Matcher d = DIGITS.matcher(tag);
      while (d.find()) {
        out.add(new BigInteger(d.group()));
      }
      return out;
    }

    private static int compareNumbers(List<BigInteger> a, List<BigInteger> b) {
      for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
        int c = a.get(i).compareTo(b.get(i));
        if (c != 0) {
          return c;
        }
      }
      return Integer.compare(a.size(), b.size());
    }
  }
}
