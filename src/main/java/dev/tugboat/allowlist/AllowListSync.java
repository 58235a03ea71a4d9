package dev.tugboat.allowlist;

import dev.tugboat.bus.Addresses;
import dev.tugboat.bus.Cluster;
import dev.tugboat.bus.WakeUps;
import dev.tugboat.config.Durations;
import dev.tugboat.config.Settings;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's {@link AllowListIndex} current, so admission never waits for the database: the whole list is
 * loaded at start, then the changes after the version held are read when a write anywhere in the cluster publishes
 * its version ({@link Addresses#ALLOWLIST_CHANGED}) and every {@code admission.checkInterval} (a missed message
 * costs at most that long). A node further behind than the kept changes, or that never loaded, loads the whole
 * list again. Each successful read confirms the copy; while the database cannot be read the copy is {@code STALE}
 * and still answers, and once unconfirmed for longer than {@code admission.staleFor} it is {@code EXPIRED}:
 * {@code admission.failurePolicy} decides. Each change of state is logged once and shown in {@code /metrics}.
 */
public final class AllowListSync extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(AllowListSync.class);
  /** Changes read per statement while catching up. */
  static final int CHANGES_PER_READ = 1000;
  private static final long READ_TIMEOUT_MS = 5_000;
  private static final long LOAD_TIMEOUT_MS = 60_000;
  /** Longest a write's answer waits for this node's copy (well within http.requestTimeout). */
  private static final long WRITE_WAIT_MS = 2_000;

  /** What admission may answer from. */
  public enum State {
    /** Confirmed by the last read. */
    CURRENT,
    /** The database cannot be read: the last known list answers, for up to {@code staleFor}. */
    STALE,
    /** Never loaded, or unconfirmed for longer than {@code staleFor}: the failure policy answers. */
    EXPIRED
  }

  private final AllowListStore store;
  private final AllowListIndex index;
  private final Cluster cluster;
  private final Settings.Admission settings;
  private final Clock clock;
  private final WakeUps wakeUps = new WakeUps(this::refresh, this::failed);
  /** Writes of this node waiting for the index to hold them; on this verticle's context only. */
  private final List<Waiter> waiters = new ArrayList<>();
  private volatile long version = -1; // -1: never loaded
  private volatile Instant confirmedAt;
  private volatile boolean failing;
  private boolean expiredLogged;

  public AllowListSync(AllowListStore store, AllowListIndex index, Settings.Admission settings, Clock clock,
                       MeterRegistry metrics, Cluster cluster) {
    this.cluster = cluster;
    this.store = store;
    this.index = index;
    this.settings = settings;
    this.clock = clock;
    Gauge.builder("tugboat_admission_index_entries", index, AllowListIndex::size)
        .description("allow-list entries in this node's admission copy").register(metrics);
    Gauge.builder("tugboat_admission_index_version", this, s -> Math.max(s.version, 0))
        .description("allow-list version this node's admission copy holds").register(metrics);
    Gauge.builder("tugboat_admission_index_age_seconds", this, AllowListSync::ageSeconds)
        .description("seconds since the database last confirmed this node's admission copy").register(metrics);
    Gauge.builder("tugboat_admission_index_stale", this, s -> s.state() == State.CURRENT ? 0 : 1)
        .description("1 while the database cannot be read: admission answers from the last known list").register(metrics);
    Gauge.builder("tugboat_admission_index_expired", this, s -> s.state() == State.EXPIRED ? 1 : 0)
        .description("1 when admission.failurePolicy answers (never loaded, or stale for longer than admission.staleFor)")
        .register(metrics);
  }

  /** The list is loaded before the node serves (a database that cannot be read then leaves it EXPIRED, retried). */
  @Override
  public Future<?> start() {
    return refresh().recover(failure -> {
      failed(failure);
      return Future.succeededFuture();
    }).compose(v -> vertx.eventBus().<JsonObject>consumer(Addresses.allowListHold(cluster.node()),
            request -> hold(request.body().getLong("version", 0L)).onComplete(held -> request.reply(null)))
        .completion())
        .compose(v -> wakeUps.listen(vertx, Addresses.ALLOWLIST_CHANGED, settings.checkInterval()));
  }

  @Override
  public Future<?> stop() {
    return wakeUps.close();
  }

  public State state() {
    if (version < 0) {
      return State.EXPIRED;
    }
    if (!failing) {
      return State.CURRENT;
    }
    return Duration.between(confirmedAt, clock.instant()).compareTo(settings.staleFor()) > 0 ? State.EXPIRED
        : State.STALE;
  }

  /**
   * A write of {@code version} committed on this node: every node is told, and the future completes (on the
   * caller's context) once this node's copy and every other member's hold it, so admission on any node reflects a
   * write as soon as it is acknowledged (a client that writes, then deploys through another node, is not refused).
   * It never fails, and waits at most {@link #WRITE_WAIT_MS}: a copy that cannot catch up now (a node starting,
   * stopping or cut off) gets the write from its periodic read.
   */
  public Future<Void> written(long version) {
    vertx.eventBus().publish(Addresses.ALLOWLIST_CHANGED, new JsonObject().put("version", version));
    Context caller = Vertx.currentContext();
    Promise<Void> local = Promise.promise();
    context.runOnContext(v -> hold(version).onComplete(local));
    // join, not all: a member that cannot answer (stopping, starting) must not cut the wait for the others short
    Future<Void> everywhere = Future.join(local.future(), othersHold(version)).mapEmpty();
    return everywhere.timeout(WRITE_WAIT_MS, TimeUnit.MILLISECONDS).recover(failure -> {
      LOG.debug("allow-list: not every node's copy holds version {} yet ({}); their next check reads it", version,
          failure.getMessage());
      return Future.succeededFuture();
    }).transform(done -> { // back on the writer's context
      Promise<Void> answer = Promise.promise();
      if (caller == null) {
        answer.handle(done);
      } else {
        caller.runOnContext(x -> answer.handle(done));
      }
      return answer.future();
    });
  }

  /** Completes once this node's copy holds {@code version} (on this verticle's context). */
  private Future<Void> hold(long version) {
    if (this.version >= version) {
      return Future.succeededFuture();
    }
    Promise<Void> held = Promise.promise();
    waiters.add(new Waiter(version, held));
    wakeUps.wake();
    return held.future();
  }

  /** Every other member's answer that its copy holds {@code version} (none when not clustered). */
  private Future<Void> othersHold(long version) {
    if (!cluster.clustered()) {
      return Future.succeededFuture();
    }
    JsonObject body = new JsonObject().put("version", version);
    DeliveryOptions within = new DeliveryOptions().setSendTimeout(WRITE_WAIT_MS);
    return cluster.members().compose(members -> Future.join(members.stream()
        .filter(member -> !member.node().equals(cluster.node()))
        .map(member -> vertx.eventBus().request(Addresses.allowListHold(member.node()), body, within))
        .toList())).mapEmpty();
  }

  private Future<Void> refresh() {
    return version < 0 ? load() : catchUp();
  }

  private Future<Void> load() {
    return store.snapshot().timeout(LOAD_TIMEOUT_MS, TimeUnit.MILLISECONDS).map(snapshot -> {
      index.replace(snapshot.entries());
      version = snapshot.version();
      LOG.info("allow-list: {} entries loaded for admission (version {})", index.size(), version);
      confirmed();
      return null;
    });
  }

  /** Applies the changes after the version held, oldest first; a gap (pruned changes) means a full load. */
  private Future<Void> catchUp() {
    return store.changesAfter(version, CHANGES_PER_READ).timeout(READ_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .compose(changes -> {
          boolean gap = false;
          for (int i = 0; i < changes.size(); i++) {
            gap |= changes.get(i).version() != version + 1 + i;
          }
          if (gap) {
            LOG.info("allow-list: this node's copy (version {}) is older than the changes kept; loading it again",
                version);
            return load(); // the old copy answers until the new one replaces it whole
          }
          for (AllowListStore.Change change : changes) {
            if (change.entry() == null) {
              index.remove(change.id());
            } else {
              index.put(change.entry());
            }
            version = change.version();
          }
          if (changes.size() == CHANGES_PER_READ) {
            return catchUp();
          }
          confirmed();
          return Future.succeededFuture();
        });
  }

  private void confirmed() {
    confirmedAt = clock.instant();
    if (failing) {
      failing = false;
      LOG.info("allow-list: the database answers again; admission answers from the current list (version {})",
          version);
    }
    expiredLogged = false;
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      if (waiter.version() <= version) {
        waiter.promise().tryComplete();
        it.remove();
      }
    }
  }

  private void failed(Throwable failure) {
    if (!failing) {
      failing = true;
      if (version >= 0) {
        LOG.warn("allow-list: the database cannot be read ({}); admission answers from the last known list"
                + " ({} entries, version {}, confirmed {}) for up to admission.staleFor ({})", failure.getMessage(),
            index.size(), version, confirmedAt, Durations.format(settings.staleFor()));
      } else {
        LOG.error("allow-list: the list could not be loaded ({}); admission.failurePolicy ({}) answers until it is",
            failure.getMessage(), settings.failurePolicy().name().toLowerCase(java.util.Locale.ROOT));
      }
    }
    if (version >= 0 && state() == State.EXPIRED && !expiredLogged) {
      expiredLogged = true;
      LOG.error("allow-list: not confirmed by the database since {} (longer than admission.staleFor, {}):"
              + " admission.failurePolicy ({}) answers until the database answers again", confirmedAt,
          Durations.format(settings.staleFor()), settings.failurePolicy().name().toLowerCase(java.util.Locale.ROOT));
    }
    waiters.forEach(waiter -> waiter.promise().tryFail(failure));
    waiters.clear();
  }

  private double ageSeconds() {
    Instant at = confirmedAt;
    return at == null ? Double.NaN : Duration.between(at, clock.instant()).toMillis() / 1000.0;
  }

  /** A write waiting for the copy to hold its version. */
  private record Waiter(long version, Promise<Void> promise) {}
}
