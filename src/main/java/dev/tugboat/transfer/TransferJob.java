package dev.tugboat.transfer;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A job row. {@code secrets} is the sealed credentials (never shown; null once the job is over). {@code attempts}
 * counts attempts started (at most {@code maxAttempts}); {@code takeovers} how often a node resumed the job
 * after the node running it was lost (its lease ran out), which is not a new attempt; {@code node} the node
 * holding the job's lease (null when none does).
 */
record TransferJob(String id, String state, JsonObject request, String secrets, JsonObject progress, int attempts,
                   int maxAttempts, int takeovers, String lastError, boolean cancelled, Instant createdAt,
                   Instant finishedAt, String node) {
  /** The transfer service's timestamp form: microseconds and {@code +00:00}. */
  private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx")
      .withZone(ZoneOffset.UTC);

  boolean over() {
    return state.equals("FINISHED") || state.equals("FAILED");
  }

  /** The status answer: the transfer service's fields, then Tugboat's. */
  JsonObject toApi() {
    Progress p = Progress.fromJson(progress);
    JsonArray targets = new JsonArray();
    p.targets.forEach(t -> targets.add(t.toJson()));
    JsonObject source = request.getJsonObject("source");
    return new JsonObject()
        .put("value", state)
        .put("started_at", ISO.format(createdAt))
        .put("finished_endpoints", new JsonArray(p.endpoints(Progress.State.FINISHED)))
        .put("skipped_clusters", new JsonArray(p.endpoints(Progress.State.SKIPPED)))
        .put("finished_at", finishedAt == null ? null : ISO.format(finishedAt))
        .put("id", id)
        .put("source", new JsonObject().put("endpoint", source.getString("endpoint"))
            .put("image", source.getString("image")).put("ref", source.getString("ref")))
        .put("issuer", request.getString("issuer"))
        .put("digest", p.digest)
        .put("attempts", attempts)
        .put("max_attempts", maxAttempts)
        .put("takeovers", takeovers)
        .put("last_error", lastError)
        .put("cancelled", cancelled)
        .put("node", node)
        .put("targets", targets);
  }
}
