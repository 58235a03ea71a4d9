package dev.tugboat.transfer;

import dev.tugboat.api.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A submitted job, validated: {@code {source: {endpoint, image, ref, verify_tls?, auth?}, targets: [{endpoint,
 * overwrite?, verify_tls?, auth?}], issuer?, retries_left?}} (the transfer service's model; {@code id} and
 * {@code status} are accepted and ignored as there). TLS is verified unless {@code verify_tls} is false.
 * Secrets are kept apart ({@link #secrets()}) so the stored request never holds one.
 */
record TransferRequest(Source source, List<Target> targets, String issuer, Integer retries) {
  private static final Pattern REPOSITORY = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
  private static final Set<String> TOP = Set.of("source", "targets", "issuer", "retries_left", "id", "status");
  private static final Set<String> SOURCE = Set.of("endpoint", "image", "ref", "verify_tls", "auth");
  private static final Set<String> TARGET = Set.of("endpoint", "overwrite", "verify_tls", "auth");

  record Source(Endpoint endpoint, String image, String ref, boolean verifyTls, Credentials auth) {}

  record Target(Endpoint endpoint, boolean overwrite, boolean verifyTls, Credentials auth) {}

  static TransferRequest parse(JsonObject body) {
    known(body, TOP, "");
    JsonObject source = object(body, "source", "source");
    known(source, SOURCE, "source.");
    Source src = new Source(Endpoint.parse("source.endpoint", text(source, "endpoint", "source.endpoint")),
        matching(text(source, "image", "source.image"), REPOSITORY, "source.image", "a repository name"),
        ref(text(source, "ref", "source.ref")), bool(source, "verify_tls", "source.verify_tls", true),
        Credentials.parse("source.auth", source.getValue("auth")));
    Object list = body.getValue("targets");
    if (!(list instanceof JsonArray targets) || targets.isEmpty()) {
      throw ApiError.invalid("targets", list == null ? "Missing field: targets" : "targets: expected a non-empty list");
    }
    List<Target> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (int i = 0; i < targets.size(); i++) {
      String field = "targets[" + i + "]";
      if (!(targets.getValue(i) instanceof JsonObject target)) {
        throw ApiError.invalid(field, field + ": expected an object");
      }
      known(target, TARGET, field + ".");
      Target t = new Target(Endpoint.parse(field + ".endpoint", text(target, "endpoint", field + ".endpoint")),
          bool(target, "overwrite", field + ".overwrite", false), bool(target, "verify_tls", field + ".verify_tls", true),
          Credentials.parse(field + ".auth", target.getValue("auth")));
      if (seen.add(t.endpoint().url())) { // a repeated endpoint is copied to once, as the transfer service did
        out.add(t);
      }
    }
    Object issuer = body.getValue("issuer");
    Object retries = body.getValue("retries_left");
    if (retries != null && (!(retries instanceof Number n) || n.intValue() < 1 || n.intValue() > 100)) {
      throw ApiError.invalid("retries_left", "retries_left: expected a whole number from 1 to 100");
    }
    return new TransferRequest(src, List.copyOf(out), issuer == null ? null : String.valueOf(issuer),
        retries == null ? null : ((Number) retries).intValue());
  }

  /** The job as stored and shown: no credentials, only whether there were some. */
  JsonObject toJson() {
    JsonArray list = new JsonArray();
    targets.forEach(t -> list.add(new JsonObject().put("endpoint", t.endpoint().url()).put("overwrite", t.overwrite())
        .put("verify_tls", t.verifyTls()).put("auth", t.auth() != null)));
    return new JsonObject()
        .put("source", new JsonObject().put("endpoint", source.endpoint().url()).put("image", source.image())
            .put("ref", source.ref()).put("verify_tls", source.verifyTls()).put("auth", source.auth() != null))
        .put("targets", list).put("issuer", issuer);
  }

  /** The credentials, to be sealed; null when the job has none. */
  JsonObject secrets() {
    if (source.auth() == null && targets.stream().allMatch(t -> t.auth() == null)) {
      return null;
    }
    JsonArray list = new JsonArray();
    targets.forEach(t -> list.add(t.auth() == null ? null : t.auth().toJson()));
    return new JsonObject().put("source", source.auth() == null ? null : source.auth().toJson()).put("targets", list);
  }

  /** A stored job (public part plus unsealed secrets) back as a request. */
  static TransferRequest restore(JsonObject stored, JsonObject secrets) {
    JsonObject body = stored.copy();
    body.remove("issuer");
    JsonObject source = body.getJsonObject("source");
    source.remove("auth");
    JsonArray targets = body.getJsonArray("targets");
    for (int i = 0; i < targets.size(); i++) {
      targets.getJsonObject(i).remove("auth");
      if (secrets != null && secrets.getJsonArray("targets").getValue(i) != null) {
        targets.getJsonObject(i).put("auth", secrets.getJsonArray("targets").getJsonObject(i));
      }
    }
    if (secrets != null && secrets.getValue("source") != null) {
      source.put("auth", secrets.getJsonObject("source"));
    }
    TransferRequest parsed = parse(body);
    return new TransferRequest(parsed.source(), parsed.targets(), stored.getString("issuer"), null);
  }

  private static void known(JsonObject json, Set<String> keys, String prefix) {
    for (String key : json.fieldNames()) {
      if (!keys.contains(key)) {
        throw ApiError.invalid(prefix + key, "Failed to parse data: unknown field " + prefix + key);
      }
    }
  }

  private static JsonObject object(JsonObject json, String key, String field) {
    Object v = json.getValue(key);
    if (v == null) {
      throw ApiError.invalid(field, "Failed to parse data: Missing field: " + field);
    }
    if (!(v instanceof JsonObject o)) {
      throw ApiError.invalid(field, field + ": expected an object");
    }
    return o;
  }

  private static String text(JsonObject json, String key, String field) {
    Object v = json.getValue(key);
    if (v == null) {
      throw ApiError.invalid(field, "Failed to parse data: Missing field: " + field);
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw ApiError.invalid(field, field + ": expected non-empty text");
    }
    return s.trim();
  }

  private static boolean bool(JsonObject json, String key, String field, boolean fallback) {
    Object v = json.getValue(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(s); // the seed's README shows booleans as strings
    }
    throw ApiError.invalid(field, field + ": expected true or false");
  }

  private static String matching(String value, Pattern pattern, String field, String what) {
    if (!pattern.matcher(value).matches() || value.length() > 255) {
      throw ApiError.invalid(field, field + ": '" + value + "' is not " + what);
    }
    return value;
  }

  private static String ref(String value) {
    if (DIGEST.matcher(value).matches() || TAG.matcher(value).matches()) {
      return value;
    }
    throw ApiError.invalid("source.ref", "source.ref: '" + value + "' is neither a tag nor a sha256 digest");
  }
}
