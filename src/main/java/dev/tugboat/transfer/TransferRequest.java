package dev.tugboat.transfer;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.JsonFields;
import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.registry.ImageReference;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A submitted job, validated: {@code {source: {endpoint, image, ref, verify_tls?, auth?}, targets: [{endpoint,
 * overwrite?, verify_tls?, auth?}], issuer?, retries_left?}} (the transfer service's model; {@code id} and
 * {@code status} are accepted and ignored as there). Image names, tags and digests follow {@link ImageReference}'s
 * grammar; lengths are the store's ({@link TransferStore}). TLS is verified unless {@code verify_tls} is false.
 * Secrets are kept apart ({@link #secrets()}) so the stored request never holds one.
 *
 * @param attempts the attempts the job asks for ({@code retries_left}; 0 counts as one, as the transfer service
 *     ran such a job once), or null for {@code transfer.retries}
 */
record TransferRequest(Source source, List<Target> targets, String issuer, Integer attempts) {
  /** The most attempts a job may ask for, as many as {@code transfer.retries} allows. */
  static final int MAX_RETRIES = 100;
  private static final Set<String> TOP = Set.of("source", "targets", "issuer", "retries_left", "id", "status");
  private static final Set<String> SOURCE = Set.of("endpoint", "image", "ref", "verify_tls", "auth");
  private static final Set<String> TARGET = Set.of("endpoint", "overwrite", "verify_tls", "auth");

  record Source(Endpoint endpoint, String image, String ref, boolean verifyTls, Credentials auth) {}

  record Target(Endpoint endpoint, boolean overwrite, boolean verifyTls, Credentials auth) {}

  /** A stored job, read as it was accepted (the egress policy is applied again by the clients that run it). */
  static TransferRequest parse(JsonObject body) {
    return parse(JsonFields.of(body, ""), EgressPolicy.OPEN);
  }

  /**
   * Reads a submitted job; a 400 names the field, also for an endpoint or token URL the egress policy refuses.
   * Messages never repeat what was sent: an endpoint or auth value may hold a secret.
   */
  static TransferRequest parse(JsonFields body, EgressPolicy egress) {
    body.allowOnly(TOP);
    JsonFields source = body.object("source").allowOnly(SOURCE);
    Source src = new Source(endpoint(source, egress), image(source), reference(source),
        bool(source, "verify_tls", true), auth(source, egress));
    List<JsonFields> list = body.objects("targets", TransferStore.TARGETS_MAX);
    if (list == null) {
      throw body.missing("targets");
    }
    if (list.isEmpty()) {
      throw ApiError.invalid("targets", "targets must hold at least one target");
    }
    List<Target> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (JsonFields target : list) {
      target.allowOnly(TARGET);
      Target t = new Target(endpoint(target, egress), bool(target, "overwrite", false),
          bool(target, "verify_tls", true), auth(target, egress));
      if (seen.add(t.endpoint().url())) { // a repeated endpoint is copied to once, as the transfer service did
        out.add(t);
      }
    }
    String issuer = body.string("issuer", TransferStore.ISSUER_MAX, null);
    Integer attempts = body.has("retries_left")
        ? (int) Math.max(1, body.integer("retries_left", 0, MAX_RETRIES, null)) : null;
    return new TransferRequest(src, List.copyOf(out), issuer, attempts);
  }

  private static Endpoint endpoint(JsonFields fields, EgressPolicy egress) {
    Endpoint endpoint = Endpoint.parse(fields.field("endpoint"), fields.text("endpoint", TransferStore.ENDPOINT_MAX));
    allowed(egress, fields.field("endpoint"), endpoint.url());
    return endpoint;
  }

  private static Credentials auth(JsonFields fields, EgressPolicy egress) {
    Credentials auth = Credentials.parse(fields.optionalObject("auth"));
    if (auth != null && auth.url() != null) {
      allowed(egress, fields.field("auth") + ".url", auth.url());
    }
    return auth;
  }

  /** A 400 of its own code (not a parse error) when the policy refuses the URL's host. */
  private static void allowed(EgressPolicy egress, String field, String url) {
    try {
      egress.check(url);
    } catch (EgressPolicy.Denied denied) {
      throw new ApiError(400, "egress_denied", field + ": " + denied.getMessage(), field);
    }
  }

  private static String image(JsonFields source) {
    String image = source.text("image", TransferStore.IMAGE_MAX);
    if (!ImageReference.isValidRepository(image)) {
      throw ApiError.invalid(source.field("image"), source.field("image") + " is not a repository name (lowercase"
          + " letters and digits, separated by '.', '_', '__', '-' or '/')");
    }
    return image;
  }

  private static String reference(JsonFields source) {
    String ref = source.text("ref", TransferStore.REFERENCE_MAX);
    if (!ImageReference.isValidTag(ref) && !ImageReference.isValidDigest(ref)) {
      throw ApiError.invalid(source.field("ref"), source.field("ref") + " is neither a tag nor a digest");
    }
    return ref;
  }

  /** A boolean; also {@code "true"}/{@code "false"} as text, as the transfer service's README writes them. */
  private static boolean bool(JsonFields fields, String key, boolean fallback) {
    if (fields.value(key) instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(s);
    }
    return fields.bool(key, fallback);
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
}
