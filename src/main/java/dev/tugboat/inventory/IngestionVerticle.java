package dev.tugboat.inventory;

import dev.tugboat.bus.Addresses;
import dev.tugboat.bus.WakeUps;
import dev.tugboat.db.Backoff;
import dev.tugboat.db.Leases;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works the inventory inbox: woken by the webhook (event bus) and by a periodic sweep, it claims pending
 * events under a lease (any number of nodes, no event processed twice at once), handles them in arrival
 * order, and records the outcome; failures are retried with backoff, then marked FAILED with the reason. The
 * batch's leases are renewed while it is worked on; those of a node that died run out and another node takes over.
 */
public final class IngestionVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(IngestionVerticle.class);
  static final int BATCH = 32;
  static final int MAX_ATTEMPTS = 8;
  /** 2 s, 4 s, … at most 5 min between attempts. */
  static final Backoff RETRY = new Backoff(Duration.ofSeconds(2), Duration.ofMinutes(5));

  private final InboxStore inbox;
  private final Ingestion ingestion;
  private final Duration sweep;
  private final Duration lease;
  private final String owner;
  private final WakeUps wakeUps = new WakeUps(this::drain,
      failure -> LOG.warn("inventory inbox: claim failed ({}); the sweep retries", failure.getMessage()));

  public IngestionVerticle(InboxStore inbox, Ingestion ingestion, Duration sweep, String node, Duration lease) {
    this.inbox = inbox;
    this.ingestion = ingestion;
    this.sweep = sweep;
    this.owner = Leases.owner(node, "ingestion");
    this.lease = lease;
  }

  @Override
  public Future<?> start() {
    return wakeUps.listen(vertx, Addresses.INVENTORY_INBOX, sweep);
  }

  @Override
  public Future<?> stop() {
    return wakeUps.close();
  }

  private Future<Void> drain() {
    return inbox.claim(owner, lease, BATCH).compose(entries -> {
      if (entries.isEmpty()) {
        return Future.succeededFuture();
      }
      // layer, pull and mount events were stored IGNORED: what is claimed needs the registry, in order
      return Leases.renewing(vertx, lease, () -> inbox.renew(owner, lease), () -> processAll(entries, 0))
          .compose(v -> drain());
    });
  }

  private Future<Void> processAll(List<InboxStore.Entry> entries, int index) {
    if (index >= entries.size()) {
      return Future.succeededFuture();
    }
    InboxStore.Entry entry = entries.get(index);
    return process(entry).compose(v -> processAll(entries, index + 1));
  }

  private Future<Void> process(InboxStore.Entry entry) {
    RegistryEvent event = entry.event();
    return ingestion.handle(event)
        .compose(outcome -> inbox.finish(entry.id(), owner, outcome.name()))
        .recover(failure -> {
          int attempt = entry.attempts() + 1;
          boolean giveUp = attempt >= MAX_ATTEMPTS || !Ingestion.retryable(failure);
          Duration retryIn = RETRY.after(attempt);
          LOG.warn("inventory event {} ({} {}/{}:{}) failed, attempt {}{}: {}", entry.id(), event.action(),
              event.registry(), event.repository(), event.tag() != null ? event.tag() : event.digest(), attempt,
              giveUp ? ", giving up" : ", retrying in " + retryIn.toSeconds() + " s", failure.getMessage());
          return inbox.fail(entry.id(), owner, String.valueOf(failure.getMessage()), retryIn, giveUp);
        });
  }
}
