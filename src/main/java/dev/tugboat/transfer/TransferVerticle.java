package dev.tugboat.transfer;

import dev.tugboat.bus.Addresses;
import dev.tugboat.bus.WakeUps;
import dev.tugboat.config.Settings;
import dev.tugboat.db.Backoff;
import dev.tugboat.db.Leases;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs transfer jobs: woken on submit (event bus) and by a periodic sweep, it claims up to
 * {@code transfer.workers} jobs under a lease, renews the lease while copying and saves progress every
 * {@code progressInterval} while anything changed (bytes moving included). A job whose targets are not all done
 * is retried with backoff, then FAILED with the reason; a node that dies leaves its lease to expire, and another
 * node resumes the job (present blobs skipped) as a takeover, which is not an attempt. A job whose nodes keep
 * getting lost ends FAILED after {@code transfer.maxTakeovers}, so every job ends.
 */
public final class TransferVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(TransferVerticle.class);
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
  /** Writes of an attempt's outcome before it is left to the lease (the database may be briefly away). */
  private static final int OUTCOME_WRITES = 5;
  private static final Backoff OUTCOME_BACKOFF = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(3));

  private final TransferService service;
  private final Settings.Transfer settings;
  private final String owner;
  private final Map<String, ImageCopy> running = new HashMap<>();
  private final WakeUps wakeUps = new WakeUps(this::claim,
      err -> LOG.warn("transfer jobs: claim failed ({}); the sweep retries", err.getMessage()));
  private MessageConsumer<JsonObject> cancels;

  /** Why a copy was stopped from outside. */
  static final class Stopped extends RuntimeException {
    final boolean byRequest;

    Stopped(String message, boolean byRequest) {
      super(message, null, false, false);
      this.byRequest = byRequest;
    }
  }

  /** Why a job ends FAILED without another attempt. */
  static final class Hopeless extends RuntimeException {
    Hopeless(String message) {
      super(message, null, false, false);
    }
  }

  public TransferVerticle(TransferService service) {
    this.service = service;
    this.settings = service.settings();
    this.owner = Leases.owner(service.node(), "transfer");
  }

  /** Starts without the database: a node whose database is down still starts; jobs wait until it answers. */
  @Override
  public Future<?> start() {
    cancels = vertx.eventBus().consumer(Addresses.TRANSFER_CANCEL, message -> {
      ImageCopy copy = running.get(message.body().getString("id"));
      if (copy != null) {
        copy.cancel(new Stopped("cancelled", true));
      }
    });
    return Future.all(wakeUps.listen(vertx, Addresses.TRANSFER_JOBS, settings.sweepInterval()), cancels.completion());
  }

  /** Stops this node's copies; their leases expire and another node resumes them. */
  @Override
  public Future<?> stop() {
    running.values().forEach(copy -> copy.cancel(new Stopped("node stopping", false)));
    return Future.join(wakeUps.close(), cancels.unregister());
  }

  /** Claims jobs while this node has free workers and the queue has some. */
  private Future<Void> claim() {
    int free = settings.workers() - running.size();
    if (free <= 0) {
      return Future.succeededFuture();
    }
    return service.box().compose(box -> service.store().claim(owner, settings.leaseTtl(), free).compose(jobs -> {
      jobs.forEach(job -> run(job, box));
      return jobs.isEmpty() ? Future.succeededFuture() : claim();
    }));
  }

  private void run(TransferJob job, SecretBox box) {
    Progress progress = Progress.fromJson(job.progress());
    if (job.cancelled()) { // cancelled while its node was gone
      end(job, progress, new Stopped("cancelled", true));
      return;
    }
    if (job.takeovers() > settings.maxTakeovers()) {
      end(job, progress, new Hopeless("the node running the job was lost " + job.takeovers()
          + " times (more than transfer.maxTakeovers)"));
      return;
    }
    JobClients clients = service.clients();
    boolean[] dirty = {true};
    ImageCopy copy;
    try {
      TransferRequest request = TransferRequest.restore(job.request(),
          job.secrets() == null ? null : box.open(job.secrets()));
      copy = new ImageCopy(vertx, TransferService.source(clients, request), TransferService.targets(clients, request),
          progress, new ImageCopy.Options(settings.parallelBlobs(), settings.chunkSize()), () -> dirty[0] = true);
      if (job.attempts() == 1 && job.takeovers() == 0) { // later attempts wait on purpose (backoff)
        long claimed = service.sinceSubmit(job).toMillis();
        copy.onFirstBlob(() -> LOG.info("transfer job {}: first blob requested {} ms after submit (claimed after {} ms)",
            job.id(), service.started(job).toMillis(), claimed));
      }
    } catch (RuntimeException e) {
      LOG.warn("transfer job {} cannot start: {}", job.id(), e.getMessage());
      end(job, progress, e);
      return;
    }
    long third = Math.max(settings.leaseTtl().toMillis() / 3, 200);
    long renew = vertx.setPeriodic(third, id -> service.store().renew(job.id(), owner, settings.leaseTtl())
        .onSuccess(held -> {
          if (!held) {
            copy.cancel(new Stopped("lease lost", false));
          }
        })
        .onFailure(err -> LOG.warn("transfer job {}: lease not renewed ({}); tried again in {} ms", job.id(),
            err.getMessage(), third)));
    boolean[] saving = {false}; // one save at a time: two in flight could land in the wrong order
    long flush = vertx.setPeriodic(settings.progressInterval().toMillis(), id -> {
      if (dirty[0] && !saving[0]) {
        dirty[0] = false;
        saving[0] = true;
        save(job.id(), copy, progress).onComplete(done -> saving[0] = false);
      }
    });
    running.put(job.id(), copy);
    LOG.info("transfer job {}: attempt {} of {} started{}", job.id(), job.attempts(), job.maxAttempts(),
        job.takeovers() == 0 ? "" : " (takeovers: " + job.takeovers() + ")");
    copy.run(job.attempts()).onComplete(done -> {
      vertx.cancelTimer(renew);
      vertx.cancelTimer(flush);
      end(job, progress, done.failed() ? done.cause() : null);
    });
  }

  private Future<?> save(String id, ImageCopy copy, Progress progress) {
    return service.store().saveProgress(id, owner, progress.toJson()).onSuccess(cancel -> {
      if (cancel.isEmpty()) {
        copy.cancel(new Stopped("lease lost", false));
      } else if (cancel.get()) {
        copy.cancel(new Stopped("cancelled", true));
      }
      vertx.eventBus().publish(Addresses.TRANSFER_PROGRESS, new JsonObject().put("id", id));
    });
  }

  /** Records the attempt's outcome: FINISHED, FAILED (cancelled, hopeless, out of attempts), or QUEUED for a retry. */
  private void end(TransferJob job, Progress progress, Throwable failure) {
    String error = failure != null ? String.valueOf(failure.getMessage()) : progress.failures();
    TransferStore store = service.store();
    Supplier<Future<Boolean>> write;
    if (failure instanceof Stopped stopped && !stopped.byRequest) {
      LOG.info("transfer job {}: {}; another node resumes it", job.id(), stopped.getMessage());
      write = () -> Future.succeededFuture(false); // the lease is gone or expiring: this node writes nothing
    } else if (failure instanceof Stopped) {
      write = () -> store.finish(job.id(), owner, "FAILED", "cancelled", progress.toJson());
    } else if (failure == null && progress.allDone()) {
      LOG.info("transfer job {}: FINISHED", job.id());
      write = () -> store.finish(job.id(), owner, "FINISHED", null, progress.toJson());
    } else if (failure instanceof Hopeless || job.attempts() >= job.maxAttempts()) {
      LOG.warn("transfer job {}: FAILED after {} attempt(s): {}", job.id(), job.attempts(), error);
      write = () -> store.finish(job.id(), owner, "FAILED", error, progress.toJson());
    } else {
      Duration delay = new Backoff(settings.retryBackoff(), MAX_BACKOFF).after(job.attempts());
      LOG.warn("transfer job {}: attempt {} failed, retrying in {} ms: {}", job.id(), job.attempts(), delay.toMillis(),
          error);
      write = () -> store.retry(job.id(), owner, error, progress.toJson(), delay);
    }
    record(job.id(), write, 1).onComplete(done -> {
      running.remove(job.id());
      vertx.eventBus().publish(Addresses.TRANSFER_PROGRESS, new JsonObject().put("id", job.id()));
      wakeUps.wake();
    });
  }

  /**
   * Writes an outcome, again after a pause when the database failed (the store makes every text storable, so
   * a failure is the database's); after {@link #OUTCOME_WRITES} the job is left to its lease and taken over.
   */
  private Future<Boolean> record(String id, Supplier<Future<Boolean>> write, int attempt) {
    return write.get().recover(err -> {
      if (attempt >= OUTCOME_WRITES) {
        LOG.warn("transfer job {}: outcome not saved after {} tries ({}); its lease expires and another node"
            + " takes it over", id, attempt, err.getMessage());
        return Future.succeededFuture(false);
      }
      return vertx.timer(OUTCOME_BACKOFF.after(attempt).toMillis()).compose(v -> record(id, write, attempt + 1));
    });
  }
}
