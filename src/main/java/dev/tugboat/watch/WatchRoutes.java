package dev.tugboat.watch;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.TokenAuth;
import dev.tugboat.deploy.Deployment;
import dev.tugboat.deploy.DeploymentStore;
import dev.tugboat.registry.InvalidReferenceException;
import dev.tugboat.registry.Repository;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * registrywatcher's routes with its paths, JSON and messages ({@code /ping}, {@code /repos},
 * {@code /tags/{repo}}, {@code /tags/{repo}/reset}, {@code /debug/caches}; CORS as the seed), plus
 * {@code /api/v1/watches} and {@code /api/v1/deployments}. Repository names may hold {@code /}.
 */
public final class WatchRoutes {
  private static final String CORS_HEADERS = "pragma,content-type,content-length,accept-encoding,x-csrf-token,"
      + "authorization,accept,origin,x-requested-with";

  private final Watches watches;
  private final WatchStore store;
  private final DeploymentStore deployments;
  private final TokenAuth auth;

  public WatchRoutes(Watches watches, DeploymentStore deployments, TokenAuth auth) {
    this.watches = watches;
    this.store = watches.store();
    this.deployments = deployments;
    this.auth = auth;
  }

  public void mount(Router router) {
    for (String path : List.of("/ping", "/ping/", "/repos", "/debug/caches")) {
      router.route(path).handler(WatchRoutes::cors);
    }
    router.routeWithRegex("/tags/.+").handler(WatchRoutes::cors);
    router.get("/ping").handler(ctx -> ctx.json(new JsonObject().put("message", "pong")));
    router.get("/ping/").handler(ctx -> ctx.json(new JsonObject().put("message", "pong")));
    router.get("/repos").handler(this::repos);
    router.get("/debug/caches").handler(this::caches);
    router.postWithRegex("/tags/(?<repo>.+)/reset").handler(auth.required()).handler(this::reset);
    router.getWithRegex("/tags/(?<repo>.+)").handler(this::tag);
    router.postWithRegex("/tags/(?<repo>.+)").handler(auth.required()).handler(this::update);

    router.get("/api/v1/watches").handler(this::list);
    router.post("/api/v1/watches").handler(auth.required()).handler(this::addWatch);
    router.deleteWithRegex("/api/v1/watches/(?<repo>.+)").handler(auth.required()).handler(this::removeWatch);
    router.get("/api/v1/deployments").handler(this::deploymentList);
  }

  /** The seed's gin-contrib/cors settings; preflights are answered here. */
  private static void cors(RoutingContext ctx) {
    ctx.response().putHeader("Access-Control-Allow-Origin", "*")
        .putHeader("Access-Control-Allow-Credentials", "true")
        .putHeader("Access-Control-Expose-Headers", "Content-Length");
    if (ctx.request().method() == HttpMethod.OPTIONS) {
      ctx.response().putHeader("Access-Control-Allow-Methods", "GET,POST,PUT,DELETE")
          .putHeader("Access-Control-Allow-Headers", CORS_HEADERS)
          .putHeader("Access-Control-Max-Age", "43200")
          .setStatusCode(204).end();
      return;
    }
    ctx.next();
  }

  // ---- registrywatcher routes

  private static void message(RoutingContext ctx, int status, String message) {
    ctx.response().setStatusCode(status);
    ctx.json(new JsonObject().put("message", message));
  }

  private static String notInRegistry(String repo) {
    return "Error: The specified repo name " + repo + " is not inside the docker repository registry";
  }

  private void repos(RoutingContext ctx) {
    store.list().onSuccess(repos -> {
      JsonObject out = new JsonObject();
      repos.forEach(r -> out.put(r.name(), new JsonObject().put("pinned_tag", r.pinnedTag())
          .put("pinned_tag_value", r.effectiveTag()).put("tags", new JsonArray(Tags.visible(r.seenTags())))
          .put("auto_deploy", r.autoDeploy())));
      ctx.json(out);
    }).onFailure(ctx::fail);
  }

  private void caches(RoutingContext ctx) {
    store.list().onSuccess(repos -> {
      JsonObject out = new JsonObject();
      repos.forEach(r -> out.put(r.name(), new JsonObject().put("cached_tags", new JsonArray(Tags.visible(r.seenTags())))
          .put("cached_digest", r.seenDigest())));
      ctx.json(out);
    }).onFailure(ctx::fail);
  }

