package dev.tugboat.watch;

import dev.tugboat.db.Backoff;
import dev.tugboat.deploy.Deployment;
import dev.tugboat.deploy.DeploymentListener;
import io.vertx.core.Future;
import java.time.Duration;

/**
 * Carries a deployment's outcome into the watch state: success (or a dry run) becomes the deployed state;
 * a failure or timeout schedules an automatic retry of the same target after a doubling backoff.
 */
public final class WatchOutcomes implements DeploymentListener {
  private static final Duration MAX_BACKOFF = Duration.ofHours(1);

  private final WatchStore store;
  private final Duration backoff;

  public WatchOutcomes(WatchStore store, Duration backoff) {
    this.store = store;
    this.backoff = backoff;
  }

  @Override
  public Future<Void> finished(Deployment d, Deployment.State state) {
    if (state == Deployment.State.SUCCESSFUL || state == Deployment.State.DRY_RUN) {
      return store.deployed(d.repo(), d.toTag(), d.toDigest());
    }
    return store.get(d.repo()).compose(repo -> repo.isEmpty() ? Future.succeededFuture()
        : store.failed(d.repo(), Decision.target(d.toTag(), d.toDigest()), backoff(backoff, repo.get().failures())));
  }

  /** base, 2×base, 4×base, … at most an hour. */
  static Duration backoff(Duration base, int failuresSoFar) {
    return new Backoff(base, MAX_BACKOFF).after(failuresSoFar + 1);
  }
}
