package dev.tugboat.registry;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** One entry of an OCI error body {@code {"errors":[{"code","message","detail"}]}}. */
public record RegistryError(String code, String message, String detail) {

  /** The errors in a response body; empty when the body is not an OCI error document. */
  public static List<RegistryError> parse(Buffer body) {
    List<RegistryError> out = new ArrayList<>();
    if (body == null || body.length() == 0 || body.length() > 1_000_000) {
      return out;
    }
    try {
      JsonArray errors = new JsonObject(body).getJsonArray("errors");
      if (errors != null) {
        for (int i = 0; i < errors.size(); i++) {
          JsonObject e = errors.getJsonObject(i);
          Object detail = e.getValue("detail");
          out.add(new RegistryError(e.getString("code", "UNKNOWN"), e.getString("message", ""),
              detail == null ? null : String.valueOf(detail)));
        }
      }
    } catch (RuntimeException ignored) {
      // not JSON: the status code alone describes the failure
    }
    return List.copyOf(out);
  }
}
