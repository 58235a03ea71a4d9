package dev.tugboat.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Every request is answered within {@code http.requestTimeout} of its body's end: a request whose handler has not
 * started its answer by then gets a 503 in its route's error shape (the work it started may still complete; the
 * client retries). A streamed answer that has started (server-sent events) is left alone.
 */
public final class Deadline implements Handler<RoutingContext> {
  private final long millis;

  public Deadline(long millis) {
    this.millis = millis;
  }

  @Override
  public void handle(RoutingContext ctx) {
    long timer = ctx.vertx().setTimer(millis, id -> {
      if (!ctx.response().headWritten() && !ctx.response().closed()) { // ErrorHandler logs the 503
        ctx.fail(new ApiError(503, "timeout", "no answer within " + millis + " ms; retry later", null));
      }
    });
    ctx.addEndHandler(ended -> ctx.vertx().cancelTimer(timer));
    ctx.next();
  }
}
