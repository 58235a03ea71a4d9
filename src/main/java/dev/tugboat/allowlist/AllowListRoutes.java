package dev.tugboat.allowlist;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.JsonFields;
import dev.tugboat.api.Text;
import dev.tugboat.api.TokenAuth;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * imagelist's routes, same paths, JSON and status codes ({@code HEAD} answers as {@code GET}). Ids hold {@code /}
 * and {@code @} ({@code quay.io/foo/nginx@sha256:…}): everything after {@code /images/} is the id, raw or
 * percent-encoded. A write is answered once this node's admission copy holds it ({@link AllowListSync#written}).
 */
public final class AllowListRoutes {
  private final AllowListStore store;
  private final AllowListSync sync;
  private final TokenAuth auth;
  private final MeterRegistry metrics;

  public AllowListRoutes(AllowListStore store, AllowListSync sync, TokenAuth auth, MeterRegistry metrics) {
    this.store = store;
    this.sync = sync;
    this.auth = auth;
    this.metrics = metrics;
  }

  public void mount(Router router) {
    router.get("/images").handler(this::list);
    router.head("/images").handler(this::list); // answered as GET, the HTTP server drops the body
    router.getWithRegex("/images/(?<id>.+)").handler(this::get);
    router.headWithRegex("/images/(?<id>.+)").handler(this::get);
    router.put("/images").handler(auth.required()).handler(this::put);
    router.deleteWithRegex("/images/(?<id>.+)").handler(auth.required()).handler(this::delete);
  }

  private void list(RoutingContext ctx) {
    String name = ctx.request().getParam("name");
    store.list(name == null || name.isEmpty() ? null : name, AllowListSort.fromParam(ctx.request().getParam("sort")))
        .onSuccess(entries -> {
          JsonArray out = new JsonArray();
          entries.forEach(e -> out.add(e.toJson()));
          ctx.json(out);
        })
        .onFailure(ctx::fail);
  }

  /** The path's id, refused (400 naming {@code id}) when no stored id could be it: longer than the column. */
  private static String id(RoutingContext ctx) {
    return Text.require("id", ctx.pathParam("id"), AllowListStore.ID_LENGTH);
  }

  private void get(RoutingContext ctx) {
    String id = id(ctx);
    store.get(id)
        .onSuccess(entry -> {
          if (entry.isEmpty()) {
            ctx.fail(ApiError.notFound("no allow-list entry with id '" + id + "'"));
          } else {
            ctx.json(entry.get().toJson());
          }
        })
        .onFailure(ctx::fail);
  }

  private void put(RoutingContext ctx) {
    AllowListRequest request = AllowListRequest.from(JsonFields.body(ctx));
    store.upsert(request.id(), request.name(), request.nameKey(), request.tags())
        .compose(written -> sync.written(written.version()).map(written.result()))
        .onSuccess(entry -> {
          metrics.counter("tugboat_allowlist_writes", "op", "upsert").increment();
          ctx.json(entry.toJson());
        })
        .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    store.delete(id(ctx))
        .compose(written -> sync.written(written.version()))
        .onSuccess(deleted -> {
          metrics.counter("tugboat_allowlist_writes", "op", "delete").increment();
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }
}