  /** {@code {"repo_tag": …}}: the pin, else the policy's newest tag from a live tag list. */
  private void tag(RoutingContext ctx) {
    String name = ctx.pathParam("repo");
    store.get(name).onSuccess(found -> {
      if (found.isEmpty()) {
        message(ctx, 400, "Error: Repo " + name + " is not being watched");
        return;
      }
      WatchedRepo repo = found.get();
      if (!repo.pinnedTag().isEmpty()) {
        ctx.json(new JsonObject().put("repo_tag", repo.pinnedTag()));
        return;
      }
      watches.liveTags(repo).onSuccess(tags -> {
        Optional<String> newest = repo.tagPolicy().newest(tags);
        if (newest.isPresent()) {
          ctx.json(new JsonObject().put("repo_tag", newest.get()));
        } else {
          message(ctx, 400, noValidTags(tags, name));
        }
      }).onFailure(ctx::fail);
    }).onFailure(ctx::fail);
  }

  private static String noValidTags(List<String> tags, String name) {
    return "No valid tags [" + String.join(" ", tags) + "] for repo " + name + ", err: No valid tag";
  }

  /** {@code pinned_tag} and/or {@code auto_deploy}, with the seed's checks, messages and order. */
  private void update(RoutingContext ctx) {
    String name = ctx.pathParam("repo");
    store.get(name).onSuccess(found -> {
      if (found.isEmpty()) {
        message(ctx, 400, notInRegistry(name));
        return;
      }
      JsonObject body;
      try {
        body = ctx.body().length() == 0 ? null : ctx.body().asJsonObject();
      } catch (DecodeException e) {
        body = null;
      }
      if (body == null) {
        message(ctx, 400, "Error: the request body must be a JSON object with pinned_tag and/or auto_deploy");
        return;
      }
      Object pin = body.getValue("pinned_tag");
      Object auto = body.getValue("auto_deploy");
      if (pin != null && !(pin instanceof String)) {
        message(ctx, 400, "Error: pinned_tag must be a string");
        return;
      }
      if (auto != null && !(auto instanceof Boolean)) {
        message(ctx, 400, "Error: auto_deploy must be true or false");
        return;
      }
      if (pin == null && auto == null) {
        message(ctx, 400, "Either pinned_tag or auto_deploy must be specified.");
        return;
      }
      WatchedRepo repo = found.get();
      Future<Void> toggled = auto == null || (Boolean) auto == repo.autoDeploy() ? Future.succeededFuture()
          : watches.setAutoDeploy(repo, (Boolean) auto, pin == null); // with a pin, a manual deploy follows
      toggled.onSuccess(v -> {
        if (pin == null) {
          message(ctx, 200, "Auto deployment set to " + auto);
        } else {
          pin(ctx, repo, (String) pin);
        }
      }).onFailure(ctx::fail);
    }).onFailure(ctx::fail);
  }

  /** Validates the pin against the live tag list, stores it and deploys it (a manual deploy ignores auto_deploy). */
  private void pin(RoutingContext ctx, WatchedRepo repo, String pin) {
    watches.liveTags(repo).onSuccess(tags -> {
      if (!pin.isEmpty() && !tags.contains(pin)) {
        message(ctx, 400, "Error: The specified pinned_tag " + pin + " is not inside the docker repository registry "
            + repo.name());
        return;
      }
      store.setPinnedTag(repo.name(), pin)
          .onFailure(failure -> message(ctx, 400, "Error: Failed to update pinned tag, " + failure.getMessage()))
          .onSuccess(v -> {
            watches.changed(repo.name());
            deployNow(ctx, repo, pin, tags);
          });
    }).onFailure(ctx::fail);
  }

  private void reset(RoutingContext ctx) {
    String name = ctx.pathParam("repo");
    store.get(name).onSuccess(found -> {
      if (found.isEmpty()) {
        message(ctx, 400, notInRegistry(name));
        return;
      }
      WatchedRepo repo = found.get();
      if (repo.pinnedTag().isEmpty()) {
        message(ctx, 200, "pinned_tag is already ");
        return;
      }
      // turned on as POST /tags/{repo} would (notified), then the pin cleared and the newest release deployed
      Future<Void> autoOn = repo.autoDeploy() ? Future.succeededFuture() : watches.setAutoDeploy(repo, true, false);
      autoOn.compose(v -> store.setPinnedTag(name, "")).onSuccess(v -> watches.changed(name))
          .compose(v -> watches.liveTags(repo))
          .onSuccess(tags -> deployNow(ctx, repo, "", tags))
          .onFailure(failure -> message(ctx, 400, "Error: Failed to update pinned tag, " + failure.getMessage()));
    }).onFailure(ctx::fail);
  }

