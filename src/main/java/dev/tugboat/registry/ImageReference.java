package dev.tugboat.registry;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An image reference {@code [registry/]repository[:tag][@digest]}, normalised the way docker does:
 * {@code golang} → {@code docker.io/library/golang}; {@code index.docker.io} is accepted as docker.io.
 * {@code tag} and {@code digest} are null when absent (callers decide whether {@code latest} is implied).
 */
public record ImageReference(String registry, String repository, String tag, String digest) {
  public static final String DOCKER_HUB = "docker.io";
  private static final String DOCKER_HUB_API = "registry-1.docker.io";

  private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}");
  private static final Pattern HOST = Pattern.compile(
      "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:]+\\])(?::[0-9]{1,5})?");

  public static ImageReference parse(String text) {
    if (text == null || text.isBlank()) {
      throw new InvalidReferenceException("image reference is empty");
    }
    if (text.length() > 4096) {
      throw new InvalidReferenceException("image reference is longer than 4096 characters");
    }
    String rest = text.trim();
    String digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = rest.substring(at + 1);
      rest = rest.substring(0, at);
      requireDigest(digest);
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      requireTag(tag);
    }
    String registry = DOCKER_HUB;
    int slash = rest.indexOf('/');
    if (slash > 0) {
      String first = rest.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost") || !first.equals(first.toLowerCase(Locale.ROOT))) {
        if (!HOST.matcher(first).matches() || port(first) > 65535) {
          throw new InvalidReferenceException("invalid registry host '" + first + "' in '" + text + "'");
        }
        registry = first.equals("index.docker.io") || first.equals(DOCKER_HUB_API) ? DOCKER_HUB : first;
        rest = rest.substring(slash + 1);
      }
    }
    if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
      rest = "library/" + rest;
    }
    requireRepository(rest, text);
    return new ImageReference(registry, rest, tag, digest);
  }

  /**
   * A repository on an explicitly named registry, as watch configurations give it: {@code registry} may carry a
   * path prefix (registrywatcher's {@code domain/prefix}) and may be a single-label host, which {@link #parse}
   * would read as a Docker Hub namespace. Docker Hub names are normalised as in {@link #parse}.
   */
  public static ImageReference onRegistry(String registry, String repository) {
    if (registry == null || registry.isBlank()) {
      throw new InvalidReferenceException("registry host is empty");
    }
    String host = registry.trim();
    String path = repository == null ? "" : repository.trim();
    int slash = host.indexOf('/');
    if (slash >= 0) {
      path = host.substring(slash + 1) + "/" + path;
      host = host.substring(0, slash);
    }
    if (!HOST.matcher(host).matches() || port(host) > 65535) {
      throw new InvalidReferenceException("invalid registry host '" + host + "'");
    }
    if (host.equals("index.docker.io") || host.equals(DOCKER_HUB_API)) {
      host = DOCKER_HUB;
    }
    if (host.equals(DOCKER_HUB) && !path.contains("/")) {
      path = "library/" + path;
    }
    requireRepository(path, registry + "/" + repository);
    return new ImageReference(host, path, null, null);
  }

  private static int port(String host) {
    int colon = host.lastIndexOf(':');
    return colon < 0 || host.endsWith("]") ? 0 : Integer.parseInt(host.substring(colon + 1));
  }

  public static void requireTag(String tag) {
    if (tag == null || !TAG.matcher(tag).matches()) {
      throw new InvalidReferenceException("invalid tag '" + tag
          + "': up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
    }
  }

  public static boolean isValidTag(String tag) {
    return tag != null && TAG.matcher(tag).matches();
  }

  public static void requireDigest(String digest) {
    if (digest == null || !DIGEST.matcher(digest).matches()) {
      throw new InvalidReferenceException("invalid digest '" + digest + "': expected sha256:<64 hex> or sha512:<128 hex>");
    }
  }

  public static boolean isValidDigest(String digest) {
    return digest != null && DIGEST.matcher(digest).matches();
  }

  /** Whether {@code repository} (without registry, tag or digest) is a valid repository name. */
  public static boolean isValidRepository(String repository) {
    return repository != null && !repository.isEmpty() && repository.length() <= 255
        && java.util.Arrays.stream(repository.split("/", -1)).allMatch(c -> COMPONENT.matcher(c).matches());
  }

  private static void requireRepository(String repository, String text) {
    if (repository.isEmpty() || repository.length() > 255) {
      throw new InvalidReferenceException("invalid repository in '" + text + "': empty or longer than 255 characters");
    }
    for (String component : repository.split("/", -1)) {
      if (!COMPONENT.matcher(component).matches()) {
        throw new InvalidReferenceException("invalid repository '" + repository + "' in '" + text
            + "': components are lowercase letters and digits separated by '.', '_', '__' or '-'");
      }
    }
  }

  /** {@code registry/repository}, e.g. {@code docker.io/library/nginx}. */
  public String name() {
    return registry + "/" + repository;
  }

  /** The host to call for the registry API ({@code registry-1.docker.io} for Docker Hub). */
  public String apiHost() {
    return registry.equals(DOCKER_HUB) ? DOCKER_HUB_API : registry;
  }

  public ImageReference withTag(String newTag) {
    return new ImageReference(registry, repository, newTag, digest);
  }

  @Override
  public String toString() {
    return name() + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
  }
}
