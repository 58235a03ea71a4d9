package dev.tugboat.transfer;

import dev.tugboat.api.ApiError;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * A job's {@code auth} block. {@code basicauth} wins; otherwise a token is fetched from {@code url} (with
 * the {@code header} headers and the {@code json} body) and sent as {@code <token_type> <token>}; a bare
 * {@code token} is used as given. Held encrypted at rest ({@link SecretBox}); {@link #toString()} never
 * shows a secret.
 */
record Credentials(String user, String password, String url, String tokenType, JsonObject header, Object json,
                   String token) {
  private static final Set<String> KEYS = Set.of("url", "token_type", "header", "json", "basicauth", "token");

  boolean basic() {
    return user != null;
  }

  static Credentials parse(String field, Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject auth)) {
      throw ApiError.invalid(field, field + ": expected an object");
    }
    for (String key : auth.fieldNames()) {
      if (!KEYS.contains(key)) {
        throw ApiError.invalid(field + "." + key, field + "." + key + ": unknown field (known: " + KEYS + ")");
      }
    }
    String url = text(auth, field, "url");
    String token = text(auth, field, "token");
    Object basicValue = auth.getValue("basicauth");
    if (basicValue != null) {
      if (!(basicValue instanceof JsonObject basic) || text(basic, field + ".basicauth", "user") == null
          || basic.getValue("password") == null) {
        throw ApiError.invalid(field + ".basicauth", field + ".basicauth: expected {\"user\", \"password\"}");
      }
      return new Credentials(basic.getString("user"), String.valueOf(basic.getValue("password")), null, null, null,
          null, null);
    }
    if (url == null && token == null) {
      throw ApiError.invalid(field + ".url", field + ": needs basicauth, a token url, or a token");
    }
    if (url != null && !url.startsWith("http://") && !url.startsWith("https://")) {
      throw ApiError.invalid(field + ".url", field + ".url: expected an http(s) URL");
    }
    if (url != null && hasUserInfo(url)) {
      // credentials in the URL would travel into error messages (last_error, logs): they belong in basicauth/header
      throw ApiError.invalid(field + ".url", field + ".url: must not hold user:password@ (use header or basicauth)");
    }
    String type = text(auth, field, "token_type");
    return new Credentials(null, null, url, type == null ? "Bearer" : type, headers(field, auth.getValue("header")),
        auth.getValue("json"), token);
  }

  private static boolean hasUserInfo(String url) {
    try {
      return new java.net.URI(url).getRawUserInfo() != null;
    } catch (java.net.URISyntaxException e) {
      return url.indexOf('@') >= 0; // unparsable: refuse anything that might carry user info
    }
  }

  /** Headers as an object (the documented form), or a string holding one (what the seed's schema accepted). */
  private static JsonObject headers(String field, Object value) {
    if (value == null) {
      return null;
    }
    JsonObject headers;
    try {
      headers = value instanceof JsonObject o ? o : new JsonObject(String.valueOf(value));
    } catch (DecodeException e) {
      throw ApiError.invalid(field + ".header", field + ".header: expected an object of header names to values");
    }
    for (String name : headers.fieldNames()) {
      Object v = headers.getValue(name);
      if (v instanceof JsonObject || v instanceof io.vertx.core.json.JsonArray || v == null) {
        throw ApiError.invalid(field + ".header", field + ".header." + name + ": expected a text value");
      }
    }
    return headers;
  }

  private static String text(JsonObject json, String field, String key) {
    Object v = json.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw ApiError.invalid(field + "." + key, field + "." + key + ": expected non-empty text");
    }
    return s;
  }

  JsonObject toJson() {
    JsonObject out = new JsonObject();
    if (basic()) {
      return out.put("basicauth", new JsonObject().put("user", user).put("password", password));
    }
    return out.put("url", url).put("token_type", tokenType).put("header", header).put("json", json).put("token", token);
  }

  @Override
  public String toString() {
    return basic() ? "Credentials[basic, user=" + user + "]" : "Credentials[token]";
  }
}
