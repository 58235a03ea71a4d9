package dev.tugboat.registry;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Queue;

/**
 * At most {@code max} calls in flight to one registry; the rest wait in order. Thread-safe: callers on any
 * event loop share it, and a waiter is resumed on its own context (not on the releasing caller's), so a
 * verticle's continuation never runs on another verticle's thread. A waiter whose deadline passed gives up its
 * place ({@link #cancel}).
 */
final class Limiter {
  private record Waiter(Promise<Void> promise, Context context) {}

  private final int max;
  private final Queue<Waiter> waiting = new ArrayDeque<>();
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
      waiting.add(new Waiter(promise, Vertx.currentContext()));
      return promise.future();
    }
  }

  void release() {
    Waiter next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        inFlight--;
        return;
      }
    }
    // the permit passes straight to the next waiter
    if (next.context() == null) {
      next.promise().complete();
    } else {
      next.context().runOnContext(v -> next.promise().complete());
    }
  }

  /**
   * Fails a waiter that has not got its permit yet with {@code cause}; false when it is not waiting (it has the
   * permit, or is about to: its caller must release it).
   */
  boolean cancel(Future<Void> waiter, Throwable cause) {
    Waiter found = null;
    synchronized (this) {
      for (Iterator<Waiter> it = waiting.iterator(); it.hasNext() && found == null; ) {
        Waiter w = it.next();
        if (w.promise().future() == waiter) {
          it.remove();
          found = w;
        }
      }
    }
    if (found == null) {
      return false;
    }
    found.promise().fail(cause);
    return true;
  }

  synchronized int inFlight() {
    return inFlight;
  }
}
