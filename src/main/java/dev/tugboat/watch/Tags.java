package dev.tugboat.watch;

import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/** Tag helpers shared by the policies and the routes. */
public final class Tags {
  /** registrywatcher hides tags holding a 40-hex commit SHA anywhere: CI build tags, not releases. */
  private static final Pattern SHA = Pattern.compile("[0-9a-fA-F]{40}");

  private Tags() {}

  public static boolean isShaLike(String tag) {
    return SHA.matcher(tag).find();
  }

  /** The tags a user picks from: SHA-like tags removed, sorted as registrywatcher's lists. */
  public static List<String> visible(Collection<String> tags) {
    return tags.stream().filter(t -> !isShaLike(t)).sorted().toList();
  }
}
