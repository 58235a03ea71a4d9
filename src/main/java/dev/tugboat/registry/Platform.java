package dev.tugboat.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** An image platform as an index entry or an image config describes it. */
public record Platform(String architecture, String os, String osVersion, String variant, List<String> features,
                       List<String> osFeatures) {

  public static Platform fromJson(JsonObject json) {
    return new Platform(json.getString("architecture", ""), json.getString("os", ""), json.getString("os.version", ""),
        json.getString("variant", ""), strings(json.getJsonArray("features")), strings(json.getJsonArray("os.features")));
  }

  static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>();
    if (array != null) {
      array.forEach(v -> out.add(String.valueOf(v)));
    }
    return List.copyOf(out);
  }

  /** {@code linux/arm64/v8}, docker's spelling. */
  @Override
  public String toString() {
    return os + "/" + architecture + (variant.isEmpty() ? "" : "/" + variant);
  }
}
