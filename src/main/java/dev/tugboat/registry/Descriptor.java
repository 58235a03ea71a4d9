package dev.tugboat.registry;

import io.vertx.core.json.JsonObject;

/** A content descriptor: what a manifest says about a blob or a child manifest. {@code platform} only in indexes. */
public record Descriptor(String mediaType, String digest, long size, Platform platform) {

  static Descriptor fromJson(JsonObject json) {
    JsonObject platform = json.getJsonObject("platform");
    return new Descriptor(json.getString("mediaType", ""), json.getString("digest"), json.getLong("size", -1L),
        platform == null ? null : Platform.fromJson(platform));
  }
}