  /** Queues a manual deployment of the pin, or of the policy's newest tag when the pin is "". */
  private void deployNow(RoutingContext ctx, WatchedRepo repo, String pin, List<String> tags) {
    String tag = pin.isEmpty() ? repo.tagPolicy().newest(tags).orElse(null) : pin;
    if (tag == null) {
      message(ctx, 400, noValidTags(tags, repo.name()));
      return;
    }
    watches.deploy(repo, tag)
        .onSuccess(d -> message(ctx, 200, "Deploying to " + tag))
        .onFailure(ctx::fail);
  }

  // ---- /api/v1

  private void list(RoutingContext ctx) {
    store.list().onSuccess(repos -> {
      JsonArray out = new JsonArray();
      repos.forEach(r -> out.add(r.toJson()));
      ctx.json(out);
    }).onFailure(ctx::fail);
  }

  private void addWatch(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    if (body == null) {
      throw ApiError.invalid("body", "expected a JSON object with registry, repository, job, tasks and policy");
    }
    String registryHost = required(body, "registry");
    String repository = required(body, "repository");
    String job = required(body, "job");
    String name = optional(body, "name", repository);
    String policy = optional(body, "policy", "release");
    try {
      TagPolicy.parse(policy);
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid("policy", e.getMessage());
    }
    if (!(body.getValue("tasks") instanceof JsonArray list) || list.isEmpty()) {
      throw ApiError.invalid("tasks", "tasks must be a non-empty list of Nomad task names");
    }
    List<String> tasks = new ArrayList<>();
    for (Object task : list) {
      if (!(task instanceof String t) || t.isBlank()) {
        throw ApiError.invalid("tasks", "every task must be a non-empty string");
      }
      tasks.add(t.trim());
    }
    Repository target;
    try {
      target = Repository.on(registryHost, repository);
    } catch (InvalidReferenceException e) {
      throw ApiError.invalid(e.getMessage().contains("registry host") ? "registry" : "repository", e.getMessage());
    }
    String namespace = optional(body, "namespace", "");
    if (!namespace.matches("[A-Za-z0-9._-]{0,128}")) {
      throw ApiError.invalid("namespace", "a Nomad namespace name: letters, digits, '-', '_', '.'");
    }
    store.add(name, target.registry(), target.name(), job, tasks, policy, namespace).compose(added -> {
      if (!added) {
        return Future.failedFuture(new ApiError(409, "conflict", "'" + name + "' is already watched", "name"));
      }
      watches.checkSoon();
      watches.changed(name);
      return store.get(name);
    }).onSuccess(repo -> ctx.response().setStatusCode(201).end(repo.orElseThrow().toJson().encode()))
        .onFailure(ctx::fail);
  }

  private static String required(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (!(value instanceof String s) || s.isBlank()) {
      throw ApiError.invalid(field, field + " is required (a non-empty string)");
    }
    if (s.chars().anyMatch(Character::isWhitespace)) {
      throw ApiError.invalid(field, field + " must not contain whitespace");
    }
    return s.trim();
  }

  private static String optional(JsonObject body, String field, String fallback) {
    return body.getValue(field) == null ? fallback : required(body, field);
  }

  private void removeWatch(RoutingContext ctx) {
    String name = ctx.pathParam("repo");
    store.remove(name).onSuccess(removed -> {
      if (removed) {
        watches.changed(name);
        ctx.response().setStatusCode(204).end();
      } else {
        ctx.fail(ApiError.notFound("'" + name + "' is not watched"));
      }
    }).onFailure(ctx::fail);
  }

  private void deploymentList(RoutingContext ctx) {
    String repo = ctx.request().getParam("repo");
    int limit;
    try {
      String text = ctx.request().getParam("limit");
      limit = text == null ? 100 : Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw ApiError.invalid("limit", "limit must be a whole number between 1 and 500");
    }
    if (limit < 1 || limit > 500) {
      throw ApiError.invalid("limit", "limit must be a whole number between 1 and 500");
    }
    deployments.list(repo == null || repo.isEmpty() ? null : repo, limit).onSuccess(list -> {
      JsonArray out = new JsonArray();
      list.stream().map(Deployment::toJson).forEach(out::add);
      ctx.json(out);
    }).onFailure(ctx::fail);
  }
}
