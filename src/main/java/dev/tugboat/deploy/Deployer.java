package dev.tugboat.deploy;

import io.vertx.core.Future;

/** Puts a deployment's image into its target and follows the rollout to a final state. */
public interface Deployer {

  /**
   * Deploys {@code d} (or, when it already has an evaluation, keeps following it: a takeover after a crash)
   * until it is final, the timeout passes, or {@code tracker} says the lease was lost (then null).
   */
  Future<Result> deploy(Deployment d, Tracker tracker);

  /** The final state, a message for the history, and the notice to send. */
  record Result(Deployment.State state, String message, Notice notice) {}

  /** Where progress is recorded (database first), and whether this node still owns the deployment. */
  interface Tracker {
    Future<Void> submitted(String evalId);

    Future<Void> deploymentFound(String nomadDeploymentId, Long jobVersion);

    boolean owned();
  }
}
