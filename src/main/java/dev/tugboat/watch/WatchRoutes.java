package dev.tugboat.watch;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.ErrorHandler;
import dev.tugboat.api.JsonFields;
import dev.tugboat.api.RegistryFailure;
import dev.tugboat.api.TokenAuth;
import dev.tugboat.deploy.Deployment;
import dev.tugboat.deploy.DeploymentStore;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;

/**
 * registrywatcher's routes with its paths, JSON and messages ({@code /ping}, {@code /repos},
 * {@code /tags/{repo}}, {@code /tags/{repo}/reset}, {@code /debug/caches}; CORS as the seed; HEAD answered as GET
 * without a body), plus {@code /api/v1/watches} (with {@code /plan}) and {@code /api/v1/deployments}. Repository
 * names may hold {@code /}. Every refusal on a registrywatcher route, the request guard's and the body reader's
 * included, comes in the seed's {@code {"message"}} shape, with Tugboat's {@code error} object beside it.
 */
public final class WatchRoutes {
  private static final String CORS_HEADERS = "pragma,content-type,content-length,accept-encoding,x-csrf-token,"
      + "authorization,accept,origin,x-requested-with";

  /** registrywatcher's routes (besides {@code /tags/{repo}...}): its CORS and its error shape. */
  private static final List<String> SEED_PATHS = List.of("/ping", "/ping/", "/repos", "/debug/caches");
  private static final String SEED_TAGS = "/tags/";

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
    ErrorHandler seed = new ErrorHandler(WatchRoutes::seedShape);
    for (String path : SEED_PATHS) {
      router.route(path).handler(WatchRoutes::cors).failureHandler(seed);
    }
    router.routeWithRegex(SEED_TAGS + ".+").handler(WatchRoutes::cors).failureHandler(seed);
    Handler<RoutingContext> pong = ctx -> ctx.json(new JsonObject().put("message", "pong"));
    for (HttpMethod method : List.of(HttpMethod.GET, HttpMethod.HEAD)) { // Vert.x sends no body for HEAD
      router.route(method, "/ping").handler(pong);
      router.route(method, "/ping/").handler(pong);
      router.route(method, "/repos").handler(this::repos);
      router.route(method, "/debug/caches").handler(this::caches);
    }
    router.postWithRegex("/tags/(?<repo>.+)/reset").handler(auth.required()).handler(this::reset);
    router.routeWithRegex(HttpMethod.GET, "/tags/(?<repo>.+)").handler(this::tag);
    router.routeWithRegex(HttpMethod.HEAD, "/tags/(?<repo>.+)").handler(this::tag);
    router.postWithRegex("/tags/(?<repo>.+)").handler(auth.required()).handler(this::update);

    router.get("/api/v1/watches").handler(this::list);
    router.post("/api/v1/watches").handler(auth.required()).handler(this::addWatch);
    router.postWithRegex("/api/v1/watches/(?<repo>.+)/plan").handler(auth.required()).handler(this::plan);
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

  /** Whether {@code path} is one of registrywatcher's routes, whose errors come in its shape. */
  static boolean isSeedPath(String path) {
    return SEED_PATHS.contains(path) || path.startsWith(SEED_TAGS) && path.length() > SEED_TAGS.length();
  }

  /** registrywatcher's {@code {"message": "Error: …"}} next to Tugboat's error object. */
  static JsonObject seedShape(ApiError error) {
    return error.toJson().put("message", "Error: " + error.getMessage());
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
    store.get(name).compose(found -> {
      if (found.isEmpty()) {
        message(ctx, 400, "Error: Repo " + name + " is not being watched");
        return Future.succeededFuture();
      }
      WatchedRepo repo = found.get();
      if (!repo.pinnedTag().isEmpty()) {
        ctx.json(new JsonObject().put("repo_tag", repo.pinnedTag()));
        return Future.succeededFuture();
      }
      return liveTags(repo).map(tags -> {
        Optional<String> newest = repo.tagPolicy().newest(tags);
        if (newest.isPresent()) {
          ctx.json(new JsonObject().put("repo_tag", newest.get()));
        } else {
          message(ctx, 400, noValidTags(tags, name));
        }
        return null;
      });
    }).onFailure(ctx::fail);
  }

  /** The repository's tag list from its registry; a registry failure is the client's 4xx or a 502/504, not a 500. */
  private Future<List<String>> liveTags(WatchedRepo repo) {
    return watches.liveTags(repo).recover(failure -> Future.failedFuture(RegistryFailure.answer(repo.name(), null,
        failure)));
  }

  private static String noValidTags(List<String> tags, String name) {
    return "No valid tags [" + String.join(" ", tags) + "] for repo " + name + ", err: No valid tag";
  }

