package dev.tugboat.inventory;

import dev.tugboat.bus.Addresses;
import dev.tugboat.bus.WakeUps;
import dev.tugboat.db.Backoff;
import dev.tugboat.registry.RegistryException;
import io.vertx.core.Context;
import dev.tugboat.db.Leases;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works the inventory inbox: woken by the webhook (event bus), by a periodic sweep and whenever it has room
 * again, it claims pending events under a lease (any number of nodes, no event processed twice at once) and
 * records each outcome; failures are retried with backoff, then marked FAILED with the reason. An event that
 * cannot even be read fails its row at once.
 *
 * <p>One registry's trouble never delays another's: events are processed in lanes, one per repository (in arrival
 * order within it), all lanes at once, at most {@value #MAX_HELD} events held per node. A slow registry is bounded
 * by the registry client's deadline, and once a call to it timed out or could not connect, its other events fail
 * fast (and are retried later) for {@link #UNREACHABLE_PAUSE} instead of each waiting out the deadline, so a
 * backlog for a dead registry cannot fill the lanes.
 * The held events' leases are renewed every third of {@code inventory.leaseTtl}; those of a node that died run
 * out and another node takes the events over.
 */
public final class IngestionVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(IngestionVerticle.class);
  static final int BATCH = 32;
  /** Events claimed and not yet finished (waiting in a lane or being processed), per node. */
  static final int MAX_HELD = 64;
  static final int MAX_ATTEMPTS = 8;
  /** 2 s, 4 s, … at most 5 min between attempts. */
  static final Backoff RETRY = new Backoff(Duration.ofSeconds(2), Duration.ofMinutes(5));
  /** How long a registry that timed out or refused connections is not called again by this node. */
  static final Duration UNREACHABLE_PAUSE = Duration.ofSeconds(10);

  private final InboxStore inbox;
  private final Ingestion ingestion;
  private final Duration sweep;
  private final Clock clock;
  private final Duration lease;
  private final String owner;
  private final WakeUps wakeUps = new WakeUps(this::drain,
      failure -> LOG.warn("inventory inbox: claim failed ({}); the sweep retries", failure.getMessage()));
  /** Events waiting per lane ({@code registry/repository}); a lane is present while it runs. */
  private final Map<String, ArrayDeque<InboxStore.Entry>> lanes = new HashMap<>();
  /** Registry → until when it is not called, with the failure that made it so. */
  private final Map<String, Unreachable> unreachable = new HashMap<>();
  private int held;
  /** A claim stopped for lack of room: pending events may be waiting, so the next finished event claims again. */
  private boolean backlog;
  private Context context;
  private long renewTimer = -1;

  private record Unreachable(Instant until, String reason) {}

  public IngestionVerticle(InboxStore inbox, Ingestion ingestion, Duration sweep, Clock clock, String node,
                           Duration lease) {
    this.inbox = inbox;
    this.ingestion = ingestion;
    this.sweep = sweep;
    this.clock = clock;
    this.owner = Leases.owner(node, "ingestion");
    this.lease = lease;
  }

  @Override
  public Future<?> start() {
    context = vertx.getOrCreateContext();
    // events wait in lanes behind others of their repository: their leases must outlive the wait
    renewTimer = vertx.setPeriodic(lease.toMillis() / 3, id -> {
      if (held > 0) {
        inbox.renew(owner, lease).onFailure(err -> LOG.warn("inventory inbox: lease renewal failed ({})",
            err.getMessage()));
      }
    });
    return wakeUps.listen(vertx, Addresses.INVENTORY_INBOX, sweep);
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(renewTimer);
    return wakeUps.close();
  }

  /** Claims as many events as there is room for and hands them to their lanes (not waiting for them). */
  private Future<Void> drain() {
    int room = Math.min(BATCH, MAX_HELD - held);
    if (room <= 0) {
      backlog = true;
      return Future.succeededFuture();
    }
    return inbox.claim(owner, lease, room).compose(entries -> {
      held += entries.size();
      entries.forEach(this::enqueue);
      return entries.size() == room ? drain() : Future.succeededFuture();
    });
  }

  private void enqueue(InboxStore.Entry entry) {
    String lane = entry.event() == null ? "malformed " + entry.id()
        : entry.event().registry() + "/" + entry.event().repository();
    ArrayDeque<InboxStore.Entry> waiting = lanes.get(lane);
    if (waiting != null) {
      waiting.add(entry); // behind the events of its repository claimed before it
      return;
    }
    lanes.put(lane, new ArrayDeque<>());
    run(lane, entry);
  }

  private void run(String lane, InboxStore.Entry entry) {
    Future.succeededFuture().compose(v -> process(entry)) // a throw while processing fails this event alone
        .onComplete(done -> onContext(() -> {
          if (done.failed()) { // the outcome could not be saved: the lease runs out and the event is claimed again
            LOG.warn("inventory event {}: outcome not saved ({}); retried after its lease", entry.id(),
                done.cause().getMessage());
          }
          held--;
          InboxStore.Entry next = lanes.get(lane).poll();
          if (next == null) {
            lanes.remove(lane);
          } else {
            run(lane, next);
          }
          if (backlog) { // new events wake the claim themselves (webhook, sweep); this is for those left unclaimed
            backlog = false;
            wakeUps.wake();
          }
        }));
  }

  /** Lane bookkeeping stays on this verticle's context, whichever thread completed the event's work. */
  private void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  private Future<Void> process(InboxStore.Entry entry) {
    if (entry.malformed() != null) { // stored before validation at the door existed: it can never succeed
      LOG.warn("inventory event {} cannot be read, marked FAILED: {}", entry.id(), entry.malformed());
      return inbox.fail(entry.id(), owner, entry.malformed(), Duration.ZERO, true);
    }
    RegistryEvent event = entry.event();
    Unreachable down = unreachable.get(event.registry());
    Instant pausedUntil = down != null && clock.instant().isBefore(down.until()) ? down.until() : null;
    Future<Ingestion.Outcome> handled = pausedUntil != null
        ? Future.failedFuture(new RegistryException("registry " + event.registry() + " unreachable (" + down.reason()
            + "); not called again before " + down.until(), 0, java.util.List.of(), null))
        : ingestion.handle(event);
    return handled
        .compose(outcome -> inbox.finish(entry.id(), owner, outcome.name()))
        .recover(failure -> {
          if (unreachable(failure)) {
            onContext(() -> unreachable.put(event.registry(),
                new Unreachable(clock.instant().plus(UNREACHABLE_PAUSE), failure.getMessage())));
          }
          int attempt = entry.attempts() + 1;
          boolean giveUp = attempt >= MAX_ATTEMPTS || !Ingestion.retryable(failure);
          Duration retryIn = RETRY.after(attempt);
          if (pausedUntil != null) { // the registry was not called: try again once it may be, not during the pause
            Duration rest = Duration.between(clock.instant(), pausedUntil);
            retryIn = rest.compareTo(retryIn) > 0 ? rest : retryIn;
          }
          LOG.warn("inventory event {} ({} {}/{}:{}) failed, attempt {}{}: {}", entry.id(), event.action(),
              event.registry(), event.repository(), event.tag() != null ? event.tag() : event.digest(), attempt,
              giveUp ? ", giving up" : ", retrying in " + retryIn.toSeconds() + " s", failure.getMessage());
          return inbox.fail(entry.id(), owner, String.valueOf(failure.getMessage()), retryIn, giveUp);
        });
  }

  /** A failure that says the registry itself is not answering (timed out, refused or dropped the connection). */
  private static boolean unreachable(Throwable failure) {
    return failure instanceof RegistryException.Timeout
        || failure instanceof RegistryException e && e.status() == 0 && e.getCause() != null
        && !(e instanceof RegistryException.InvalidRequest);
  }
}
