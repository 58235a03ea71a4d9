package dev.tugboat.inventory;

import dev.tugboat.db.Leases;
import dev.tugboat.db.Schedule;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tugboat updater} inside the server: every node polls the {@code inventory.rescan} schedule, and the
 * one that claims it runs the re-scan while renewing its lease, so it runs once per {@code rescanInterval}
 * across the cluster.
 */
public final class RescanVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(RescanVerticle.class);
  public static final String SCHEDULE = "inventory.rescan";

  private final Schedule schedule;
  private final Supplier<Future<InventoryRescan.Summary>> rescan;
  private final Duration poll;
  private final Counter runs;
  private final String owner;
  private final Duration lease;
  private long timer = -1;
  private boolean running;
  private boolean ensured; // the schedule row exists: no need to insert it on every tick

  public RescanVerticle(Schedule schedule, Supplier<Future<InventoryRescan.Summary>> rescan, Duration interval,
                        MeterRegistry metrics, String node, Duration lease) {
    this.schedule = schedule;
    this.owner = Leases.owner(node, "rescan");
    this.lease = lease;
    this.rescan = rescan;
    this.runs = metrics.counter("tugboat_inventory_rescans");
    // poll often enough that a run is not late by much, rarely enough to cost nothing
    this.poll = Duration.ofMillis(Math.max(1000, Math.min(interval.toMillis() / 4, 60_000)));
  }

  @Override
  public Future<?> start() {
    // no database work here: a node starts (and reports unready) while the database is down
    timer = vertx.setPeriodic(1, poll.toMillis(), id -> tick());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }

  private void tick() {
    if (running) {
      return;
    }
    running = true;
    (ensured ? Future.<Void>succeededFuture() : schedule.ensure().onSuccess(v -> ensured = true))
        .compose(v -> schedule.claim(owner, lease))
        .compose(mine -> mine ? run() : Future.succeededFuture())
        .onFailure(err -> LOG.warn("inventory re-scan: {}", err.getMessage()))
        .onComplete(done -> running = false);
  }

  private Future<Void> run() {
    long renew = vertx.setPeriodic(lease.toMillis() / 3, id -> schedule.renew(owner, lease));
    long started = System.nanoTime();
    runs.increment();
    return rescan.get()
        .transform(done -> {
          vertx.cancelTimer(renew);
          String result = done.succeeded()
              ? "scraped " + done.result().scraped() + ", unchanged " + done.result().unchanged() + ", failed "
                  + done.result().failed()
              : "failed: " + done.cause().getMessage();
          LOG.info("inventory re-scan {} in {} ms", result, (System.nanoTime() - started) / 1_000_000);
          return schedule.done(owner, result);
        });
  }
}
