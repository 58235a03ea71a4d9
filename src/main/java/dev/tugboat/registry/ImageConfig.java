package dev.tugboat.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** The parts of an image config blob Tugboat uses: creation time, platform and history. */
public record ImageConfig(Instant created, Platform platform, JsonArray history, JsonObject json) {

  public static ImageConfig fromJson(JsonObject json) {
    Instant created = null;
    try {
      String text = json.getString("created");
      created = text == null ? null : Instant.parse(text);
    } catch (DateTimeParseException | ClassCastException ignored) {
      // some builders write odd timestamps; the image is still usable without one
    }
    return new ImageConfig(created, Platform.fromJson(json), json.getJsonArray("history", new JsonArray()), json);
  }
}
