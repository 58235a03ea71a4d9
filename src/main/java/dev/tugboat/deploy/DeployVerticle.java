package dev.tugboat.deploy;

import dev.tugboat.bus.Addresses;
import dev.tugboat.bus.Changes;
import dev.tugboat.bus.WakeUps;
import dev.tugboat.db.Leases;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works the deployments queue: woken by the watcher and the routes (event bus) and by a sweep, it claims
 * queued deployments under a lease, takes the Nomad job's lock (one deployment per job across the cluster;
 * a deployment whose job is busy waits for the next sweep), and runs it with the {@link Deployer}, renewing
 * both leases while it follows the rollout. With {@code deploy.dryRun} it decides and notifies only.
 */
public final class DeployVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(DeployVerticle.class);
  static final Duration SWEEP = Duration.ofSeconds(2);

  private final DeploymentStore store;
  private final Deployer deployer;
  private final DeploymentListener listener;
  private final Notifier notifier;
  private final boolean dryRun;
  private final Duration lease;
  /** Set by stop: rollouts being followed are abandoned, not ended, and another node continues them. */
  private volatile boolean stopping;
  private final String owner;
  private final WakeUps wakeUps = new WakeUps(this::claim,
      failure -> LOG.warn("deployments: claim failed ({}); the sweep retries", failure.getMessage()));

  public DeployVerticle(DeploymentStore store, Deployer deployer, DeploymentListener listener, Notifier notifier,
                        boolean dryRun, Duration lease, String node) {
    this.lease = lease;
    this.owner = Leases.owner(node, "deployer");
    this.store = store;
    this.deployer = deployer;
    this.listener = listener;
    this.notifier = notifier;
    this.dryRun = dryRun;
  }

  @Override
  public Future<?> start() {
    return wakeUps.listen(vertx, Addresses.DEPLOY_WAKE, SWEEP);
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    return wakeUps.close();
  }

  /** Claims what is queued and starts each; they run on, each under its own lease. */
  private Future<?> claim() {
    return store.claim(owner, lease, 8).onSuccess(claimed -> claimed.forEach(this::run));
  }

  private void run(Deployment claimed) {
    String jobOwner = owner + "/" + claimed.id(); // per deployment, so two of one job on this node exclude each other too
    store.lockJob(claimed.lockKey(), jobOwner, lease).compose(locked -> {
      if (!locked) {
        LOG.debug("job {} is being deployed elsewhere; deployment {} waits", claimed.job(), claimed.id());
        return store.release(claimed.id(), owner).mapEmpty();
      }
      AtomicBoolean owned = new AtomicBoolean(true);
      long renewal = vertx.setPeriodic(lease.toMillis() / 3, id -> store.renew(claimed.id(), owner, lease)
          .compose(ok -> ok ? store.renewJob(claimed.lockKey(), jobOwner, lease) : Future.succeededFuture(false))
          .onComplete(ok -> {
            if (ok.failed() || !ok.result()) {
              LOG.warn("deployment {}: lease lost; another node takes it over", claimed.id());
              owned.set(false);
            }
          }));
      return execute(claimed, owned)
          .eventually(() -> {
            vertx.cancelTimer(renewal);
            return store.unlockJob(claimed.lockKey(), jobOwner);
          }).mapEmpty();
    }).onFailure(failure -> LOG.warn("deployment {} of {}: {} (retried after the lease expires)", claimed.id(),
        claimed.image(), failure.getMessage()));
  }

  private Future<Void> execute(Deployment claimed, AtomicBoolean owned) {
    boolean first = claimed.state() == Deployment.State.PENDING;
    return store.start(claimed, owner).compose(d -> {
      Changes.deployment(vertx.eventBus(), d.id(), d.repo(), d.state().name());
      LOG.info("deployment {}: {} to Nomad job {} ({}{})", d.id(), d.image(), d.job(), d.reason(),
          first ? "" : ", taken over");
      Deployer.Tracker tracker = tracker(d, owned, first);
      if (dryRun) {
        return tracker.announce().map(v -> new Deployer.Result(Deployment.State.DRY_RUN,
                "dry run (deploy.dryRun / DEBUG): Nomad not called", null))
            .compose(result -> complete(d, result));
      }
      return deployer.deploy(d, tracker).compose(result -> result == null
          ? Future.succeededFuture() : complete(d, result));
    });
  }

  private Future<Void> complete(Deployment d, Deployer.Result result) {
    LOG.info("deployment {}: {} ({})", d.id(), result.state(), result.message());
    return listener.finished(d, result.state())
        .compose(v -> store.finish(d.id(), owner, result.state(), result.message()))
        .onSuccess(v -> Changes.deployment(vertx.eventBus(), d.id(), d.repo(), result.state().name()))
        .compose(v -> result.notice() == null ? Future.succeededFuture() : notifier.send(result.notice()));
  }

  /** Announced once: by the first holder (a takeover continues what was announced already). */
  private Deployer.Tracker tracker(Deployment d, AtomicBoolean owned, boolean first) {
    return new Deployer.Tracker() {
      @Override
      public Future<Void> announce() {
        return first ? notifier.send(Notice.started(d.repo(), d.job(), d.toTag())) : Future.succeededFuture();
      }

      @Override
      public Future<Void> submitted(String evalId) {
        return store.progress(d.id(), owner, evalId, null, null);
      }

      @Override
      public Future<Void> deploymentFound(String nomadDeploymentId, Long jobVersion) {
        return store.progress(d.id(), owner, null, nomadDeploymentId, jobVersion);
      }

      @Override
      public boolean owned() {
        return owned.get() && !stopping;
      }
    };
  }
}
