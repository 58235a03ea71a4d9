package dev.tugboat.allowlist;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.JsonFields;
import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.InvalidReferenceException;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * A validated {@code PUT /images} body. {@code tags} is null when the body had none (an existing
 * entry then keeps its tags, as in imagelist); duplicates are dropped, order kept. Lengths are the columns'
 * ({@link AllowListStore#ID_LENGTH}, {@link AllowListStore#NAME_LENGTH}), so nothing reaches the database
 * that it would refuse or truncate.
 */
public record AllowListRequest(String id, String name, String nameKey, List<String> tags) {

  public static AllowListRequest from(JsonFields body) {
    String id = body.text("id", AllowListStore.ID_LENGTH);
    if (id.codePoints().anyMatch(c -> c <= 0x20 || c == 0x7f)) {
      throw ApiError.invalid("id", "id must not contain spaces or control characters");
    }
    String name = body.text("name", AllowListStore.NAME_LENGTH);
    ImageReference reference;
    try {
      reference = ImageReference.parse(name);
    } catch (InvalidReferenceException e) {
      throw ApiError.invalid("name", "name is not an image name: " + e.getMessage());
    }
    if (reference.tag() != null || reference.digest() != null) {
      throw ApiError.invalid("name", "name is the image name without tag or digest (put tags in 'tags')");
    }
    // the normalised name_key is as long as name, or longer only by docker.io/library/ on a repository the
    // reference grammar keeps within 255 characters: it fits the same column
    return new AllowListRequest(id, name, reference.name(), tags(body.array("tags", Integer.MAX_VALUE)));
  }

  private static List<String> tags(JsonArray array) {
    if (array == null) {
      return null;
    }
    LinkedHashSet<String> tags = new LinkedHashSet<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof String tag) || !ImageReference.isValidTag(tag)) {
        throw ApiError.invalid("tags[" + i + "]", "tags[" + i + "] is not a valid tag: up to 128 letters, digits, '_',"
            + " '.' or '-', not starting with '.' or '-'");
      }
      tags.add(tag);
    }
    return new ArrayList<>(tags);
  }
}
