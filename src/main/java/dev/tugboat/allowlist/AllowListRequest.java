package dev.tugboat.allowlist;

import dev.tugboat.api.ApiError;
import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.InvalidReferenceException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * A validated {@code PUT /images} body. {@code tags} is null when the body had none (an existing
 * entry then keeps its tags, as in imagelist); duplicates are dropped, order kept.
 */
public record AllowListRequest(String id, String name, String nameKey, List<String> tags) {
  static final int MAX_ID = 512;

  public static AllowListRequest from(JsonObject body) {
    if (body == null) {
      throw ApiError.invalid("body", "expected a JSON object {\"id\", \"name\", \"tags\"}");
    }
    String id = requiredText(body, "id");
    if (id.length() > MAX_ID || !id.chars().allMatch(c -> c > 0x20 && c != 0x7f)) {
      throw ApiError.invalid("id", "id must be at most " + MAX_ID + " characters without spaces or control characters");
    }
    String name = requiredText(body, "name");
    ImageReference reference;
    try {
      reference = ImageReference.parse(name);
    } catch (InvalidReferenceException e) {
      throw ApiError.invalid("name", "name is not an image name: " + e.getMessage());
    }
    if (reference.tag() != null || reference.digest() != null) {
      throw ApiError.invalid("name", "name is the image name without tag or digest (put tags in 'tags')");
    }
    return new AllowListRequest(id, name, reference.name(), tags(body.getValue("tags")));
  }

  private static String requiredText(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      throw ApiError.invalid(field, "'" + field + "' is required");
    }
    if (!(value instanceof String text) || text.isBlank()) {
      throw ApiError.invalid(field, "'" + field + "' must be a non-empty string");
    }
    return text.trim();
  }

  private static List<String> tags(Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array)) {
      throw ApiError.invalid("tags", "'tags' must be an array of tags");
    }
    LinkedHashSet<String> tags = new LinkedHashSet<>();
    for (int i = 0; i < array.size(); i++) {
      Object tag = array.getValue(i);
      if (!(tag instanceof String text) || !ImageReference.isValidTag(text)) {
        throw ApiError.invalid("tags[" + i + "]", "'" + tag + "' is not a valid tag: up to 128 letters, digits, '_', '.'"
            + " or '-', not starting with '.' or '-'");
      }
      tags.add(text);
    }
    return new ArrayList<>(tags);
  }
}
