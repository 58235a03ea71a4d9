package dev.tugboat.deploy;

import dev.tugboat.config.Settings;
import dev.tugboat.registry.EgressPolicy;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys with the Nomad HTTP API: reads the job, checks the mapping (then announces the deployment, as
 * registrywatcher did only once the tasks were found), sets {@code Config.image} of the mapped tasks (a plain tag
 * also gets {@code force_pull}; a digest-pinned reference needs none), flips {@code Meta.restart} so a digest-only
 * change still makes a new job version (other Meta keys kept), registers with {@code EnforceIndex} (a concurrent
 * change is re-read and re-applied), then follows the evaluation and the deployment with blocking queries until
 * final or {@code deploy.timeout}. Also reads what a job runs ({@link #running}). Every call carries the watch's
 * (else the configured) {@code namespace} and the configured {@code region}, obeys the egress policy, and has a
 * deadline: {@code egress.timeout}, beyond the wait of a blocking query.
 */
public final class NomadDeployer implements Deployer {
  private static final Logger LOG = LoggerFactory.getLogger(NomadDeployer.class);
  private static final int REGISTER_ATTEMPTS = 5;
  /** Meta key naming the Tugboat deployment that registered the job's current version. */
  static final String DEPLOYMENT_META = "tugboat_deployment";
  /** Pause before asking again when an answer brought nothing new or a request failed: never a tight loop. */
  private static final long PAUSE_MS = 1000;
  private static final Set<String> EVAL_FINAL = Set.of("complete", "failed", "canceled", "cancelled");
  private static final Set<String> DEPLOYMENT_FINAL = Set.of("successful", "failed", "cancelled", "canceled");

  private final Vertx vertx;
  private final WebClient client;
  private final Settings.Deploy settings;
  private final Clock clock;
  private final EgressPolicy egress;
  private final long callTimeoutMs;

  /** {@code client} should carry {@code egress.connectGuard()}; {@code callTimeout} is {@code egress.timeout}. */
  public NomadDeployer(Vertx vertx, WebClient client, Settings.Deploy settings, Clock clock, EgressPolicy egress,
                       Duration callTimeout) {
    this.vertx = vertx;
    this.client = client;
    this.settings = settings;
    this.clock = clock;
    this.egress = egress;
    this.callTimeoutMs = callTimeout.toMillis();
  }

  /**
   * The images the mapped tasks of {@code job} run: in the job as registered, and in its newest running
   * allocation (the job version that allocation was placed with, so a digest pinned there is what runs). Two reads
   * (the job, its allocations) while the newest running allocation is of the registered version; the allocation
   * itself is read only when it runs another one (a rollout under way, or a failed one).
   */
  @Override
  public Future<Current> running(String namespace, String job, List<String> tasks) {
    String ns = namespace.isEmpty() ? settings.nomad().namespace() : namespace;
    String path = "/v1/job/" + encode(job);
    return send(ns, HttpMethod.GET, path, null, "GET job " + job, callTimeoutMs).transform(read -> {
      if (read.failed()) {
        return read.cause() instanceof NomadException n && n.status() == 404
            ? Future.succeededFuture(Current.missing("job " + job + " is not in Nomad"))
            : Future.failedFuture(read.cause());
      }
      JsonObject registered = read.result().bodyAsJsonObject();
      List<String> images = images(registered, tasks);
      if (images.isEmpty()) {
        return Future.succeededFuture(Current.missing("no task named " + tasks + " in Nomad job " + job));
      }
      return send(ns, HttpMethod.GET, path + "/allocations", null, "GET allocations of " + job, callTimeoutMs)
          .compose(list -> {
            JsonObject newest = newestRunning(list.bodyAsJsonArray());
            if (newest == null) {
              return Future.succeededFuture(List.<String>of());
            }
            // a job version is immutable (Nomad bumps it on every spec change; an in-place update moves the
            // allocation's JobVersion too): an allocation of the registered version runs the registered images
            Long version = registered.getLong("Version");
            if (version != null && version.equals(newest.getLong("JobVersion"))) {
              return Future.succeededFuture(images);
            }
            return send(ns, HttpMethod.GET, "/v1/allocation/" + encode(newest.getString("ID")), null,
                "GET allocation of " + job, callTimeoutMs).map(alloc -> {
                  JsonObject placed = alloc.bodyAsJsonObject().getJsonObject("Job");
                  return placed == null ? List.<String>of() : images(placed, tasks);
                });
          })
          .map(running -> new Current(null, images, running));
    });
  }

  /** The stub of the running allocation of the newest job version (then the newest created), or null. */
  private static JsonObject newestRunning(JsonArray allocations) {
    JsonObject newest = null;
    for (int i = 0; i < allocations.size(); i++) {
      JsonObject a = allocations.getJsonObject(i);
      if (!"running".equals(a.getString("ClientStatus"))) {
        continue;
      }
      if (newest == null || a.getLong("JobVersion", 0L) > newest.getLong("JobVersion", 0L)
          || a.getLong("JobVersion", 0L).equals(newest.getLong("JobVersion", 0L))
          && a.getLong("CreateIndex", 0L) > newest.getLong("CreateIndex", 0L)) {
        newest = a;
      }
    }
    return newest;
  }

  /** The {@code Config.image} of each mapped task of {@code job}, in job order. */
  static List<String> images(JsonObject job, List<String> mapped) {
    return mappedTasks(job, mapped).stream().map(task -> task.getJsonObject("Config") == null ? ""
        : String.valueOf(task.getJsonObject("Config").getValue("image", ""))).toList();
  }

  /** The tasks of {@code job} (in every group, not the job-level {@code Tasks}) named in {@code mapped}. */
  private static List<JsonObject> mappedTasks(JsonObject job, List<String> mapped) {
    List<JsonObject> out = new ArrayList<>();
    JsonArray groups = job.getJsonArray("TaskGroups", new JsonArray());
    for (int g = 0; g < groups.size(); g++) {
      JsonArray tasks = groups.getJsonObject(g).getJsonArray("Tasks", new JsonArray());
      for (int t = 0; t < tasks.size(); t++) {
        if (mapped.contains(tasks.getJsonObject(t).getString("Name"))) {
          out.add(tasks.getJsonObject(t));
        }
      }
    }
    return out;
  }

  @Override
  public Future<Result> deploy(Deployment d, Tracker tracker) {
    Instant deadline = (d.startedAt() == null ? clock.instant() : d.startedAt()).plus(settings.timeout());
    Future<String> eval = d.evalId() != null ? Future.succeededFuture(d.evalId()) : register(d, 1, tracker)
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
      if (failure instanceof Unmapped unmapped) { // found before the deployment was announced: only the error is posted
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

  /**
   * Registers the job with the new image; answers the evaluation id (null when Nomad created none). The job's
   * {@value #DEPLOYMENT_META} names the deployment that registered it: a holder that died between Nomad's answer
   * and saving the evaluation leaves it behind, and the next holder follows that registration instead of making
   * a second one.
   */
  private Future<String> register(Deployment d, int attempt, Tracker tracker) {
    String path = "/v1/job/" + encode(d.job());
    return send(namespace(d), HttpMethod.GET, path, null, "GET job " + d.job(), callTimeoutMs).compose(response -> {
      JsonObject job = response.bodyAsJsonObject();
      JsonObject current = job.getJsonObject("Meta");
      if (current != null && d.id().equals(current.getString(DEPLOYMENT_META))) {
        return registeredBefore(d, job);
      }
      int mapped = setImage(job, d);
      if (mapped == 0) {
        return Future.failedFuture(new Unmapped("no task named " + d.tasks() + " in Nomad job " + d.job()));
      }
      Future<JsonObject> announced = attempt == 1 ? tracker.announce().map(job) : Future.succeededFuture(job);
      return announced.compose(ready -> registerAs(d, ready, path));
    }).recover(failure -> {
      if (failure instanceof NomadException n && n.indexConflict() && attempt < REGISTER_ATTEMPTS) {
        LOG.info("job {} changed while deploying {} (attempt {}): reading it again", d.job(), d.toTag(), attempt);
        return register(d, attempt + 1, tracker);
      }
      return Future.failedFuture(failure);
    });
  }

  /** The evaluation of the job version this deployment registered already (the newest of it), or null. */
  private Future<String> registeredBefore(Deployment d, JsonObject job) {
    long modifyIndex = job.getLong("JobModifyIndex", 0L);
    LOG.info("deployment {}: job {} was registered by it already (index {}); following that registration", d.id(),
        d.job(), modifyIndex);
    return send(namespace(d), HttpMethod.GET, "/v1/job/" + encode(d.job()) + "/evaluations", null,
        "GET evaluations of job " + d.job(), callTimeoutMs).map(response -> {
          JsonArray evals = response.bodyAsJsonArray();
          String newest = null;
          long newestIndex = -1;
          for (int i = 0; i < evals.size(); i++) {
            JsonObject eval = evals.getJsonObject(i);
            long created = eval.getLong("CreateIndex", 0L);
            if (eval.getLong("JobModifyIndex", -1L) == modifyIndex && created > newestIndex) {
              newest = eval.getString("ID");
              newestIndex = created;
            }
          }
          return newest;
        });
  }

  /** Registers {@code job} (its image set) as this deployment's: a new Meta.restart and the deployment's id. */
  private Future<String> registerAs(Deployment d, JsonObject job, String path) {
    JsonObject meta = job.getJsonObject("Meta") == null ? new JsonObject() : job.getJsonObject("Meta").copy();
    meta.put("restart", "bar".equals(meta.getString("restart")) ? "foo" : "bar");
    meta.put(DEPLOYMENT_META, d.id());
    job.put("Meta", meta);
    if (!settings.nomad().vaultToken().isEmpty()) {
      job.put("VaultToken", settings.nomad().vaultToken());
    }
    JsonObject body = new JsonObject().put("Job", job).put("EnforceIndex", true)
        .put("JobModifyIndex", job.getLong("JobModifyIndex", 0L));
    return send(namespace(d), HttpMethod.POST, path, body, "register job " + d.job(), callTimeoutMs).map(response -> {
      JsonObject answer = response.bodyAsJsonObject();
      String evalId = answer.getString("EvalID", "");
      return evalId.isEmpty() ? null : evalId;
    });
  }

  /** Sets the image on every mapped task (force_pull for a plain tag); returns how many tasks were mapped. */
  static int setImage(JsonObject job, Deployment d) {
    List<JsonObject> mapped = mappedTasks(job, d.tasks());
    for (JsonObject task : mapped) {
      JsonObject config = task.getJsonObject("Config");
      if (config == null) {
        config = new JsonObject();
        task.put("Config", config);
      }
      config.put("image", d.image());
      if (!d.image().contains("@")) { // a moved tag is pulled again; a digest cannot move
        config.put("force_pull", true);
      }
    }
    return mapped.size();
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
    return send(namespace, HttpMethod.GET, query, null, "GET " + path, waitMs + callTimeoutMs).transform(ar -> {
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

  /** One Nomad call: refused by the egress policy before it is sent, and failed at {@code deadlineMs} at the latest. */
  private Future<HttpResponse<Buffer>> send(String namespace, HttpMethod method, String path, JsonObject body,
                                            String operation, long deadlineMs) {
    String url = url(namespace, path);
    try {
      egress.check(url);
    } catch (EgressPolicy.Denied denied) {
      return Future.failedFuture(new NomadException(operation, denied.getMessage()));
    }
    // the request's own timeout (idle and connect) closes a stalled connection; the future's ends a trickling one
    HttpRequest<Buffer> request = client.requestAbs(method, url).timeout(deadlineMs);
    if (!settings.nomad().token().isEmpty()) {
      request.putHeader("X-Nomad-Token", settings.nomad().token());
    }
    Future<HttpResponse<Buffer>> sent = body == null ? request.send() : request.sendJsonObject(body);
    return sent.timeout(deadlineMs, TimeUnit.MILLISECONDS)
        .recover(failure -> Future.failedFuture(failure instanceof NomadException ? failure
            : new NomadException(operation, failure.getClass().getSimpleName() + ": " + failure.getMessage())))
        .compose(response -> response.statusCode() / 100 == 2 ? Future.succeededFuture(response)
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
