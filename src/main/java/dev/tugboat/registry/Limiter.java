package dev.tugboat.registry;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Queue;

/** At most {@code max} calls in flight to one registry; the rest wait in order. Thread-safe. */
final class Limiter {
  private final int max;
  private final Queue<Promise<Void>> waiting = new ArrayDeque<>();
  private int inFlight;

  Limiter(int max) {
    this.max = max;
  }

  Future<Void> acquire() {
    synchronized (this) {
      if (inFlight < max) {
        inFlight++;
        return Future.succeededFuture();
      }
      Promise<Void> promise = Promise.promise();
      waiting.add(promise);
      return promise.future();
    }
  }

  void release() {
    Promise<Void> next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        inFlight--;
        return;
      }
    }
    next.complete(); // the permit passes straight to the next waiter
  }

  synchronized int inFlight() {
    return inFlight;
  }
}
