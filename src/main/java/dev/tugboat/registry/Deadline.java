package dev.tugboat.registry;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;

/**
 * The deadline of one outbound request ({@code egress.timeout}): when it passes first, a wait for a concurrency
 * permit is given up, a request on the wire is reset, and the call fails with {@link RegistryException.Timeout}.
 * Finished as soon as the answer is complete (the headers for a streamed body, which then has an idle timeout).
 */
final class Deadline {
  private final Vertx vertx;
  private final RegistryException.Timeout error;
  private final long timer;
  private volatile boolean expired;
  private volatile boolean finished;
  private volatile HttpClientRequest request;
  private volatile Runnable giveUp;

  Deadline(Vertx vertx, long millis, String operation) {
    this.vertx = vertx;
    this.error = new RegistryException.Timeout(operation, millis);
    this.timer = vertx.setTimer(millis, id -> expire());
  }

  private void expire() {
    if (finished) {
      return;
    }
    expired = true;
    Runnable waiting = giveUp;
    if (waiting != null) {
      waiting.run();
    }
    HttpClientRequest sent = request;
    if (sent != null) {
      sent.reset(0, error);
    }
  }

  /** A permit of {@code limiter}; failed with the timeout when the deadline passes while waiting for it. */
  Future<Void> acquire(Limiter limiter) {
    Future<Void> permit = limiter.acquire();
    if (!permit.isComplete()) {
      giveUp = () -> limiter.cancel(permit, error);
      if (expired) {
        limiter.cancel(permit, error);
      }
    }
    return permit.compose(v -> {
      giveUp = null;
      if (expired) { // granted just as the deadline passed
        limiter.release();
        return Future.failedFuture(error);
      }
      return Future.succeededFuture();
    });
  }

  /** Resets {@code sent} when the deadline passes (at once when it has); false when it has passed already. */
  boolean watch(HttpClientRequest sent) {
    request = sent;
    if (expired) {
      sent.reset(0, error);
      return false;
    }
    return true;
  }

  /** The answer is complete: the deadline no longer applies. */
  void finish() {
    finished = true;
    vertx.cancelTimer(timer);
  }

  /** The failure a caller sees: the timeout when the deadline caused it, else {@code failure} itself. */
  Throwable explain(Throwable failure) {
    return expired ? error : failure;
  }
}
