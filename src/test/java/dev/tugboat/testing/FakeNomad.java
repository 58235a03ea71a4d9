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
 * ({@code ?index=&wait=}, {@code X-Nomad-Index}). Allocations as Nomad places them: a job starts with one running
 * allocation of its first version; a deployment places one of the new version ({@code pending}), which runs when the
 * deployment succeeds (the old ones are stopped: {@code complete}/{@code stop}) and fails with it (the old ones keep
 * running); {@code GET /v1/job/:id/allocations} lists stubs, {@code GET /v1/allocation/:id} answers the allocation
 * with the job version it was placed with ({@code Job}). {@code GET /v1/job/:id/deployment} is the latest deployment,
 * {@code /v1/job/:id/evaluations} the job's evaluations. ACL: {@code X-Nomad-Token} must match when a token is set.
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
  private final Map<String, JsonObject> allocations = new java.util.LinkedHashMap<>();
  private final Map<String, List<Runnable>> waiters = new HashMap<>();
  private final Map<String, String> outcomes = new HashMap<>();
  private final Map<String, String> descriptions = new HashMap<>();
  private final Set<String> changeBeforeRegister = new HashSet<>();
  private final List<JsonObject> registrations = new CopyOnWriteArrayList<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<String> conflicts = new CopyOnWriteArrayList<>();
  private volatile boolean silent;

  private FakeNomad(String token, long evalDelayMs, long deploymentDelayMs) {
    this.token = token;
    this.evalDelayMs = evalDelayMs;
    this.deploymentDelayMs = deploymentDelayMs;
  }

  public static FakeNomad start(String token) {
    return start(token, "127.0.0.1");
  }

  /** A fake listening on another loopback address ({@code 127.0.0.2}), e.g. to be denied by the egress policy. */
  public static FakeNomad start(String token, String host) {
    FakeNomad fake = new FakeNomad(token, 150, 600);
    io.vertx.core.Promise<HttpServer> listening = io.vertx.core.Promise.promise();
    fake.context.runOnContext(v -> fake.vertx.createHttpServer().requestHandler(fake::handle).listen(0, host)
        .onComplete(listening));
    fake.server = listening.future().await();
    fake.host = host;
    return fake;
  }

  private String host;

  public String address() {
    return "http://" + host + ":" + server.actualPort();
  }

  /** A service job with one group holding {@code tasks} (docker driver), plus the given Meta. */
  public void putJob(String id, List<String> tasks, JsonObject meta) {
    putJob("default", id, tasks, meta);
  }

  /** As {@link #putJob(String, List, JsonObject)} in Nomad namespace {@code namespace}. */
  public void putJob(String namespace, String id, List<String> tasks, JsonObject meta) {
    Map<String, String> images = new java.util.LinkedHashMap<>();
    tasks.forEach(t -> images.put(t, "busybox:1"));
    putJob(namespace, id, images, meta);
  }

  /**
   * A service job that has been running for a while: its tasks (name → {@code Config.image}, docker driver) in one
   * group, version 0, one running allocation of it.
   */
  public void putJob(String namespace, String id, Map<String, String> taskImages, JsonObject meta) {
    io.vertx.core.json.JsonArray taskList = new io.vertx.core.json.JsonArray();
    taskImages.forEach((t, image) -> taskList.add(new JsonObject().put("Name", t).put("Driver", "docker")
        .put("Config", new JsonObject().put("image", image).put("ports", new io.vertx.core.json.JsonArray().add("http")))));
    JsonObject job = new JsonObject().put("ID", id).put("Name", id).put("Type", "service").put("Namespace", namespace)
        .put("Meta", meta).put("Version", 0).put("TaskGroups", new io.vertx.core.json.JsonArray()
            .add(new JsonObject().put("Name", "group").put("Count", 1).put("Tasks", taskList)
                .put("Update", new JsonObject().put("MaxParallel", 1))))
        .put("Tasks", taskList.copy()); // a second copy outside TaskGroups: must be left alone
    onLoop(() -> {
      allocations.values().removeIf(a -> id.equals(a.getString("JobID")));
      store(job);
      JsonObject alloc = place(job, null);
      alloc.put("ClientStatus", "running").getJsonObject("TaskStates").getJsonObject(tasksOf(job).get(0))
          .put("State", "running");
      markRunning(alloc);
    });
  }

  /**
   * Someone runs the job by hand with {@code image} for {@code task} ({@code nomad job run}): a new job version,
   * an evaluation and a deployment that succeeds, the new allocation running. Not one of {@link #registrations}.
   */
  public void runByHand(String id, String task, String image) {
    onLoop(() -> {
      JsonObject changed = jobs.get(id).copy();
      changed.getJsonArray("TaskGroups").getJsonObject(0).getJsonArray("Tasks").stream().map(JsonObject.class::cast)
          .filter(t -> task.equals(t.getString("Name"))).forEach(t -> t.getJsonObject("Config").put("image", image));
      changed.put("Version", changed.getLong("Version") + 1);
      store(changed);
      evaluate(changed, "successful", null);
    });
  }

  /** The allocations of {@code job} (stubs with their job version and client status), oldest first. */
  public List<JsonObject> allocations(String job) {
    return onLoopGet(() -> allocations.values().stream().filter(a -> job.equals(a.getString("JobID")))
        .map(a -> stub(a)).toList());
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
        .forEach(d -> settle(d, status)));
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

  /** From now on requests are recorded and never answered (a Nomad that hangs); false answers again. */
  public void silent(boolean on) {
    silent = on;
  }

  private void handle(HttpServerRequest request) {
    requests.add(request.method() + " " + request.uri());
    if (silent) {
      return;
    }
    if (token != null && !token.equals(request.getHeader("X-Nomad-Token"))) {
      request.response().setStatusCode(403).end("Permission denied");
      return;
    }
    String path = java.net.URLDecoder.decode(request.path().replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    String namespace = request.getParam("namespace", "default");
    if (path.startsWith("/v1/job/") && request.method().name().equals("POST")) {
      request.body().onSuccess(body -> register(request, namespace, path.substring("/v1/job/".length()),
          body.toJsonObject()));
    } else if (path.startsWith("/v1/job/") && path.endsWith("/allocations")) {
      String job = path.substring("/v1/job/".length(), path.length() - "/allocations".length());
      respondList(request, inNamespace(jobs.get(job), namespace) == null ? null : allocations.values().stream()
          .filter(a -> job.equals(a.getString("JobID"))).map(FakeNomad::stub).toList());
    } else if (path.startsWith("/v1/job/") && path.endsWith("/evaluations")) {
      String job = path.substring("/v1/job/".length(), path.length() - "/evaluations".length());
      respondList(request, inNamespace(jobs.get(job), namespace) == null ? null : evals.values().stream()
          .filter(e -> job.equals(e.getString("JobID"))).toList());
    } else if (path.startsWith("/v1/job/") && path.endsWith("/deployment")) {
      String job = path.substring("/v1/job/".length(), path.length() - "/deployment".length());
      JsonObject latest = inNamespace(jobs.get(job), namespace) == null ? null : deployments.values().stream()
          .filter(d -> job.equals(d.getString("JobID")))
          .max(java.util.Comparator.comparingLong(d -> d.getLong("CreateIndex"))).orElse(null);
      respond(request, latest, latest == null ? index : latest.getLong("ModifyIndex"), "deployment not found");
    } else if (path.startsWith("/v1/allocation/")) {
      JsonObject alloc = inNamespace(allocations.get(path.substring("/v1/allocation/".length())), namespace);
      respond(request, alloc, alloc == null ? 0 : alloc.getLong("ModifyIndex"), "alloc not found");
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
    String outcome = outcomes.getOrDefault(id, "successful");
    outcomes.remove(id);
    JsonObject eval = evaluate(stored, outcome, descriptions.remove(id));
    request.response().putHeader("X-Nomad-Index", String.valueOf(index)).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("EvalID", eval.getString("ID")).put("EvalCreateIndex", eval.getLong("ModifyIndex"))
            .put("JobModifyIndex", stored.getLong("JobModifyIndex")).put("Warnings", "").encode());
  }

  /** The evaluation of a new job version (pending, completed after a moment), whose deployment ends {@code outcome}. */
  private JsonObject evaluate(JsonObject job, String outcome, String description) {
    JsonObject eval = new JsonObject().put("ID", UUID.randomUUID().toString()).put("JobID", job.getString("ID"))
        .put("Namespace", job.getString("Namespace", "default")).put("Status", "pending")
        .put("TriggeredBy", "job-register").put("JobModifyIndex", job.getLong("JobModifyIndex"))
        .put("ModifyIndex", ++index).put("CreateIndex", index);
    evals.put(eval.getString("ID"), eval);
    vertx.setTimer(evalDelayMs, t -> completeEval(eval.getString("ID"), job, outcome, description));
    return eval;
  }

  private void completeEval(String evalId, JsonObject job, String outcome, String description) {
    JsonObject deployment = new JsonObject().put("ID", UUID.randomUUID().toString()).put("JobID", job.getString("ID"))
        .put("Namespace", job.getString("Namespace", "default"))
        .put("JobVersion", job.getLong("Version")).put("JobSpecModifyIndex", job.getLong("JobModifyIndex"))
        .put("Status", "running").put("StatusDescription", "Deployment is running").put("ModifyIndex", ++index)
        .put("CreateIndex", index);
    deployments.put(deployment.getString("ID"), deployment);
    place(job, deployment.getString("ID")).put("EvalID", evalId);
    JsonObject eval = evals.get(evalId).put("Status", "complete").put("DeploymentID", deployment.getString("ID"))
        .put("ModifyIndex", ++index);
    changed(evalId, eval);
    if (!outcome.equals("running")) {
      vertx.setTimer(deploymentDelayMs, t -> settle(deployment, outcome, description));
    }
  }

  /**
   * A deployment ends: successful, its allocations run and the older ones stop; failed, its allocations fail and
   * the older ones keep running (no auto_revert).
   */
  private void settle(JsonObject deployment, String status) {
    settle(deployment, status, null);
  }

  private void settle(JsonObject deployment, String status, String description) {
    deployment.put("Status", status).put("ModifyIndex", ++index).put("StatusDescription", description != null ? description
        : status.equals("successful") ? "Deployment completed successfully" : "Failed due to unhealthy allocations");
    allocations.values().stream().filter(a -> deployment.getString("ID").equals(a.getString("DeploymentID")))
        .toList().forEach(a -> {
          if (status.equals("successful")) {
            markRunning(a.put("ClientStatus", "running"));
          } else {
            a.put("ClientStatus", "failed").put("ModifyIndex", ++index);
          }
        });
    changed(deployment.getString("ID"), deployment);
  }

  /** A new allocation of {@code job}'s current version, pending (placed, not yet running). */
  private JsonObject place(JsonObject job, String deploymentId) {
    JsonObject states = new JsonObject();
    tasksOf(job).forEach(t -> states.put(t, new JsonObject().put("State", "pending")));
    JsonObject alloc = new JsonObject().put("ID", UUID.randomUUID().toString())
        .put("Name", job.getString("ID") + ".group[0]").put("Namespace", job.getString("Namespace", "default"))
        .put("NodeID", "node-1").put("JobID", job.getString("ID")).put("JobVersion", job.getLong("Version"))
        .put("TaskGroup", "group").put("DeploymentID", deploymentId).put("DesiredStatus", "run")
        .put("ClientStatus", "pending").put("TaskStates", states).put("Job", job.copy())
        .put("CreateIndex", ++index).put("ModifyIndex", index);
    allocations.put(alloc.getString("ID"), alloc);
    return alloc;
  }

  /** {@code alloc} runs; every other running allocation of its job is stopped. */
  private void markRunning(JsonObject alloc) {
    alloc.put("ModifyIndex", ++index).getJsonObject("TaskStates").forEach(e -> ((JsonObject) e.getValue())
        .put("State", "running"));
    allocations.values().stream().filter(a -> a != alloc && alloc.getString("JobID").equals(a.getString("JobID"))
            && "running".equals(a.getString("ClientStatus")))
        .forEach(a -> a.put("ClientStatus", "complete").put("DesiredStatus", "stop").put("ModifyIndex", ++index));
  }

  private static List<String> tasksOf(JsonObject job) {
    return job.getJsonArray("TaskGroups").getJsonObject(0).getJsonArray("Tasks").stream()
        .map(t -> ((JsonObject) t).getString("Name")).toList();
  }

  /** An allocation as {@code /v1/job/:id/allocations} lists it: without its job. */
  private static JsonObject stub(JsonObject alloc) {
    JsonObject stub = alloc.copy();
    stub.remove("Job");
    return stub;
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

  private void respondList(HttpServerRequest request, List<JsonObject> list) {
    if (list == null) {
      request.response().setStatusCode(404).end("job not found");
      return;
    }
    request.response().putHeader("X-Nomad-Index", String.valueOf(index)).putHeader("X-Nomad-KnownLeader", "true")
        .putHeader("Content-Type", "application/json").end(new io.vertx.core.json.JsonArray(list).encode());
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
