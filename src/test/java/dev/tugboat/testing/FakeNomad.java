package dev.tugboat.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The one test double (DESIGN: no Nomad binary here): an HTTP server following Nomad's documented API for
 * what a deployer uses. Jobs carry a raft {@code JobModifyIndex}/{@code ModifyIndex} and {@code Version};
 * {@code POST /v1/job/:id} honours {@code EnforceIndex} (a mismatch is Nomad's 500 "Enforcing job modify
 * index …"), creates an evaluation (pending → complete) that creates a deployment (running → successful or
 * failed, or left running); {@code GET /v1/evaluation/:id} and {@code /v1/deployment/:id} are blocking queries
 * ({@code ?index=&wait=}, {@code X-Nomad-Index}). ACL: {@code X-Nomad-Token} must match when a token is set.
 * Namespaces: jobs, evaluations and deployments are found only with their job's {@code ?namespace=} (absent =
 * {@code default}), as Nomad answers 404 for an object of another namespace.
 * All state lives on the fake's own event loop.
 */
public final class FakeNomad implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final io.vertx.core.Context context = vertx.getOrCreateContext(); // one event loop owns all state
  private final String token;
  private final long evalDelayMs;
  private final long deploymentDelayMs;
  private HttpServer server;
  private long index = 10;
  private final Map<String, JsonObject> jobs = new HashMap<>();
  private final Map<String, JsonObject> evals = new HashMap<>();
  private final Map<String, JsonObject> deployments = new HashMap<>();
  private final Map<String, List<Runnable>> waiters = new HashMap<>();
  private final Map<String, String> outcomes = new HashMap<>();
  private final Map<String, String> descriptions = new HashMap<>();
  private final Set<String> changeBeforeRegister = new HashSet<>();
  private final List<JsonObject> registrations = new CopyOnWriteArrayList<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<String> conflicts = new CopyOnWriteArrayList<>();

  private FakeNomad(String token, long evalDelayMs, long deploymentDelayMs) {
    this.token = token;
    this.evalDelayMs = evalDelayMs;
    this.deploymentDelayMs = deploymentDelayMs;
  }

  public static FakeNomad start(String token) {
    FakeNomad fake = new FakeNomad(token, 150, 600);
    io.vertx.core.Promise<HttpServer> listening = io.vertx.core.Promise.promise();
    fake.context.runOnContext(v -> fake.vertx.createHttpServer().requestHandler(fake::handle).listen(0, "127.0.0.1")
        .onComplete(listening));
    fake.server = listening.future().await();
    return fake;
  }

  public String address() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** A service job with one group holding {@code tasks} (docker driver), plus the given Meta. */
  public void putJob(String id, List<String> tasks, JsonObject meta) {
    putJob("default", id, tasks, meta);
  }

  /** As {@link #putJob(String, List, JsonObject)} in Nomad namespace {@code namespace}. */
  public void putJob(String namespace, String id, List<String> tasks, JsonObject meta) {
    io.vertx.core.json.JsonArray taskList = new io.vertx.core.json.JsonArray();
    tasks.forEach(t -> taskList.add(new JsonObject().put("Name", t).put("Driver", "docker")
        .put("Config", new JsonObject().put("image", "busybox:1").put("ports", new io.vertx.core.json.JsonArray().add("http")))));
    JsonObject job = new JsonObject().put("ID", id).put("Name", id).put("Type", "service").put("Namespace", namespace)
        .put("Meta", meta).put("Version", 0).put("TaskGroups", new io.vertx.core.json.JsonArray()
            .add(new JsonObject().put("Name", "group").put("Count", 1).put("Tasks", taskList)
                .put("Update", new JsonObject().put("MaxParallel", 1))))
        .put("Tasks", taskList.copy()); // a second copy outside TaskGroups: must be left alone
    onLoop(() -> store(job));
  }

  public JsonObject job(String id) {
    return onLoopGet(() -> jobs.get(id) == null ? null : jobs.get(id).copy());
  }

  /** The next deployment of {@code job} ends {@code successful} (default), {@code failed}, or stays {@code running}. */
  public void nextOutcome(String job, String status) {
    onLoop(() -> outcomes.put(job, status));
  }

  /** As {@link #nextOutcome(String, String)}, the deployment ending with {@code description} as its StatusDescription. */
  public void nextOutcome(String job, String status, String description) {
    onLoop(() -> {
      outcomes.put(job, status);
      descriptions.put(job, description);
    });
  }

  /** Ends the running deployments of {@code job} with {@code status} ({@code successful} or {@code failed}). */
  public void finishRunning(String job, String status) {
    onLoop(() -> deployments.values().stream()
        .filter(d -> job.equals(d.getString("JobID")) && d.getString("Status").equals("running")).toList()
        .forEach(d -> {
          d.put("Status", status).put("ModifyIndex", ++index).put("StatusDescription", status);
          changed(d.getString("ID"), d);
        }));
  }

  /** Someone else changes the job right before the next register is processed: EnforceIndex must catch it. */
  public void changeBeforeNextRegister(String job) {
    onLoop(() -> changeBeforeRegister.add(job));
  }

  /** Accepted register bodies ({@code {Job, EnforceIndex, JobModifyIndex}}), in order. */
  public List<JsonObject> registrations(String job) {
    return registrations.stream().filter(r -> job.equals(r.getJsonObject("Job").getString("ID"))).toList();
  }

  public List<String> conflicts() {
    return List.copyOf(conflicts);
  }

  /** Every request line received ("GET /v1/evaluation/…?index=…"). */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  private void handle(HttpServerRequest request) {
    requests.add(request.method() + " " + request.uri());
    if (token != null && !token.equals(request.getHeader("X-Nomad-Token"))) {
      request.response().setStatusCode(403).end("Permission denied");
      return;
    }
    String path = java.net.URLDecoder.decode(request.path().replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    String namespace = request.getParam("namespace", "default");
    if (path.startsWith("/v1/job/") && request.method().name().equals("POST")) {
      request.body().onSuccess(body -> register(request, namespace, path.substring("/v1/job/".length()),
          body.toJsonObject()));
    } else if (path.startsWith("/v1/job/")) {
      JsonObject job = inNamespace(jobs.get(path.substring("/v1/job/".length())), namespace);
      respond(request, job, job == null ? 0 : job.getLong("ModifyIndex"), "job not found");
    } else if (path.startsWith("/v1/evaluation/")) {
      blocking(request, evals, path.substring("/v1/evaluation/".length()), namespace, "eval not found");
    } else if (path.startsWith("/v1/deployment/")) {
      blocking(request, deployments, path.substring("/v1/deployment/".length()), namespace, "deployment not found");
    } else {
      request.response().setStatusCode(404).end("Invalid URL");
    }
  }

  private static JsonObject inNamespace(JsonObject object, String namespace) {
    return object != null && namespace.equals(object.getString("Namespace", "default")) ? object : null;
  }

  private void register(HttpServerRequest request, String namespace, String id, JsonObject body) {
    JsonObject job = body.getJsonObject("Job");
    if (job == null || !id.equals(job.getString("ID"))) {
      request.response().setStatusCode(400).end("Job ID does not match name");
      return;
    }
    if (!namespace.equals(job.getString("Namespace", "default"))) {
      request.response().setStatusCode(400).end("Job namespace does not match request namespace");
      return;
    }
    JsonObject current = inNamespace(jobs.get(id), namespace);
    if (current != null && changeBeforeRegister.remove(id)) {
      JsonObject changed = current.copy();
      changed.getJsonObject("Meta").put("edited-by", "someone-else");
      store(changed);
      current = jobs.get(id);
    }
    if (Boolean.TRUE.equals(body.getBoolean("EnforceIndex"))) {
      long expected = body.getLong("JobModifyIndex", 0L);
      long actual = current == null ? 0 : current.getLong("JobModifyIndex");
      if (expected != actual) {
        conflicts.add(id);
        request.response().setStatusCode(500).end("Enforcing job modify index " + expected
            + ": job exists with conflicting job modify index: " + actual);
        return;
      }
    }
    registrations.add(body.copy());
    JsonObject stored = job.copy().put("Version", current == null ? 0 : current.getLong("Version") + 1);
    store(stored);
    JsonObject eval = new JsonObject().put("ID", UUID.randomUUID().toString()).put("JobID", id)
        .put("Namespace", namespace).put("Status", "pending").put("TriggeredBy", "job-register").put("ModifyIndex", ++index);
    evals.put(eval.getString("ID"), eval);
    vertx.setTimer(evalDelayMs, t -> completeEval(eval.getString("ID"), stored));
    request.response().putHeader("X-Nomad-Index", String.valueOf(index)).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("EvalID", eval.getString("ID")).put("EvalCreateIndex", eval.getLong("ModifyIndex"))
            .put("JobModifyIndex", stored.getLong("JobModifyIndex")).put("Warnings", "").encode());
  }

  private void completeEval(String evalId, JsonObject job) {
    JsonObject deployment = new JsonObject().put("ID", UUID.randomUUID().toString()).put("JobID", job.getString("ID"))
        .put("Namespace", job.getString("Namespace", "default"))
        .put("JobVersion", job.getLong("Version")).put("JobSpecModifyIndex", job.getLong("JobModifyIndex"))
        .put("Status", "running").put("StatusDescription", "Deployment is running").put("ModifyIndex", ++index);
    deployments.put(deployment.getString("ID"), deployment);
    JsonObject eval = evals.get(evalId).put("Status", "complete").put("DeploymentID", deployment.getString("ID"))
        .put("ModifyIndex", ++index);
    changed(evalId, eval);
    String outcome = outcomes.getOrDefault(job.getString("ID"), "successful");
    outcomes.remove(job.getString("ID"));
    String description = descriptions.remove(job.getString("ID"));
    if (!outcome.equals("running")) {
      vertx.setTimer(deploymentDelayMs, t -> {
        deployment.put("Status", outcome).put("ModifyIndex", ++index).put("StatusDescription", description != null
            ? description : outcome.equals("successful") ? "Deployment completed successfully" : "Failed due to unhealthy allocations");
        changed(deployment.getString("ID"), deployment);
      });
    }
  }

  private void store(JsonObject job) {
    index++;
    job.put("ModifyIndex", index).put("JobModifyIndex", index);
    jobs.put(job.getString("ID"), job);
  }

  private void changed(String id, JsonObject object) {
    List<Runnable> parked = waiters.remove(id);
    if (parked != null) {
      parked.forEach(Runnable::run);
    }
  }

  /** Answers at once when the object is newer than {@code index}; otherwise parks until it changes or wait passes. */
  private void blocking(HttpServerRequest request, Map<String, JsonObject> objects, String id, String namespace,
                        String missing) {
    JsonObject object = inNamespace(objects.get(id), namespace);
    if (object == null) {
      respond(request, null, 0, missing);
      return;
    }
    long after = parseLong(request.getParam("index"), 0);
    long wait = Math.min(parseWait(request.getParam("wait")), 600_000);
    if (object.getLong("ModifyIndex") > after || wait <= 0) {
      respond(request, object, object.getLong("ModifyIndex"), missing);
      return;
    }
    boolean[] answered = new boolean[1];
    Runnable answer = () -> {
      if (!answered[0]) {
        answered[0] = true;
        JsonObject now = objects.get(id);
        respond(request, now, now.getLong("ModifyIndex"), missing);
      }
    };
    waiters.computeIfAbsent(id, k -> new ArrayList<>()).add(answer);
    vertx.setTimer(wait, t -> answer.run());
  }

  private static void respond(HttpServerRequest request, JsonObject object, long modifyIndex, String missing) {
    if (object == null) {
      request.response().setStatusCode(404).end(missing);
      return;
    }
    request.response().putHeader("X-Nomad-Index", String.valueOf(modifyIndex))
        .putHeader("X-Nomad-KnownLeader", "true").putHeader("Content-Type", "application/json").end(object.encode());
  }

  private static long parseLong(String text, long fallback) {
    try {
      return text == null ? fallback : Long.parseLong(text);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** Go durations as Nomad takes them: 500ms, 5s, 5m; default 5m. */
  private static long parseWait(String text) {
    if (text == null) {
      return 300_000;
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m)").matcher(text);
    if (!m.matches()) {
      return 300_000;
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> n;
      case "s" -> n * 1000;
      default -> n * 60_000;
    };
  }

  private void onLoop(Runnable action) {
    onLoopGet(() -> {
      action.run();
      return null;
    });
  }

  private <T> T onLoopGet(java.util.function.Supplier<T> action) {
    io.vertx.core.Promise<T> promise = io.vertx.core.Promise.promise();
    context.runOnContext(v -> promise.complete(action.get()));
    return promise.future().await();
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
