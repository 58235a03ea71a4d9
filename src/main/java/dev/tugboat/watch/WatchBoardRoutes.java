package dev.tugboat.watch;

import dev.tugboat.api.ApiError;
import dev.tugboat.deploy.Deployment;
import dev.tugboat.deploy.DeploymentStore;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * What a dashboard of the watches reads besides the list (web UI): one watch, re-read when the event stream
 * says it changed, and the last deployments of every repository in one call instead of one per card.
 */
final class WatchBoardRoutes {
  static final int MAX_PER_REPO = 20;

  private final WatchStore store;
  private final DeploymentStore deployments;

  WatchBoardRoutes(WatchStore store, DeploymentStore deployments) {
    this.store = store;
    this.deployments = deployments;
  }

  void mount(Router router) {
    router.get("/api/v1/deployments/recent").handler(this::recent);
    router.getWithRegex("/api/v1/watches/(?<repo>.+)").handler(this::one);
  }

  private void one(RoutingContext ctx) {
    String name = ctx.pathParam("repo");
    store.get(name).onSuccess(found -> {
      if (found.isEmpty()) {
        ctx.fail(ApiError.notFound("'" + name + "' is not watched"));
      } else {
        ctx.json(found.get().toJson());
      }
    }).onFailure(ctx::fail);
  }

  /** {@code ?per_repo=N} (1..20, default 5): newest first within each repository, repositories by name. */
  private void recent(RoutingContext ctx) {
    deployments.recent(perRepo(ctx.request().getParam("per_repo"))).onSuccess(list -> {
      JsonArray out = new JsonArray();
      list.stream().map(Deployment::toJson).forEach(out::add);
      ctx.json(out);
    }).onFailure(ctx::fail);
  }

  private static int perRepo(String text) {
    try {
      int n = text == null || text.isBlank() ? 5 : Integer.parseInt(text.trim());
      if (n >= 1 && n <= MAX_PER_REPO) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // answered below
    }
    throw ApiError.invalid("per_repo", "per_repo must be a whole number between 1 and " + MAX_PER_REPO);
  }
}
