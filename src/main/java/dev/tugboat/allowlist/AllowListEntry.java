package dev.tugboat.allowlist;

import dev.tugboat.registry.ImageReference;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/** One allow-list entry, as imagelist's {@code Image}: id (often a repo digest), name, tags, times. */
public record AllowListEntry(String id, String name, List<String> tags, Instant createdAt, Instant updatedAt) {

  /** imagelist's JSON; {@code tags} is always an array (imagelist omitted it when empty). */
  public JsonObject toJson() {
    return new JsonObject()
        .put("created_at", createdAt.toString())
        .put("updated_at", updatedAt.toString())
        .put("id", id)
        .put("name", name)
        .put("tags", new JsonArray(tags));
  }

  /**
   * The image digest this entry pins, when its id names one: {@code repo@sha256:…}, {@code sha256:…},
   * or the bare 64-hex form imagelist's README shows.
   */
  public String digest() {
    String candidate = id.contains("@") ? id.substring(id.lastIndexOf('@') + 1) : id;
    if (ImageReference.isValidDigest(candidate)) {
      return candidate;
    }
    if (candidate.matches("[a-f0-9]{64}")) {
      return "sha256:" + candidate;
    }
    return null;
  }
}
