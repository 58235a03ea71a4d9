package dev.tugboat.allowlist;

import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.InvalidReferenceException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides whether images may run, from the allow-list entries of their repositories. An image named by
 * digest is allowed only when an entry of the same repository pins that digest (the tag next to a digest
 * is not what runs); otherwise its tag ({@code latest} when none) must be among an entry's tags.
 */
public final class AdmissionPolicy {
  private AdmissionPolicy() {}

  public record Decision(boolean allowed, List<String> refusals) {
    /** One line per refused image, as Kubernetes shows it to the user. */
    public String reason() {
      return String.join("; ", refusals);
    }
  }

  /** The decision for {@code images} from these entries alone. */
  public static Decision decide(Collection<String> images, Collection<AllowListEntry> entries) {
    return decide(images, AllowListIndex.of(entries));
  }

  public static Decision decide(Collection<String> images, AllowListIndex index) {
    List<String> refusals = new ArrayList<>(0);
    for (String image : images) {
      String refusal = refusal(image, index);
      if (refusal != null) {
        refusals.add(refusal);
      }
    }
    return new Decision(refusals.isEmpty(), List.copyOf(refusals));
  }

  private static String refusal(String text, AllowListIndex index) {
    Image image = image(text);
    if (image.invalid() != null) {
      return "image " + text + " is not a valid reference: " + image.invalid();
    }
    AllowListIndex.Repository repository = index.repository(image.name());
    if (image.digest() != null) {
      return repository != null && repository.pins(image.digest()) ? null : "image " + text + " is not allowed: digest "
          + image.digest() + " of " + image.name() + " is not on the allow-list";
    }
    return repository != null && repository.lists(image.tag()) ? null : "image " + text + " is not allowed: tag "
        + image.tag() + " of " + image.name() + " is not on the allow-list";
  }

  /** A review's image as the policy reads it: its repository and digest, else its tag; or why it is not a reference. */
  private record Image(String name, String digest, String tag, String invalid) {}

  /**
   * Pods name the same images again and again, so each is parsed once (a pure function of the text: never stale).
   * Bounded: texts up to {@link #CACHED_LENGTH} characters, at most {@link #CACHED} of them, all dropped when full.
   */
  private static final ConcurrentHashMap<String, Image> IMAGES = new ConcurrentHashMap<>();
  private static final int CACHED = 8192;
  private static final int CACHED_LENGTH = 256;

  private static Image image(String text) {
    Image image = IMAGES.get(text);
    if (image != null) {
      return image;
    }
    try {
      ImageReference ref = ImageReference.parse(text);
      image = new Image(ref.name(), ref.digest(), ref.tag() == null ? "latest" : ref.tag(), null);
    } catch (InvalidReferenceException e) {
      image = new Image(null, null, null, e.getMessage());
    }
    if (text.length() <= CACHED_LENGTH) {
      if (IMAGES.size() >= CACHED) {
        IMAGES.clear();
      }
      IMAGES.put(text, image);
    }
    return image;
  }
}
