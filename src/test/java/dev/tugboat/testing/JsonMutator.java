package dev.tugboat.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Seeded request bodies from a documented sample: the sample itself, structural mutations of it (a wrong type at
 * any path, a field removed, an extra field, null, a hostile string or number, a huge or deeply nested value), raw
 * corruptions of its bytes (truncated, invalid UTF-8, duplicate keys, trailing garbage) and other top-level values.
 * Strings are written with every non-ASCII character escaped, so NUL and lone surrogates reach the server's parser.
 */
public final class JsonMutator {
  /** A body and how it was made (for the failure report). */
  public record Body(byte[] bytes, String description) {}

  /** Text written as is into the encoded document (deep nesting built as text, not as a tree). */
  private record Raw(String text) {}

  /** A place in the document: its path and how to read and replace the value there. */
  private record Slot(String path, Object parent, Object key) {
    Object get() {
      return parent instanceof JsonObject o ? o.getValue((String) key) : ((JsonArray) parent).getValue((Integer) key);
    }

    void set(Object value) {
      if (parent instanceof JsonObject o) {
        o.put((String) key, value);
      } else {
        ((JsonArray) parent).set((Integer) key, value);
      }
    }

    void remove() {
      if (parent instanceof JsonObject o) {
        o.remove((String) key);
      } else {
        ((JsonArray) parent).remove((int) (Integer) key);
      }
    }
  }

  private final HostileValues values;
  private final Predicate<String> guarded;
  private final Supplier<Object> guardedValue;

  /**
   * @param guarded paths whose strings must stay safe (hosts a node would call: only loopback values go there)
   * @param guardedValue the safe values for them
   */
  public JsonMutator(HostileValues values, Predicate<String> guarded, Supplier<Object> guardedValue) {
    this.values = values;
    this.guarded = guarded;
    this.guardedValue = guardedValue;
  }

  /** The sample as is. */
  public static Body of(JsonObject sample) {
    return new Body(encode(sample).getBytes(StandardCharsets.UTF_8), "sample");
  }

  /** A body made from {@code sample} (which is not changed). */
  public Body body(JsonObject sample) {
    int kind = values.nextInt(20);
    if (kind < 3) {
      return of(sample);
    }
    if (kind < 15) {
      JsonObject copy = sample.copy();
      List<String> done = new ArrayList<>();
      for (int n = 1 + values.nextInt(3); n > 0; n--) {
        done.add(mutate(copy));
      }
      return new Body(encode(copy).getBytes(StandardCharsets.UTF_8), String.join("; ", done));
    }
    if (kind < 18) {
      return corrupt(encode(sample));
    }
    Object top = values.value(3);
    return new Body(encode(top).getBytes(StandardCharsets.UTF_8), "top-level " + kindOf(top));
  }

  /** One structural mutation of {@code document}, in place; answers what it did. */
  private String mutate(JsonObject document) {
    List<Slot> slots = new ArrayList<>();
    collect(document, "", slots);
    if (slots.isEmpty()) {
      document.put("extra", values.value(2));
      return "extra field in an empty object";
    }
    Slot slot = values.pick(slots);
    Object current = slot.get();
    boolean safeOnly = guarded.test(slot.path());
    switch (values.nextInt(9)) {
      case 0 -> {
        slot.remove();
        return "removed " + slot.path();
      }
      case 1 -> {
        slot.set(null);
        return "null at " + slot.path();
      }
      case 2 -> {
        if (!(current instanceof JsonObject object)) {
          break;
        }
        String key = values.chance(0.5) ? "extra" : values.string();
        object.put(key, values.value(2));
        return "extra field in " + slot.path();
      }
      case 3 -> {
        Object value = safeOnly ? guardedValue.get() : values.string();
        slot.set(value);
        return "hostile string at " + slot.path();
      }
      case 4 -> {
        slot.set(values.number());
        return "number at " + slot.path();
      }
      case 5 -> {
        int depth = values.chance(0.5) ? 40 + values.nextInt(60) : 1000 + values.nextInt(4000);
        slot.set(new Raw("[".repeat(depth) + "]".repeat(depth)));
        return "nested " + depth + " deep at " + slot.path();
      }
      case 6 -> {
        if (safeOnly) {
          break;
        }
        slot.set(values.chance(0.5) ? "x!".repeat(50_000 + values.nextInt(400_000))
            : new Raw("[" + "1,".repeat(20_000 + values.nextInt(200_000)) + "1]"));
        return "huge value at " + slot.path();
      }
      default -> {
        // the wrong type, below
      }
    }
    Object other = otherType(current);
    if (safeOnly && other instanceof String) {
      other = guardedValue.get();
    }
    slot.set(other);
    return "wrong type at " + slot.path() + " (" + kindOf(current) + " → " + kindOf(other) + ")";
  }

