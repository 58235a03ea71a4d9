package dev.tugboat.watch;

import dev.tugboat.db.Backoff;
import dev.tugboat.deploy.Deployment;
import dev.tugboat.deploy.DeploymentListener;
import io.vertx.core.Future;
import java.time.Duration;

/**
 * Carries a deployment's outcome into the watch state: success (or a dry run) becomes the deployed state;
 * a failure or timeout schedules an automatic retry of the same target after a doubling backoff. Either way the
 * watch is checked again at once, so what Nomad runs after the deployment is read and shown without a poll's wait.
 */
public final class WatchOutcomes implements DeploymentListener {
  private static final Duration MAX_BACKOFF = Duration.ofHours(1);

  private final WatchStore store;
  private final Duration backoff;
  private final Runnable wakeWatchers;

  public WatchOutcomes(WatchStore store, Duration backoff, Runnable wakeWatchers) {
    this.store = store;
    this.backoff = backoff;
    this.wakeWatchers = wakeWatchers;
  }

  @Override
  public Future<Void> finished(Deployment d, Deployment.State state) {
    Future<Void> recorded = state == Deployment.State.SUCCESSFUL || state == Deployment.State.DRY_RUN
        ? store.deployed(d.repo(), d.toTag(), d.toDigest())
        : store.get(d.repo()).compose(repo -> repo.isEmpty() ? Future.succeededFuture()
            : store.failed(d.repo(), Decision.target(d.toTag(), d.toDigest()), backoff(backoff, repo.get().failures())));
    return recorded.onSuccess(v -> wakeWatchers.run());
  }

  /** base, 2×base, 4×base, … at most an hour. */
  static Duration backoff(Duration base, int failuresSoFar) {
    return new Backoff(base, MAX_BACKOFF).after(failuresSoFar + 1);
  }
}
