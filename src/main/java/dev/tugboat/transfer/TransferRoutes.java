package dev.tugboat.transfer;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.ErrorHandler;
import dev.tugboat.api.JsonFields;
import dev.tugboat.api.TokenAuth;
import dev.tugboat.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * The transfer service's routes (same paths, fields and status codes; the status is sent as JSON, not
 * text/html) plus list, cancel and a Server-Sent Events progress stream. Errors carry the transfer service's
 * {@code {"status": "error", "msg"}} and Tugboat's {@code error} object naming the field.
 */
public final class TransferRoutes {
  private static final String BASE = "/api/distribute/image";
  private static final Set<String> STATES = Set.of("QUEUED", "RUNNING", "FINISHED", "FAILED");
  private static final long EVENTS_POLL_MS = 1000;

  private final TransferService service;
  private final TokenAuth auth;

  public TransferRoutes(TransferService service, TokenAuth auth) {
    this.service = service;
    this.auth = auth;
  }

  public void mount(Router router) {
    ErrorHandler failure = new ErrorHandler(error -> seedShape(error, ""));
    // the transfer service answered every refused body "Failed to parse data: <why>"
    ErrorHandler parseFailure = new ErrorHandler(error -> seedShape(error,
        error.code().equals("invalid_request") ? "Failed to parse data: " : ""));
    router.post(BASE).handler(auth.required()).handler(this::submit).failureHandler(parseFailure);
    router.get(BASE).handler(this::list).failureHandler(failure);
    router.get(BASE + "/:id").handler(this::get).failureHandler(failure);
    router.delete(BASE + "/:id").handler(auth.required()).handler(this::cancel).failureHandler(failure);
    router.get(BASE + "/:id/events").handler(this::events).failureHandler(failure);
  }

  private void submit(RoutingContext ctx) {
    JsonFields body = JsonFields.body(ctx);
    Future.<Void>succeededFuture().compose(v -> service.submit(body))
        .onSuccess(id -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("id", id).put("msg", "Image sync started").put("status", "success").encode()))
        .onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    service.get(id).onSuccess(job -> {
      if (job.isEmpty()) {
        ctx.fail(ApiError.notFound("job with id not found"));
      } else {
        ctx.json(job.get().toApi());
      }
    }).onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    String state = ctx.request().getParam("state");
    if (state != null && !STATES.contains(state.toUpperCase())) {
      throw ApiError.invalid("state", "state: expected one of " + STATES);
    }
    int limit = limit(ctx.request().getParam("limit"));
    service.list(state == null ? null : state.toUpperCase(), limit).onSuccess(jobs -> {
      JsonArray out = new JsonArray();
      jobs.forEach(job -> out.add(job.toApi()));
      ctx.json(out);
    }).onFailure(ctx::fail);
  }

  private static int limit(String param) {
    if (param == null) {
      return 100;
    }
    try {
      int n = Integer.parseInt(param);
      if (n >= 1 && n <= 1000) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // answered below
    }
    throw ApiError.invalid("limit", "limit: expected a whole number from 1 to 1000");
  }

  private void cancel(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    service.get(id).compose(job -> {
      if (job.isEmpty()) {
        return Future.failedFuture(ApiError.notFound("job with id not found"));
      }
      if (job.get().over()) {
        return Future.failedFuture(new ApiError(409, "conflict", "job is already " + job.get().state(), null));
      }
      return service.cancel(id);
    }).onSuccess(changed -> ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("id", id).put("status", "success").put("msg", "Cancel requested").encode()))
        .onFailure(ctx::fail);
  }

  /** Progress as Server-Sent Events: the status on every change, until the job is over. */
  private void events(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    service.get(id).onSuccess(found -> {
      if (found.isEmpty()) {
        ctx.fail(ApiError.notFound("job with id not found"));
        return;
      }
      HttpServerResponse response = ctx.response().setChunked(true)
          .putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache")
          .putHeader("Content-Encoding", "identity"); // no compression: it would hold events back
      String[] last = {null};
      boolean[] closed = {false};
      Runnable push = () -> service.get(id).onSuccess(job -> {
        if (closed[0] || job.isEmpty()) {
          return;
        }
        String status = job.get().toApi().encode();
        if (!status.equals(last[0])) {
          last[0] = status;
          response.write("event: progress\ndata: " + status + "\n\n");
        }
        if (job.get().over() && !closed[0]) {
          closed[0] = true;
          response.end("event: end\ndata: " + job.get().state() + "\n\n");
        }
      });
      MessageConsumer<JsonObject> consumer = ctx.vertx().eventBus().consumer(Addresses.TRANSFER_PROGRESS, message -> {
        if (id.equals(message.body().getString("id"))) {
          push.run();
        }
      });
      long timer = ctx.vertx().setPeriodic(EVENTS_POLL_MS, t -> push.run()); // progress saved by nodes not on this bus
      Runnable stop = () -> {
        closed[0] = true;
        consumer.unregister();
        ctx.vertx().cancelTimer(timer);
      };
      response.closeHandler(v -> stop.run());
      response.endHandler(v -> stop.run());
      push.run();
    }).onFailure(ctx::fail);
  }

  /** The transfer service's error shape ({@code status}, {@code msg}) next to Tugboat's. */
  private static JsonObject seedShape(ApiError error, String prefix) {
    return error.toJson().put("status", "error").put("msg", prefix + error.getMessage());
  }
}
