package dev.tugboat.transfer;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.JsonFields;
import dev.tugboat.api.Text;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * A job's {@code auth} block. {@code basicauth} wins; otherwise a token is fetched from {@code url} (with
 * the {@code header} headers and the {@code json} body) and sent as {@code <token_type> <token>}; a bare
 * {@code token} is used as given. Held encrypted at rest ({@link SecretBox}); {@link #toString()} never
 * shows a secret, and no refusal repeats a value (any of them may be one).
 */
record Credentials(String user, String password, String url, String tokenType, JsonObject header, Object json,
                   String token) {
  private static final Set<String> KEYS = Set.of("url", "token_type", "header", "json", "basicauth", "token");
  private static final Set<String> BASIC = Set.of("user", "password");
  private static final int MAX = TransferStore.AUTH_TEXT_MAX;

  boolean basic() {
    return user != null;
  }

  /** The {@code auth} object read at its path, or null when there is none. */
  static Credentials parse(JsonFields auth) {
    if (auth == null) {
      return null;
    }
    auth.allowOnly(KEYS);
    String field = auth.path();
    JsonFields basic = auth.optionalObject("basicauth");
    if (basic != null) {
      basic.allowOnly(BASIC);
      String user = basic.text("user", MAX);
      String password = basic.string("password", MAX, null);
      if (password == null) {
        throw basic.missing("password");
      }
      return new Credentials(user, password, null, null, null, null, null);
    }
    String url = auth.text("url", MAX, null);
    String token = headerValue(auth, "token");
    if (url == null && token == null) {
      throw ApiError.invalid(field + ".url", field + " needs basicauth, a token url, or a token");
    }
    if (url != null) {
      tokenUrl(field + ".url", url);
    }
    String type = headerValue(auth, "token_type");
    return new Credentials(null, null, url, type == null ? "Bearer" : type, headers(auth), auth.value("json"), token);
  }

  /** An absolute http(s) URL with a host; the refusal never repeats it (its query may hold a secret). */
  private static void tokenUrl(String field, String url) {
    java.net.URI uri;
    try {
      uri = new java.net.URI(url);
    } catch (java.net.URISyntaxException e) {
      throw ApiError.invalid(field, field + " is not a URL (expected an http(s) URL)");
    }
    if (uri.getRawUserInfo() != null || uri.getHost() == null && url.indexOf('@') >= 0) {
      // credentials in the URL would travel into error messages (last_error, logs): they belong in basicauth/header
      throw ApiError.invalid(field, field + " must not hold user:password@ (use header or basicauth)");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw ApiError.invalid(field, field + " must be an http(s) URL with a host");
    }
  }

  /**
   * Headers as an object (the documented form), or a string holding one (what the seed's schema accepted):
   * names are HTTP tokens, values text without CR or LF, which would split the request (header injection).
   */
  private static JsonObject headers(JsonFields auth) {
    Object value = auth.value("header");
    String field = auth.field("header");
    if (value == null) {
      return null;
    }
    JsonObject headers;
    try {
      headers = value instanceof JsonObject o ? o : value instanceof String s ? new JsonObject(s) : null;
    } catch (DecodeException e) {
      headers = null;
    }
    if (headers == null) {
      throw ApiError.invalid(field, field + " must be an object of header names to values");
    }
    JsonObject out = new JsonObject();
    int i = 0;
    for (String name : headers.fieldNames()) {
      if (!isToken(name)) {
        throw ApiError.invalid(field, field + ": header name number " + (i + 1) + " is not a valid HTTP header name");
      }
      Object v = headers.getValue(name);
      if (v == null || v instanceof JsonObject || v instanceof JsonArray) {
        throw ApiError.invalid(field + "." + name, field + "." + name + " must be a text value");
      }
      out.put(name, headerValue(field + "." + name, String.valueOf(v)));
      i++;
    }
    return out;
  }

  /** An optional non-blank string that goes into a header as it is (not trimmed: a token is opaque). */
  private static String headerValue(JsonFields auth, String key) {
    String value = auth.string(key, MAX, null);
    if (value != null && value.isBlank()) {
      throw ApiError.invalid(auth.field(key), auth.field(key) + " must not be empty");
    }
    return headerValue(auth.field(key), value);
  }

  /**
   * {@code value} when it may go into an HTTP header: {@link Text}'s rule, no CR or LF, and nothing beyond
   * Latin-1 (HTTP/1.1 sends one byte per character; wider ones would be mangled on the wire).
   */
  private static String headerValue(String field, String value) {
    if (value == null) {
      return null;
    }
    Text.require(field, value, MAX);
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n') {
        throw ApiError.invalid(field, field + " holds a line break (not allowed in an HTTP header)");
      }
      if (c > 0xff) {
        throw ApiError.invalid(field, field + " holds a character an HTTP header cannot carry (beyond Latin-1)");
      }
    }
    return value;
  }

  /** RFC 9110 token characters, at most 256 of them. */
  private static boolean isToken(String name) {
    if (name.isEmpty() || name.length() > 256) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
      if (!ok && "!#$%&'*+-.^_`|~".indexOf(c) < 0) {
        return false;
      }
    }
    return true;
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
