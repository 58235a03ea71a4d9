package dev.tugboat.registry;

/** A repository on a registry host: {@code registry} is {@code host[:port]} as written in references. */
public record Repository(String registry, String name) {

  public static Repository of(ImageReference reference) {
    return new Repository(reference.registry(), reference.repository());
  }

  /** Parses {@code host/name} (docker.io normalisation applies; a tag or digest is refused). */
  public static Repository parse(String text) {
    ImageReference ref = ImageReference.parse(text);
    if (ref.tag() != null || ref.digest() != null) {
      throw new InvalidReferenceException("'" + text + "' names an image, not a repository");
    }
    return of(ref);
  }

  /** {@code name} on the registry {@code host} (which may carry a path prefix); see {@link ImageReference#onRegistry}. */
  public static Repository on(String host, String name) {
    return of(ImageReference.onRegistry(host, name));
  }

  @Override
  public String toString() {
    return registry + "/" + name;
  }
}
