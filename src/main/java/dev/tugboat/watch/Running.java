package dev.tugboat.watch;

import dev.tugboat.deploy.Deployer;
import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.InvalidReferenceException;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What Nomad runs for a watch, read at every check (never in a dry run): the mapped tasks' image in the job's newest
 * running allocation (the job version it was placed with: what really runs), else in the job as registered.
 * {@code tag} is set only when the image is of the watch's own repository, {@code digest} only where the reference
 * pins one: for a plain tag Nomad reports no digest. {@code source} is {@code allocation} or {@code job}.
 */
public record Running(State state, String image, String tag, String digest, String source, String note) {

  public enum State {
    /** Not read: a dry run never calls Nomad. */
    NOT_READ,
    /** Nomad could not be read (unreachable, refused, timed out, egress denied): {@code note} says why. */
    UNREADABLE,
    /** Nomad answered, but the job or its mapped tasks are missing: nothing of the watch runs. */
    NONE,
    /** Nomad answered with the mapped tasks' image. */
    IMAGE
  }

  public static Running notRead() {
    return new Running(State.NOT_READ, null, null, null, null, "deploy.dryRun: Nomad is not read");
  }

  public static Running unreadable(String why) {
    return new Running(State.UNREADABLE, null, null, null, null, "Nomad could not be read: " + why);
  }

  /** The watch's view of what Nomad answered. */
  public static Running of(WatchedRepo repo, Deployer.Current current) {
    if (current.missing() != null) {
      return new Running(State.NONE, null, null, null, null, current.missing());
    }
    boolean allocated = !current.allocation().isEmpty();
    List<String> images = (allocated ? current.allocation() : current.job()).stream().distinct().toList();
    String source = allocated ? "allocation" : "job";
    String image = storable(String.join(", ", images));
    if (images.size() > 1) {
      return new Running(State.IMAGE, image, null, null, source, "the mapped tasks run different images");
    }
    ImageReference ref;
    try {
      ref = ImageReference.parse(images.get(0));
    } catch (InvalidReferenceException e) {
      return new Running(State.IMAGE, image, null, null, source, "not an image reference Tugboat can read");
    }
    if (!ref.registry().equals(repo.registry()) || !ref.repository().equals(repo.repository())) {
      return new Running(State.IMAGE, image, null, null, source, "an image of another repository");
    }
    return new Running(State.IMAGE, image, ref.tag() == null ? "latest" : ref.tag(), ref.digest(), source, null);
  }

  /** Nomad answered (so the first check can take what runs as deployed, and drift can be seen). */
  public boolean known() {
    return state == State.NONE || state == State.IMAGE;
  }

  /** Stored as JSON (running column) and shown in /api/v1/watches and the plan. */
  public JsonObject toJson() {
    return new JsonObject().put("state", state.name().toLowerCase(java.util.Locale.ROOT)).put("image", image)
        .put("tag", tag).put("digest", digest).put("source", source).put("note", note);
  }

  /**
   * Nomad's text made fit for {@code running_image}: control characters and unpaired surrogates replaced, at most
   * {@link WatchStore#RUNNING_IMAGE_MAX} code points.
   */
  static String storable(String text) {
    StringBuilder out = new StringBuilder();
    int count = 0;
    for (int i = 0; i < text.length() && count < WatchStore.RUNNING_IMAGE_MAX; i = text.offsetByCodePoints(i, 1)) {
      int c = text.codePointAt(i);
      boolean bad = c < 0x20 || c == 0x7f || Character.getType(c) == Character.SURROGATE;
      out.appendCodePoint(bad ? '?' : c);
      count++;
    }
    return out.toString();
  }

  /** Read back from {@link #toJson()}; null for null (never read). */
  static Running fromJson(JsonObject json) {
    return json == null ? null : new Running(State.valueOf(json.getString("state").toUpperCase(java.util.Locale.ROOT)),
        json.getString("image"), json.getString("tag"), json.getString("digest"), json.getString("source"),
        json.getString("note"));
  }
}
