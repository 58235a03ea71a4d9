package dev.tugboat.deploy;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/** One deployment of a watched repository's image to its Nomad job: the history row and the queued work. */
public record Deployment(String id, String repo, String job, java.util.List<String> tasks, String image, String fromTag, String fromDigest,
                         String toTag, String toDigest, String reason, State state, String evalId,
                         String nomadDeploymentId, Long jobVersion, String message, Instant createdAt,
                         Instant startedAt, Instant finishedAt, String namespace) {

  public enum State {
    PENDING, RUNNING, SUCCESSFUL, FAILED, TIMEOUT, DRY_RUN
  }

  /** A new deployment, not yet stored. */
  public static Deployment request(String id, String repo, String job, java.util.List<String> tasks, String image, String fromTag, String fromDigest,
                                   String toTag, String toDigest, String reason, Instant now, String namespace) {
    return new Deployment(id, repo, job, List.copyOf(tasks), image, fromTag, fromDigest, toTag, toDigest, reason, State.PENDING, null, null,
        null, null, now, null, null, namespace);
  }

  /** The key of the job's deploy lock: the same job ID in two namespaces is two jobs. */
  public String lockKey() {
    return namespace.isEmpty() ? job : namespace + "/" + job;
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("repo", repo).put("job", job).put("namespace", namespace).put("tasks", new io.vertx.core.json.JsonArray(tasks)).put("image", image)
        .put("from", new JsonObject().put("tag", fromTag).put("digest", fromDigest))
        .put("to", new JsonObject().put("tag", toTag).put("digest", toDigest))
        .put("reason", reason).put("state", state.name()).put("eval_id", evalId)
        .put("nomad_deployment_id", nomadDeploymentId).put("job_version", jobVersion).put("message", message)
        .put("created_at", text(createdAt)).put("started_at", text(startedAt)).put("finished_at", text(finishedAt));
  }

  private static String text(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
