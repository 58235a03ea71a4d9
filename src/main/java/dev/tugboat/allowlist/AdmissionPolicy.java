package dev.tugboat.allowlist;

import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.InvalidReferenceException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

  /** The repositories to look up for these images (invalid references are skipped here and refused later). */
  public static List<String> nameKeys(Collection<String> images) {
    List<String> keys = new ArrayList<>();
    for (String image : images) {
      try {
        String key = ImageReference.parse(image).name();
        if (!keys.contains(key)) {
          keys.add(key);
        }
      } catch (InvalidReferenceException ignored) {
        // refused with its reason by decide()
      }
    }
    return keys;
  }

  public static Decision decide(Collection<String> images, Collection<AllowListEntry> entries) {
    Map<String, List<AllowListEntry>> byName = new LinkedHashMap<>();
    for (AllowListEntry entry : entries) {
      try {
        byName.computeIfAbsent(ImageReference.parse(entry.name()).name(), k -> new ArrayList<>()).add(entry);
      } catch (InvalidReferenceException ignored) {
        // entries written before validation existed cannot match anything
      }
    }
    List<String> refusals = new ArrayList<>();
    for (String image : images) {
      String refusal = refusal(image, byName);
      if (refusal != null) {
        refusals.add(refusal);
      }
    }
    return new Decision(refusals.isEmpty(), List.copyOf(refusals));
  }

  private static String refusal(String image, Map<String, List<AllowListEntry>> byName) {
    ImageReference ref;
    try {
      ref = ImageReference.parse(image);
    } catch (InvalidReferenceException e) {
      return "image " + image + " is not a valid reference: " + e.getMessage();
    }
    List<AllowListEntry> candidates = byName.getOrDefault(ref.name(), List.of());
    if (ref.digest() != null) {
      boolean pinned = candidates.stream().anyMatch(e -> ref.digest().equals(e.digest()));
      return pinned ? null : "image " + image + " is not allowed: digest " + ref.digest() + " of " + ref.name()
          + " is not on the allow-list";
    }
    String tag = ref.tag() == null ? "latest" : ref.tag();
    boolean listed = candidates.stream().anyMatch(e -> e.tags().contains(tag));
    return listed ? null : "image " + image + " is not allowed: tag " + tag + " of " + ref.name()
        + " is not on the allow-list";
  }
}
