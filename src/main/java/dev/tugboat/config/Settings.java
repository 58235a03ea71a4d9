package dev.tugboat.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The typed, validated configuration. Built only through {@link #from(JsonObject)}. */
public record Settings(Http http, Db db, Auth auth, List<RegistrySettings> registries) {

  public record Http(String host, int port, int instances, long bodyLimit, Duration shutdownTimeout, String tlsCert,
                     String tlsKey) {
    public boolean tls() {
      return !tlsCert.isEmpty();
    }
  }

  /** {@code url} may hold a password: never log it, use {@code DbUrl.redacted()}. */
  public record Db(String url, String embeddedDir, int poolSize, boolean migrate) {
    @Override
    public String toString() {
      return "Db[url=<redacted>, embeddedDir=" + embeddedDir + ", poolSize=" + poolSize + ", migrate=" + migrate + "]";
    }
  }

  public record Auth(String tokensFile, Duration reloadInterval, String webhookToken) {
    @Override
    public String toString() {
      return "Auth[tokensFile=" + tokensFile + ", reloadInterval=" + reloadInterval + ", webhookToken=<redacted>]";
    }
  }

  /** Per-registry settings; credentials are only ever sent to {@code host}. */
  public record RegistrySettings(String host, String username, String password, boolean insecure,
                                 boolean tlsVerify, int maxConcurrency) {
    @Override
    public String toString() {
      return "Registry[" + host + ", user=" + username + ", insecure=" + insecure + ", tlsVerify=" + tlsVerify + "]";
    }
  }

  public static Settings from(JsonObject c) {
    JsonObject http = c.getJsonObject("http");
    JsonObject db = c.getJsonObject("db");
    JsonObject auth = c.getJsonObject("auth");
    Settings settings = new Settings(
        new Http(
            text(http, "http.host", "host", false),
            integer(http, "http.port", "port", 0, 65535),
            integer(http, "http.instances", "instances", 0, 1024),
            integer(http, "http.bodyLimit", "bodyLimit", 1024, Integer.MAX_VALUE),
            duration(http, "http.shutdownTimeout", "shutdownTimeout"),
            text(http, "http.tlsCert", "tlsCert", true),
            text(http, "http.tlsKey", "tlsKey", true)),
        new Db(
            text(db, "db.url", "url", true),
            text(db, "db.embeddedDir", "embeddedDir", false),
            integer(db, "db.poolSize", "poolSize", 1, 1000),
            bool(db, "db.migrate", "migrate")),
        new Auth(
            text(auth, "auth.tokensFile", "tokensFile", true),
            duration(auth, "auth.reloadInterval", "reloadInterval"),
            text(auth, "auth.webhookToken", "webhookToken", true)),
        registries(c.getValue("registries")));
    if (settings.http().tlsCert().isEmpty() != settings.http().tlsKey().isEmpty()) {
      throw new ConfigException(settings.http().tlsCert().isEmpty() ? "http.tlsCert" : "http.tlsKey",
          "http.tlsCert and http.tlsKey go together");
    }
    return settings;
  }

  private static List<RegistrySettings> registries(Object value) {
    JsonArray list;
    if (value instanceof String s) { // from the environment: a JSON list
      try {
        list = new JsonArray(s);
      } catch (DecodeException e) {
        throw new ConfigException("registries", "expected a JSON list of registries, got '" + s + "'");
      }
    } else if (value instanceof JsonArray a) {
      list = a;
    } else {
      throw new ConfigException("registries", "expected a list");
    }
    Set<String> allowed = Set.of("host", "username", "password", "insecure", "tlsVerify", "maxConcurrency");
    List<RegistrySettings> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String prefix = "registries[" + i + "]";
      if (!(list.getValue(i) instanceof JsonObject r)) {
        throw new ConfigException(prefix, "expected a section with host, username, password, ...");
      }
      for (String name : r.fieldNames()) {
        if (!allowed.contains(name)) {
          throw new ConfigException(prefix + "." + name, "unknown key (known keys: " + allowed + ")");
        }
      }
      r = new JsonObject().put("username", "").put("password", "").put("insecure", false).put("tlsVerify", true)
          .put("maxConcurrency", 8).mergeIn(r);
      String host = text(r, prefix + ".host", "host", false);
      out.add(new RegistrySettings(host, text(r, prefix + ".username", "username", true),
          text(r, prefix + ".password", "password", true), bool(r, prefix + ".insecure", "insecure"),
          bool(r, prefix + ".tlsVerify", "tlsVerify"), integer(r, prefix + ".maxConcurrency", "maxConcurrency", 1, 1024)));
    }
    return List.copyOf(out);
  }

  private static Object required(JsonObject section, String key, String name) {
    Object value = section == null ? null : section.getValue(name);
    if (value == null) {
      throw new ConfigException(key, "missing");
    }
    return value;
  }

  private static String text(JsonObject section, String key, String name, boolean emptyAllowed) {
    Object value = required(section, key, name);
    if (value instanceof JsonObject || value instanceof JsonArray) {
      throw new ConfigException(key, "expected text");
    }
    String text = String.valueOf(value).trim();
    if (!emptyAllowed && text.isEmpty()) {
      throw new ConfigException(key, "must not be empty");
    }
    return text;
  }

  private static int integer(JsonObject section, String key, String name, int min, int max) {
    Object value = required(section, key, name);
    long n;
    if (value instanceof Number number) {
      n = number.longValue();
    } else {
      try {
        n = Long.parseLong(String.valueOf(value).trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(key, "expected a whole number, got '" + value + "'");
      }
    }
    if (n < min || n > max) {
      throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + n);
    }
    return (int) n;
  }

  private static boolean bool(JsonObject section, String key, String name) {
    Object value = required(section, key, name);
    if (value instanceof Boolean b) {
      return b;
    }
    return switch (String.valueOf(value).trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw new ConfigException(key, "expected true or false, got '" + value + "'");
    };
  }

  private static Duration duration(JsonObject section, String key, String name) {
    Duration d = Durations.parse(key, required(section, key, name));
    if (d.isNegative() || d.isZero()) {
      throw new ConfigException(key, "must be positive");
    }
    return d;
  }
}
