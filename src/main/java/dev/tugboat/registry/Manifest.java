package dev.tugboat.registry;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A manifest or index exactly as the registry served it: the bytes (which the digest is computed over),
 * the media type and the digest. Copies push {@link #bytes()} unchanged so digests stay identical.
 */
public record Manifest(String mediaType, String digest, Buffer bytes) {

  public JsonObject json() {
    return new JsonObject(bytes);
  }

  public boolean isIndex() {
    return MediaTypes.isIndex(mediaType);
  }

  /** The child manifests of an index (empty for an image manifest). */
  public List<Descriptor> children() {
    return isIndex() ? descriptors(json().getJsonArray("manifests")) : List.of();
  }

  /** The config blob of an image manifest (null for an index). */
  public Descriptor config() {
    JsonObject config = isIndex() ? null : json().getJsonObject("config");
    return config == null ? null : Descriptor.fromJson(config);
  }

  /** The layers of an image manifest, in order (empty for an index). */
  public List<Descriptor> layers() {
    return isIndex() ? List.of() : descriptors(json().getJsonArray("layers"));
  }

  private static List<Descriptor> descriptors(JsonArray array) {
    List<Descriptor> out = new ArrayList<>();
    if (array != null) {
      for (int i = 0; i < array.size(); i++) {
        out.add(Descriptor.fromJson(array.getJsonObject(i)));
      }
    }
    return List.copyOf(out);
  }
}
