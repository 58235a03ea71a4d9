package dev.tugboat.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Runs a verticle's drain on wake-ups (bus messages, sweeps) one at a time: a wake-up while it runs makes
 * it run once more afterwards, so no wake-up is lost and runs never overlap. Used on the verticle's context.
 * A drain that throws counts as a failed run: the next wake-up runs it again.
 */
public final class WakeUps {
  private final Supplier<Future<?>> drain;
  private final Consumer<Throwable> onFailure;
  private boolean running;
  private boolean again;
  private Vertx vertx;
  private MessageConsumer<Object> consumer;
  private long timer = -1;

  public WakeUps(Supplier<Future<?>> drain, Consumer<Throwable> onFailure) {
    this.drain = drain;
    this.onFailure = onFailure;
  }

  /** Wakes on every message to {@code address} and every {@code sweep}, and once now (call from the verticle's start). */
  public Future<Void> listen(Vertx vertx, String address, Duration sweep) {
    this.vertx = vertx;
    consumer = vertx.eventBus().consumer(address, message -> wake());
    timer = vertx.setPeriodic(sweep.toMillis(), id -> wake());
    wake();
    return consumer.completion();
  }

  /** Stops listening (call from the verticle's stop). */
  public Future<Void> close() {
    if (vertx == null) {
      return Future.succeededFuture();
    }
    vertx.cancelTimer(timer);
    return consumer.unregister();
  }

  public void wake() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    Future<?> run;
    try {
      run = drain.get();
    } catch (RuntimeException e) { // a drain that throws instead of failing must not leave running set forever
      run = Future.failedFuture(e);
    }
    run.onComplete(done -> {
      if (done.failed()) {
        onFailure.accept(done.cause());
      }
      running = false;
      if (again) {
        wake();
      }
    });
  }
}
