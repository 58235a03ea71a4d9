package dev.tugboat.api;

import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's one failure handler: typed errors and framework status codes become the JSON error shape;
 * anything unexpected is a 500 with a log line naming the request (never its headers, which may hold tokens).
 */
public final class ErrorHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorHandler.class);

  private final Function<ApiError, JsonObject> body;

  /** Tugboat's error shape {@code {"error": {...}}}. */
  public ErrorHandler() {
    this(ApiError::toJson);
  }

  /** Another body for the same errors, for compatible routes whose clients expect their seed's shape too. */
  public ErrorHandler(Function<ApiError, JsonObject> body) {
    this.body = body;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (ctx.response().headWritten()) {
      LOG.warn("{} {} failed after the response started", ctx.request().method(), ctx.request().path(), ctx.failure());
      ctx.response().reset();
      return;
    }
    ApiError error = toApiError(ctx);
    ctx.response().setStatusCode(error.status()).putHeader("Content-Type", "application/json")
        .end(body.apply(error).encode());
  }

  public static void send(RoutingContext ctx, ApiError error) {
    ctx.response().setStatusCode(error.status()).putHeader("Content-Type", "application/json")
        .end(error.toJson().encode());
  }

  private static ApiError toApiError(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiError api) {
      return api;
    }
    if (failure instanceof DecodeException) {
      return ApiError.invalid("body", "request body is not valid JSON");
    }
    int status = ctx.statusCode();
    if (status == 413) {
      return new ApiError(413, "body_too_large", "request body is larger than the configured limit (http.bodyLimit)", null);
    }
    if (status >= 400 && status < 500) {
      return new ApiError(status, status == 404 ? "not_found" : status == 405 ? "method_not_allowed" : "bad_request",
          ctx.request().method() + " " + ctx.request().path() + " cannot be served (" + status + ")", null);
    }
    LOG.error("{} {} failed with an internal error", ctx.request().method(), ctx.request().path(), failure);
    return new ApiError(status >= 500 ? status : 500, "internal_error", "internal error; see the service log", null);
  }
}
