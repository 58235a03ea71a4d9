package dev.tugboat.deploy;

import dev.tugboat.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys with the Nomad HTTP API: reads the job, sets {@code Config.image} (and {@code force_pull}) of the
 * mapped tasks, flips {@code Meta.restart} so a digest-only change still makes a new job version (other
 * Meta keys kept), registers with {@code EnforceIndex} (a concurrent change is re-read and re-applied), then
 * follows the evaluation and the deployment with blocking queries until final or {@code deploy.timeout}.
 * Every call carries the watch's (else the configured) {@code namespace} and the configured {@code region}.
 */
public final class NomadDeployer implements Deployer {
  private static final Logger LOG = LoggerFactory.getLogger(NomadDeployer.class);
  private static final int REGISTER_ATTEMPTS = 5;
  /** Pause before asking again when an answer brought nothing new or a request failed: never a tight loop. */
  private static final long PAUSE_MS = 1000;
  private static final Set<String> EVAL_FINAL = Set.of("complete", "failed", "canceled", "cancelled");
  private static final Set<String> DEPLOYMENT_FINAL = Set.of("successful", "failed", "cancelled", "canceled");

  private final Vertx vertx;
  private final WebClient client;
  private final Settings.Deploy settings;
  private final Clock clock;

  public NomadDeployer(Vertx vertx, WebClient client, Settings.Deploy settings, Clock clock) {
    this.vertx = vertx;
    this.client = client;
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public Future<Result> deploy(Deployment d, Tracker tracker) {
    Instant deadline = (d.startedAt() == null ? clock.instant() : d.startedAt()).plus(settings.timeout());
    Future<String> eval = d.evalId() != null ? Future.succeededFuture(d.evalId()) : register(d, 1)
        .compose(evalId -> tracker.submitted(evalId).map(v -> evalId));
    return eval.compose(evalId -> {
      if (evalId == null) { // a job without an evaluation (e.g. periodic/parameterized): nothing to follow
        return Future.succeededFuture(success(d, "registered; Nomad created no evaluation"));
      }
      return d.nomadDeploymentId() != null ? followDeployment(d, d.nomadDeploymentId(), deadline, tracker)
          : followEvaluation(d, evalId, deadline, tracker);
    }).recover(failure -> {
      if (!tracker.owned()) { // stopping or lease lost: whoever holds the row next decides how it ends
        LOG.info("deployment {} of {} abandoned here ({}); the next holder continues it", d.id(), d.image(),
            failure.getMessage());
        return Future.succeededFuture(null);
      }
      if (failure instanceof Unmapped unmapped) {
        return Future.succeededFuture(new Result(Deployment.State.FAILED, unmapped.getMessage(),
            Notice.unmapped(d.repo(), d.job(), String.join(", ", d.tasks()))));
      }
      String reason = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
      LOG.warn("deployment {} of {} to job {} failed: {}", d.id(), d.image(), d.job(), reason);
      return Future.succeededFuture(new Result(Deployment.State.FAILED, reason,
          Notice.registerFailed(d.repo(), d.job(), d.toTag())));
    });
  }

  /** Thrown when none of the mapped tasks exists in the job. */
  private static final class Unmapped extends RuntimeException {
    Unmapped(String message) {
      super(message, null, false, false);
    }
  }

  /** Registers the job with the new image; answers the evaluation id (null when Nomad created none). */
  private Future<String> register(Deployment d, int attempt) {
    String path = "/v1/job/" + encode(d.job());
    return send(namespace(d), HttpMethod.GET, path, null, "GET job " + d.job()).compose(response -> {
      JsonObject job = response.bodyAsJsonObject();
      int mapped = setImage(job, d);
      if (mapped == 0) {
        return Future.failedFuture(new Unmapped("no task named " + d.tasks() + " in Nomad job " + d.job()));
      }
      JsonObject meta = job.getJsonObject("Meta") == null ? new JsonObject() : job.getJsonObject("Meta").copy();
      meta.put("restart", "bar".equals(meta.getString("restart")) ? "foo" : "bar");
      job.put("Meta", meta);
      if (!settings.nomad().vaultToken().isEmpty()) {
        job.put("VaultToken", settings.nomad().vaultToken());
      }
      JsonObject body = new JsonObject().put("Job", job).put("EnforceIndex", true)
          .put("JobModifyIndex", job.getLong("JobModifyIndex", 0L));
      return send(namespace(d), HttpMethod.POST, path, body, "register job " + d.job());
    }).map(response -> {
      JsonObject answer = response.bodyAsJsonObject();
      String evalId = answer.getString("EvalID", "");
      return evalId.isEmpty() ? null : evalId;
    }).recover(failure -> {
      if (failure instanceof NomadException n && n.indexConflict() && attempt < REGISTER_ATTEMPTS) {
        LOG.info("job {} changed while deploying {} (attempt {}): reading it again", d.job(), d.toTag(), attempt);
        return register(d, attempt + 1);
      }
      return Future.failedFuture(failure);
    });
  }

  /** Sets the image on every mapped task; returns how many tasks were mapped. */
  static int setImage(JsonObject job, Deployment d) {
    int mapped = 0;
    JsonArray groups = job.getJsonArray("TaskGroups", new JsonArray());
    for (int g = 0; g < groups.size(); g++) {
      JsonArray tasks = groups.getJsonObject(g).getJsonArray("Tasks", new JsonArray());
      for (int t = 0; t < tasks.size(); t++) {
        JsonObject task = tasks.getJsonObject(t);
        if (d.tasks().contains(task.getString("Name"))) {
          JsonObject config = task.getJsonObject("Config");
          if (config == null) {
            config = new JsonObject();
            task.put("Config", config);
          }
          config.put("image", d.image()).put("force_pull", true);
          mapped++;
        }
      }
    }
    return mapped;
  }

  private Future<Result> followEvaluation(Deployment d, String evalId, Instant deadline, Tracker tracker) {
    return watch(namespace(d), "/v1/evaluation/" + encode(evalId), 0, deadline, tracker, e -> EVAL_FINAL.contains(status(e)))
        .compose(eval -> {
          if (eval == null) {
            return Future.succeededFuture(tracker.owned() ? timeout(d, "evaluation pending") : null);
          }
          String status = status(eval);
          if (!status.equals("complete")) {
            return Future.succeededFuture(failure(d, "evaluation " + evalId + " " + status + describe(eval)));
          }
          String deploymentId = eval.getString("DeploymentID", "");
          if (deploymentId.isEmpty()) {
            return Future.succeededFuture(success(d, "evaluation complete; Nomad created no deployment (no update strategy)"));
          }
          return tracker.deploymentFound(deploymentId, null)
              .compose(v -> followDeployment(d, deploymentId, deadline, tracker));
        });
  }

  private Future<Result> followDeployment(Deployment d, String deploymentId, Instant deadline, Tracker tracker) {
    String path = "/v1/deployment/" + encode(deploymentId);
    JsonObject[] last = new JsonObject[1];
    return watch(namespace(d), path, 0, deadline, tracker, dep -> {
      last[0] = dep;
      return DEPLOYMENT_FINAL.contains(status(dep));
    }).compose(dep -> {
      if (dep == null) {
        return Future.succeededFuture(!tracker.owned() ? null
            : timeout(d, last[0] == null ? "unknown" : status(last[0])));
      }
      Long version = dep.getLong("JobVersion");
      Future<Void> recorded = version == null ? Future.succeededFuture() : tracker.deploymentFound(deploymentId, version);
      return recorded.map(v -> status(dep).equals("successful")
          ? success(d, "deployment " + deploymentId + " successful" + describe(dep))
          : failure(d, "deployment " + deploymentId + " " + status(dep) + describe(dep)));
    });
  }

  /**
   * Blocking queries on one object until {@code done}, the deadline (null) or a lost lease (null): each
   * request waits at most {@code deploy.nomad.wait} for the object's index to pass the last one seen.
   */
  private Future<JsonObject> watch(String namespace, String path, long index, Instant deadline, Tracker tracker,
                                   Predicate<JsonObject> done) {
    long remaining = Duration.between(clock.instant(), deadline).toMillis();
    if (remaining <= 0 || !tracker.owned()) {
      return Future.succeededFuture(null);
    }
    long waitMs = Math.max(1, Math.min(remaining, settings.nomad().blockingWait().toMillis()));
    String query = path + "?index=" + index + "&wait=" + waitMs + "ms";
    return send(namespace, HttpMethod.GET, query, null, "GET " + path).transform(ar -> {
      if (ar.failed()) {
        LOG.warn("{} failed ({}); asking again in {} ms", path, ar.cause().getMessage(), PAUSE_MS);
        return vertx.timer(PAUSE_MS).compose(t -> watch(namespace, path, index, deadline, tracker, done));
      }
      JsonObject body = ar.result().bodyAsJsonObject();
      if (done.test(body)) {
        return Future.succeededFuture(body);
      }
      long next = parseIndex(ar.result().getHeader("X-Nomad-Index"));
      if (next > index) {
        return watch(namespace, path, next, deadline, tracker, done);
      }
      return vertx.timer(Math.min(PAUSE_MS, remaining)).compose(t -> watch(namespace, path, index, deadline, tracker, done));
    });
  }

  private Future<HttpResponse<Buffer>> send(String namespace, HttpMethod method, String path, JsonObject body,
                                            String operation) {
    HttpRequest<Buffer> request = client.requestAbs(method, url(namespace, path))
        .timeout(settings.nomad().blockingWait().toMillis() + 30_000);
    if (!settings.nomad().token().isEmpty()) {
      request.putHeader("X-Nomad-Token", settings.nomad().token());
    }
    Future<HttpResponse<Buffer>> sent = body == null ? request.send() : request.sendJsonObject(body);
    return sent.compose(response -> response.statusCode() / 100 == 2 ? Future.succeededFuture(response)
        : Future.failedFuture(new NomadException(operation, response.statusCode(), response.bodyAsString())));
  }

  /** The watch's namespace, else {@code deploy.nomad.namespace} (empty: Nomad's default). */
  private String namespace(Deployment d) {
    return d.namespace().isEmpty() ? settings.nomad().namespace() : d.namespace();
  }

  /** The API URL of {@code path} in {@code namespace} and the configured region (Nomad's defaults when empty). */
  private String url(String namespace, String path) {
    StringBuilder url = new StringBuilder(settings.nomad().address().replaceAll("/+$", "")).append(path);
    char separator = path.contains("?") ? '&' : '?';
    if (!namespace.isEmpty()) {
      url.append(separator).append("namespace=").append(encode(namespace));
      separator = '&';
    }
    if (!settings.nomad().region().isEmpty()) {
      url.append(separator).append("region=").append(encode(settings.nomad().region()));
    }
    return url.toString();
  }

  private Result success(Deployment d, String message) {
    return new Result(Deployment.State.SUCCESSFUL, message, Notice.succeeded(d.repo(), d.job(), d.toTag()));
  }

  private Result failure(Deployment d, String message) {
    return new Result(Deployment.State.FAILED, message, Notice.failed(d.repo(), d.job(), d.toTag()));
  }

  private Result timeout(Deployment d, String status) {
    return new Result(Deployment.State.TIMEOUT, "not final after " + settings.timeout().toSeconds() + " s (status "
        + status + ")", Notice.timeout(d.repo(), d.job(), d.toTag(), status));
  }

  private static String status(JsonObject object) {
    return object.getString("Status", "");
  }

  private static String describe(JsonObject object) {
    String description = object.getString("StatusDescription", "");
    return description.isEmpty() ? "" : ": " + description;
  }

  private static long parseIndex(String header) {
    try {
      return header == null ? 0 : Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
