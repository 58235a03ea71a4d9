package dev.tugboat.api;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's one failure handler: typed errors and framework status codes become the JSON error shape.
 * A client's mistake is answered without a stack trace (logged at DEBUG, or one WARN line for broken HTTP
 * framing); anything unexpected is a 500 with one ERROR line naming the request and the failure (the stack
 * only at DEBUG). Headers and query strings are never logged: they may hold tokens.
 */
public final class ErrorHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorHandler.class);
  private static final int LOGGED_TEXT = 200;

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
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      LOG.debug("{} failed after its answer ended or its connection closed: {}", where(ctx), describe(ctx.failure()));
      return;
    }
    if (response.headWritten()) { // a streamed answer failed midway: all that is left is to cut it
      LOG.warn("{} failed after its answer started: {}", where(ctx), describe(ctx.failure()));
      response.reset();
      return;
    }
    ApiError error = toApiError(ctx);
    response.setStatusCode(error.status()).putHeader("Content-Type", "application/json").end(body.apply(error).encode());
    if (!ctx.request().isEnded()) {
      flush(ctx.request()); // the server closes a connection whose body it cannot read: send the answer first
    }
  }

  public static void send(RoutingContext ctx, ApiError error) {
    ctx.response().setStatusCode(error.status()).putHeader("Content-Type", "application/json")
        .end(error.toJson().encode());
  }

  /**
   * The HTTP server's answer to a request it could not parse (request line or headers too long, a bad
   * Content-Length, not HTTP at all): Tugboat's error shape, one WARN line, then the connection is closed.
   */
  public static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ApiError error;
    if (cause instanceof TooLongHttpLineException) {
      error = new ApiError(414, "uri_too_long", "the request line is longer than this server accepts", null);
    } else if (cause instanceof TooLongHttpHeaderException) {
      error = new ApiError(431, "headers_too_large", "the request headers are larger than this server accepts", null);
    } else {
      error = new ApiError(400, "bad_request", "the request is not valid HTTP/1.1: " + clip(cause), null);
    }
    LOG.warn("unparsable request from {} answered {}: {}", request.remoteAddress(), error.status(), describe(cause));
    request.response().setStatusCode(error.status()).putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close").end(error.toJson().encode());
    request.connection().close();
  }

  private static ApiError toApiError(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiError api) {
      if (api.status() >= 500) {
        LOG.warn("{} answered {}: {}", where(ctx), api.status(), api.getMessage());
      } else {
        LOG.debug("{} answered {}: {}", where(ctx), api.status(), api.getMessage());
      }
      return api;
    }
    if (failure instanceof DecodeException) {
      return ApiError.invalid("body", "request body is not valid JSON");
    }
    int status = ctx.statusCode();
    if (status == 413) {
      return new ApiError(413, "body_too_large", "request body is larger than the configured limit (http.bodyLimit)", null);
    }
    if (failure != null && !ctx.request().isEnded()) { // the body's framing broke (a bad chunk size) or it was cut
      LOG.warn("{}: the request body could not be read: {}", where(ctx), describe(failure));
      return new ApiError(400, "bad_request", "the request body could not be read: " + clip(failure), null);
    }
    if (status >= 400 && status < 500) {
      return new ApiError(status, status == 404 ? "not_found" : status == 405 ? "method_not_allowed" : "bad_request",
          ctx.request().method() + " " + clip(ctx.request().path()) + " cannot be served (" + status + ")", null);
    }
    LOG.error("{} failed with an internal error: {}", where(ctx), describe(failure));
    if (failure != null && LOG.isDebugEnabled()) {
      LOG.debug("stack of the internal error of " + where(ctx), failure);
    }
    return new ApiError(status >= 500 ? status : 500, "internal_error", "internal error; see the service log", null);
  }

  /** Sends what was written; the connection is about to be closed by the server (its input is broken). */
  private static void flush(HttpServerRequest request) {
    // VertxConnection.flush is internal API: without it the answer is dropped with the connection
    if (request.connection() instanceof io.vertx.core.net.impl.VertxConnection connection) {
      connection.flush();
    }
  }

  /** {@code METHOD /path} for a log line (no query: it may hold tokens). */
  static String where(RoutingContext ctx) {
    return ctx.request().method() + " " + clip(ctx.request().path());
  }

  /** One line for a failure: its class and message, and its cause's, never a stack trace. */
  public static String describe(Throwable failure) {
    if (failure == null) {
      return "no exception";
    }
    String text = failure.getClass().getSimpleName() + ": " + clip(failure.getMessage());
    Throwable cause = failure.getCause();
    return cause == null || cause == failure ? text
        : text + " (caused by " + cause.getClass().getSimpleName() + ": " + clip(cause.getMessage()) + ")";
  }

  private static String clip(Throwable failure) {
    return failure == null ? "" : clip(failure.getMessage());
  }

  /** At most {@value #LOGGED_TEXT} characters on one line (control characters shown as '?'). */
  static String clip(String text) {
    if (text == null) {
      return "";
    }
    String line = text.length() > LOGGED_TEXT ? text.substring(0, LOGGED_TEXT) + "..." : text;
    return line.codePoints().map(c -> c < 0x20 || c == 0x7f ? '?' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
  }
}
