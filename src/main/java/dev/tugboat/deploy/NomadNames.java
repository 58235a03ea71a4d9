package dev.tugboat.deploy;

import java.util.regex.Pattern;

/** Nomad namespace and region names as Tugboat sends them in {@code ?namespace=} / {@code ?region=}. */
public final class NomadNames {
  public static final int MAX = 128;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]*");

  private NomadNames() {}

  /** Why {@code value} is not a Nomad name (empty is: Nomad's default), or null. */
  public static String problem(String value) {
    return value.length() <= MAX && NAME.matcher(value).matches() ? null
        : "expected a Nomad name (at most " + MAX + " letters, digits, '-', '_', '.')";
  }
}
