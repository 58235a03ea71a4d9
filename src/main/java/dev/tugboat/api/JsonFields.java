package dev.tugboat.api;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A JSON object of a request, read field by field (DESIGN rule 5): each getter checks the type, presence,
 * length (the column's, passed in by the caller), range, and the {@link Text} rule, and refuses with a 400
 * naming the field's path ({@code spec.containers[0].image}). Every route reads its body through this.
 */
public final class JsonFields {
  private final JsonObject json;
  private final String path;

  private JsonFields(JsonObject json, String path) {
    this.json = json;
    this.path = path;
  }

  /** The request body as a JSON object; 400 naming {@code body} when it is missing, not JSON or not an object. */
  public static JsonFields body(RoutingContext ctx) {
    Object value = bodyValue(ctx);
    if (!(value instanceof JsonObject object)) {
      throw ApiError.invalid("body", "the request body must be a JSON object");
    }
    return new JsonFields(object, "");
  }

  /** The request body as any JSON value (null when empty); 400 naming {@code body} when it is not JSON. */
  public static Object bodyValue(RoutingContext ctx) {
    // no buffer at all when the body was read as a form (a multipart or urlencoded Content-Type)
    io.vertx.core.buffer.Buffer buffer = ctx.body() == null ? null : ctx.body().buffer();
    if (buffer == null || buffer.length() <= 0) {
      return null;
    }
    try {
      return io.vertx.core.json.Json.decodeValue(buffer);
    } catch (DecodeException e) { // not JSON, invalid UTF-8, or nested beyond the parser's limits
      throw ApiError.invalid("body", "the request body is not valid JSON");
    }
  }

  /** An object read at {@code path} ("" for the body itself). */
  public static JsonFields of(JsonObject json, String path) {
    return new JsonFields(json, path);
  }

  public JsonObject json() {
    return json;
  }

  public String path() {
    return path;
  }

  /** The path of one of this object's keys. */
  public String field(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Whether {@code key} is present with a non-null value. */
  public boolean has(String key) {
    return json.getValue(key) != null;
  }

  /** The raw value of {@code key} (null when absent), for fields with a grammar of their own. */
  public Object value(String key) {
    return json.getValue(key);
  }

  /** Refuses any key not in {@code known}, naming the first one. */
  public JsonFields allowOnly(Set<String> known) {
    for (String key : json.fieldNames()) {
      if (!known.contains(key)) {
        boolean printable = Text.problem(key, 128) == null;
        String name = printable ? field(key) : path.isEmpty() ? "body" : path;
        throw ApiError.invalid(name, (printable ? "unknown field '" + name + "'" : "an unknown field in " + name)
            + " (known: " + String.join(", ", new java.util.TreeSet<>(known)) + ")");
      }
    }
    return this;
  }

  /** A required, non-blank string of at most {@code maxLength} characters (trimmed). */
  public String text(String key, int maxLength) {
    String value = text(key, maxLength, null);
    if (value == null) {
      throw missing(key);
    }
    return value;
  }

  /** An optional string: {@code fallback} when absent or null; refused when present but blank or not a string. */
  public String text(String key, int maxLength, String fallback) {
    Object value = json.getValue(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String s)) {
      throw wrongType(key, "a string");
    }
    Text.require(field(key), s, Integer.MAX_VALUE); // before trim(), which would drop a trailing NUL or control
    String trimmed = s.trim();
    if (trimmed.isEmpty()) {
      throw ApiError.invalid(field(key), field(key) + " must not be empty");
    }
    return Text.require(field(key), trimmed, maxLength);
  }

  /** An optional string that may be empty (not trimmed): {@code fallback} when absent or null. */
  public String string(String key, int maxLength, String fallback) {
    Object value = json.getValue(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String s)) {
      throw wrongType(key, "a string");
    }
    return Text.require(field(key), s, maxLength);
  }

  /** A boolean; {@code fallback} when absent (a null fallback makes it required). */
  public Boolean bool(String key, Boolean fallback) {
    Object value = json.getValue(key);
    if (value == null) {
      if (fallback == null) {
        throw missing(key);
      }
      return fallback;
    }
    if (!(value instanceof Boolean b)) {
      throw wrongType(key, "true or false");
    }
    return b;
  }

  /**
   * A whole number from {@code min} to {@code max}; {@code fallback} when absent (a null fallback makes it
   * required). {@code 3.0} counts as 3; {@code 2.5}, strings and numbers out of range are refused.
   */
  public Long integer(String key, long min, long max, Long fallback) {
    Object value = json.getValue(key);
    if (value == null) {
      if (fallback == null) {
        throw missing(key);
      }
      return fallback;
    }
    String range = "a whole number from " + min + " to " + max;
    if (!(value instanceof Number number)) {
      throw wrongType(key, range);
    }
    BigInteger whole;
    try {
      whole = (number instanceof BigInteger big ? new BigDecimal(big) : new BigDecimal(number.toString()))
          .toBigIntegerExact();
    } catch (ArithmeticException | NumberFormatException e) { // a fraction, NaN or infinity
      throw wrongType(key, range);
    }
    if (whole.compareTo(BigInteger.valueOf(min)) < 0 || whole.compareTo(BigInteger.valueOf(max)) > 0) {
      throw ApiError.invalid(field(key), field(key) + " must be " + range);
    }
    return whole.longValue();
  }

  /** A required object. */
  public JsonFields object(String key) {
    JsonFields value = optionalObject(key);
    if (value == null) {
      throw missing(key);
    }
    return value;
  }

  /** An optional object; null when absent or null. */
  public JsonFields optionalObject(String key) {
    Object value = json.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject object)) {
      throw wrongType(key, "an object");
    }
    return new JsonFields(object, field(key));
  }

  /** An optional array (null when absent) of at most {@code maxItems} values. */
  public JsonArray array(String key, int maxItems) {
    Object value = json.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array)) {
      throw wrongType(key, "a list");
    }
    if (array.size() > maxItems) {
      throw ApiError.invalid(field(key), field(key) + " must hold at most " + maxItems + " items");
    }
    return array;
  }

  /** An optional list of objects (null when absent), each read at {@code key[i]}. */
  public List<JsonFields> objects(String key, int maxItems) {
    JsonArray array = array(key, maxItems);
    if (array == null) {
      return null;
    }
    List<JsonFields> out = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String item = field(key) + "[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject object)) {
        throw ApiError.invalid(item, item + " must be an object");
      }
      out.add(new JsonFields(object, item));
    }
    return out;
  }

  /** An optional list of non-blank strings (null when absent), each of at most {@code maxLength} characters. */
  public List<String> texts(String key, int maxItems, int maxLength) {
    JsonArray array = array(key, maxItems);
    if (array == null) {
      return null;
    }
    List<String> out = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String item = field(key) + "[" + i + "]";
      if (!(array.getValue(i) instanceof String s) || s.isBlank()) {
        throw ApiError.invalid(item, item + " must be a non-empty string");
      }
      Text.require(item, s, Integer.MAX_VALUE); // before trim(), as in text()
      out.add(Text.require(item, s.trim(), maxLength));
    }
    return out;
  }

  /** A 400 for a missing required field (its message is the same on every route). */
  public ApiError missing(String key) {
    return ApiError.missing(field(key));
  }

  private ApiError wrongType(String key, String expected) {
    return ApiError.invalid(field(key), field(key) + " must be " + expected);
  }
}
