package dev.tugboat.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the configuration with vertx-config, in the order of DESIGN.md: built-in defaults (the
 * packaged copy of conf/tugboat.yaml) → the YAML file → environment → {@code --set key=value}.
 * The store list is built explicitly because vertx-config's default stores let the file override env.
 */
public final class ConfigLoader {
  public static final String DEFAULT_FILE = "conf/tugboat.yaml";
  private static final String DEFAULTS_RESOURCE = "defaults/tugboat.yaml";

  /** The seeds' own environment variables and the keys they set. */
  private static final Map<String, String> SEED_VARIABLES = Map.of(
      "DATABASE_URL", "db.url",
      "TOKENS_FILE", "auth.tokensFile",
      "CERTFILE", "http.tlsCert",
      "KEYFILE", "http.tlsKey",
      "NOMAD_ADDR", "deploy.nomad.address",
      "NOMAD_TOKEN", "deploy.nomad.token",
      "NOMAD_NAMESPACE", "deploy.nomad.namespace",
      "NOMAD_REGION", "deploy.nomad.region",
      "VAULT_TOKEN", "deploy.nomad.vaultToken",
      "DEBUG", "deploy.dryRun");

  private final Path file;
  private final boolean fileRequired;
  private final Map<String, String> env;
  private final Map<String, String> sets;

  /**
   * @param file the YAML file given with {@code --config}, or null for the optional default file
   * @param env the process environment (passed in so tests control it)
   * @param sets {@code --set} pairs in the order given
   */
  public ConfigLoader(Path file, Map<String, String> env, Map<String, String> sets) {
    this.file = file == null ? Path.of(DEFAULT_FILE) : file;
    this.fileRequired = file != null;
    this.env = env;
    this.sets = sets;
  }

  public Future<Settings> load(Vertx vertx) {
    if (fileRequired && !Files.isReadable(file)) {
      return Future.failedFuture(new ConfigException("--config", "cannot read " + file));
    }
    JsonObject defaults;
    try {
      defaults = readDefaults();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    ConfigRetrieverOptions options = new ConfigRetrieverOptions()
        .setScanPeriod(-1)
        .addStore(json(defaults))
        .addStore(new ConfigStoreOptions().setType("file").setFormat("yaml").setOptional(!fileRequired)
            .setConfig(new JsonObject().put("path", file.toString())))
        .addStore(json(nested(environmentOverrides(defaults))))
        .addStore(json(nested(setOverrides(defaults))));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .eventually(() -> {
          retriever.close();
          return Future.succeededFuture();
        })
        .map(merged -> {
          rejectUnknownKeys("", defaults, merged);
          return Settings.from(merged);
        });
  }

  private static ConfigStoreOptions json(JsonObject config) {
    return new ConfigStoreOptions().setType("json").setConfig(config);
  }

  /** The built-in defaults (the packaged conf/tugboat.yaml): every key there is. */
  public static JsonObject readDefaults() {
    try (var in = ConfigLoader.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("built-in defaults " + DEFAULTS_RESOURCE + " missing from the classpath");
      }
      Map<String, Object> parsed = new org.yaml.snakeyaml.Yaml().load(in);
      return new JsonObject(parsed).copy(); // copy() turns nested maps and lists into JsonObject/JsonArray
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot read built-in defaults", e);
    }
  }

  /** {@code TUGBOAT_HTTP_PORT} → {@code http.port}; names derive from the known keys so camelCase maps too. */
  Map<String, String> environmentOverrides(JsonObject defaults) {
    Map<String, String> out = new LinkedHashMap<>();
    SEED_VARIABLES.forEach((variable, key) -> {
      String value = env.get(variable);
      if (value != null && !value.isEmpty()) {
        out.put(key, variable.equals("DEBUG") ? debug(value) : value);
      }
    });
    for (String key : leafKeys("", defaults)) {
      String value = env.get(environmentName(key));
      if (value != null) {
        out.put(key, value);
      }
    }
    return out;
  }

  /** registrywatcher treats any set DEBUG as on; explicit false-like values still mean off. */
  private static String debug(String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "false", "no", "0", "off" -> "false";
      default -> "true";
    };
  }

  public static String environmentName(String key) {
    return "TUGBOAT_" + key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('.', '_').toUpperCase(Locale.ROOT);
  }

  private Map<String, String> setOverrides(JsonObject defaults) {
    List<String> known = leafKeys("", defaults);
    for (String key : sets.keySet()) {
      if (!known.contains(key)) {
        throw new ConfigException(key, "unknown key (known keys: " + String.join(", ", known) + ")");
      }
    }
    return sets;
  }

  private static List<String> leafKeys(String prefix, JsonObject tree) {
    List<String> keys = new java.util.ArrayList<>();
    tree.forEach(e -> {
      String key = prefix + e.getKey();
      if (e.getValue() instanceof JsonObject child) {
        keys.addAll(leafKeys(key + ".", child));
      } else {
        keys.add(key);
      }
    });
    return keys;
  }

  /** Flat {@code a.b=v} pairs into a nested object; values stay strings and are typed by {@link Settings}. */
  private static JsonObject nested(Map<String, String> flat) {
    JsonObject root = new JsonObject();
    flat.forEach((key, value) -> {
      String[] parts = key.split("\\.");
      JsonObject node = root;
      for (int i = 0; i < parts.length - 1; i++) {
        JsonObject next = node.getJsonObject(parts[i]);
        if (next == null) {
          next = new JsonObject();
          node.put(parts[i], next);
        }
        node = next;
      }
      node.put(parts[parts.length - 1], value);
    });
    return root;
  }

  private static void rejectUnknownKeys(String prefix, JsonObject known, JsonObject given) {
    for (String name : given.fieldNames()) {
      String key = prefix + name;
      if (!known.containsKey(name)) {
        throw new ConfigException(key, "unknown key");
      }
      Object knownValue = known.getValue(name);
      Object value = given.getValue(name);
      if (knownValue instanceof JsonObject knownChild) {
        if (!(value instanceof JsonObject child)) {
          throw new ConfigException(key, "expected a section with keys " + knownChild.fieldNames());
        }
        rejectUnknownKeys(key + ".", knownChild, child);
      } else if (knownValue instanceof JsonArray && value != null && !(value instanceof JsonArray)
          && !(value instanceof String)) { // a string is a JSON list from the environment or --set
        throw new ConfigException(key, "expected a list");
      }
    }
  }
}
