package dev.tugboat.deploy;

import io.vertx.core.Future;
import java.util.List;

/** Puts a deployment's image into its target, follows the rollout to a final state, and says what a target runs. */
public interface Deployer {

  /**
   * Deploys {@code d} (or, when it already has an evaluation, keeps following it: a takeover after a crash)
   * until it is final, the timeout passes, or {@code tracker} says the lease was lost (then null).
   */
  Future<Result> deploy(Deployment d, Tracker tracker);

  /** What the mapped {@code tasks} of {@code job} run now; a failed future when the target cannot be read. */
  Future<Current> running(String namespace, String job, List<String> tasks);

  /** The final state, a message for the history, and the notice to send. */
  record Result(Deployment.State state, String message, Notice notice) {}

  /**
   * The images of the mapped tasks: as the job is registered ({@code job}) and in its newest running allocation
   * ({@code allocation}, empty when none runs); {@code missing} says why there are none (job or tasks absent).
   */
  record Current(String missing, List<String> job, List<String> allocation) {
    public static Current missing(String why) {
      return new Current(why, List.of(), List.of());
    }
  }

  /** Where progress is recorded (database first), and whether this node still owns the deployment. */
  interface Tracker {
    /** The target was read and the mapping holds: the deployment is announced now, before anything changes. */
    Future<Void> announce();

    Future<Void> submitted(String evalId);

    Future<Void> deploymentFound(String nomadDeploymentId, Long jobVersion);

    boolean owned();
  }
}