  /** A value of another JSON type than {@code current}. */
  private Object otherType(Object current) {
    for (int tries = 0; tries < 10; tries++) {
      Object candidate = values.value(2);
      if (!kindOf(candidate).equals(kindOf(current))) {
        return candidate;
      }
    }
    return current instanceof String ? (Object) 42 : "text";
  }

  /** Raw damage to the encoded document's bytes. */
  private Body corrupt(String json) {
    byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    switch (values.nextInt(7)) {
      case 0 -> {
        out.write(utf8, 0, values.nextInt(Math.max(1, utf8.length)));
        return new Body(out.toByteArray(), "truncated");
      }
      case 1 -> { // invalid UTF-8 inside the first string literal
        int quote = json.indexOf('"', 1);
        int at = quote < 0 ? 0 : quote + 1;
        out.write(utf8, 0, at);
        byte[][] bad = {{(byte) 0xff}, {(byte) 0xc0, (byte) 0x80}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {(byte) 0xe2, 0x28}};
        byte[] chosen = bad[values.nextInt(bad.length)];
        out.write(chosen, 0, chosen.length);
        out.write(utf8, at, utf8.length - at);
        return new Body(out.toByteArray(), "invalid UTF-8 in a string");
      }
      case 2 -> {
        String dup = json.startsWith("{") && json.length() > 2 ? "{" + json.substring(1, json.length() - 1) + ","
            + json.substring(1) : json;
        return new Body(dup.getBytes(StandardCharsets.UTF_8), "duplicate keys");
      }
      case 3 -> {
        return new Body((json + values.pick(List.of("}", "]", " x", "\u0000", "{}", ",")))
            .getBytes(StandardCharsets.UTF_8), "trailing garbage");
      }
      case 4 -> {
        return new Body(values.pick(List.of("", " ", "null", "[]", "1", "\"x\"", "true", "{", "{\"a\":}", "{'a':1}",
            "\uFEFF{}")).getBytes(StandardCharsets.UTF_8), "not an object");
      }
      case 5 -> {
        int depth = 500 + values.nextInt(20_000);
        return new Body(("{\"a\":" + "[".repeat(depth) + "]".repeat(depth) + "}").getBytes(StandardCharsets.UTF_8),
            "document nested " + depth + " deep");
      }
      default -> {
        return new Body(json.replace("\"", "'").getBytes(StandardCharsets.UTF_8), "single quotes");
      }
    }
  }

  private static void collect(Object node, String path, List<Slot> out) {
    if (node instanceof JsonObject object) {
      for (String key : new ArrayList<>(object.fieldNames())) {
        String child = path.isEmpty() ? key : path + "." + key;
        out.add(new Slot(child, object, key));
        collect(object.getValue(key), child, out);
      }
    } else if (node instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        String child = path + "[" + i + "]";
        out.add(new Slot(child, array, i));
        collect(array.getValue(i), child, out);
      }
    }
  }

  static String kindOf(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof JsonObject) {
      return "object";
    }
    if (value instanceof JsonArray || value instanceof Raw) {
      return "array";
    }
    if (value instanceof Number) {
      return "number";
    }
    return value instanceof Boolean ? "boolean" : "string";
  }

  /** JSON text; every non-ASCII or control character escaped (lone surrogates included). */
  public static String encode(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString();
  }

  private static void write(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof Raw raw) {
      out.append(raw.text());
    } else if (value instanceof JsonObject object) {
      out.append('{');
      boolean first = true;
      for (var entry : object) {
        out.append(first ? "" : ",");
        first = false;
        string(entry.getKey(), out);
        out.append(':');
        write(entry.getValue(), out);
      }
      out.append('}');
    } else if (value instanceof JsonArray array) {
      out.append('[');
      for (int i = 0; i < array.size(); i++) {
        out.append(i == 0 ? "" : ",");
        write(array.getValue(i), out);
      }
      out.append(']');
    } else if (value instanceof BigDecimal || value instanceof BigInteger || value instanceof Number n
        && !(value instanceof Double d && (d.isNaN() || d.isInfinite()))) {
      out.append(value);
    } else if (value instanceof Boolean) {
      out.append(value);
    } else {
      string(String.valueOf(value), out);
    }
  }

  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }
}