  /** {@code pinned_tag} and/or {@code auto_deploy}, with the seed's checks, messages and order. */
  private void update(RoutingContext ctx) {
    String name = ctx.pathParam("repo");
    store.get(name).compose(found -> {
      if (found.isEmpty()) {
        message(ctx, 400, notInRegistry(name));
        return Future.succeededFuture();
      }
      // read inside the chain: a refusal fails it (answered by the seed-shaped failure handler), never a callback
      JsonFields body = JsonFields.body(ctx);
      String pin = body.string("pinned_tag", WatchStore.TAG_MAX, null);
      Boolean auto = body.has("auto_deploy") ? body.bool("auto_deploy", null) : null;
      if (pin == null && auto == null) {
        message(ctx, 400, "Either pinned_tag or auto_deploy must be specified.");
        return Future.succeededFuture();
      }
      WatchedRepo repo = found.get();
      Future<Void> toggled = auto == null || auto == repo.autoDeploy() ? Future.succeededFuture()
          : watches.setAutoDeploy(repo, auto, pin == null); // with a pin, a manual deploy follows
      return toggled.compose(v -> {
        if (pin == null) {
          message(ctx, 200, "Auto deployment set to " + auto);
          return Future.succeededFuture();
        }
        return pin(ctx, repo, pin);
      });
    }).onFailure(ctx::fail);
  }

  /** Validates the pin against the live tag list, stores it and deploys it (a manual deploy ignores auto_deploy). */
  private Future<Void> pin(RoutingContext ctx, WatchedRepo repo, String pin) {
    return liveTags(repo).compose(tags -> {
      if (!pin.isEmpty() && !tags.contains(pin)) {
        message(ctx, 400, "Error: The specified pinned_tag " + pin + " is not inside the docker repository registry "
            + repo.name());
        return Future.succeededFuture();
      }
      return store.setPinnedTag(repo.name(), pin).transform(set -> {
        if (set.failed()) {
          message(ctx, 400, "Error: Failed to update pinned tag, " + set.cause().getMessage());
          return Future.succeededFuture();
        }
        watches.changed(repo.name());
        return deployNow(ctx, repo, pin, tags);
      });
    });
  }

  private void reset(RoutingContext ctx) {
    String name = ctx.pathParam("repo");
    store.get(name).compose(found -> {
      if (found.isEmpty()) {
        message(ctx, 400, notInRegistry(name));
        return Future.succeededFuture();
      }
      WatchedRepo repo = found.get();
      if (repo.pinnedTag().isEmpty()) {
        message(ctx, 200, "pinned_tag is already ");
        return Future.succeededFuture();
      }
      // turned on as POST /tags/{repo} would (notified), then the pin cleared and the newest release deployed
      Future<Void> autoOn = repo.autoDeploy() ? Future.succeededFuture() : watches.setAutoDeploy(repo, true, false);
      return autoOn.compose(v -> store.setPinnedTag(name, "")).onSuccess(v -> watches.changed(name))
          .compose(v -> watches.liveTags(repo))
          .transform(tags -> {
            if (tags.failed()) {
              message(ctx, 400, "Error: Failed to update pinned tag, " + tags.cause().getMessage());
              return Future.succeededFuture();
            }
            return deployNow(ctx, repo, "", tags.result());
          });
    }).onFailure(ctx::fail);
  }

  /** Queues a manual deployment of the pin, or of the policy's newest tag when the pin is "". */
  private Future<Void> deployNow(RoutingContext ctx, WatchedRepo repo, String pin, List<String> tags) {
    String tag = pin.isEmpty() ? repo.tagPolicy().newest(tags).orElse(null) : pin;
    if (tag == null) {
      message(ctx, 400, noValidTags(tags, repo.name()));
      return Future.succeededFuture();
    }
    return watches.deploy(repo, tag, tags).map(d -> {
      message(ctx, 200, "Deploying to " + tag);
      return null;
    });
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
    WatchDefinition watch = WatchDefinition.read(JsonFields.body(ctx));
    store.add(watch).compose(added -> {
      if (!added) {
        return Future.failedFuture(new ApiError(409, "conflict", "'" + watch.name() + "' is already watched", "name"));
      }
      watches.checkSoon();
      watches.changed(watch.name());
      return store.get(watch.name());
    }).onSuccess(repo -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .end(repo.orElseThrow().toJson().encode()))
        .onFailure(ctx::fail);
  }

  /** What a check would do now (desired vs running vs deployed, and why), without doing it. */
  private void plan(RoutingContext ctx) {
    String name = ctx.pathParam("repo");
    store.get(name).compose(found -> found.isEmpty()
            ? Future.failedFuture(ApiError.notFound("'" + name + "' is not watched")) : watches.plan(found.get()))
        .onSuccess(ctx::json).onFailure(ctx::fail);
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
