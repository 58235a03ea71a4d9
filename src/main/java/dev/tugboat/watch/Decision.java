package dev.tugboat.watch;

import java.time.Instant;

/**
 * What one check concludes, comparing the desired state (the policy's newest tag, or the pin, with its current
 * digest) with what Tugboat deployed and with what Nomad runs. Because the comparison is with what was deployed,
 * not with the previous check, changes seen while auto_deploy was off are deployed once it is on again, and a
 * failed deployment is retried (after its backoff). What runs decides the first check (a job behind the registry
 * is deployed, not taken as up to date) and reveals drift: the job's image changed outside Tugboat.
 *
 * @param reason for DEPLOY: {@code release} (another tag), {@code digest} (same tag, new image), {@code drift}
 *               (the job was changed outside Tugboat) or {@code retry}
 * @param drift  Nomad runs something other than what Tugboat deployed (and no deployment is under way)
 * @param why    the reasoning in a sentence, for the plan and the logs
 */
public record Decision(Action action, String tag, String digest, String reason, boolean drift, String why) {

  public enum Action {
    /** Desired equals deployed, and Nomad runs it. */
    UP_TO_DATE,
    /** Nothing was deployed by Tugboat yet and Nomad runs the desired image (or, in a dry run, is not read): taken as deployed. */
    BASELINE,
    DEPLOY,
    /** A change exists but auto_deploy is off: kept for when it is turned on. */
    AUTO_DEPLOY_OFF,
    /** A deployment for this repository is queued or running. */
    DEPLOYING,
    /** The same target failed recently; retried after retry_after. */
    BACKING_OFF,
    /** No tag matches the policy, or the pinned tag is gone. */
    NO_TAG,
    /** The first check could not read Nomad: nothing is taken as deployed until it answers. */
    WAITING_FOR_NOMAD
  }

  public static Decision decide(WatchedRepo repo, String tag, String digest, Running running, boolean deploymentActive,
                                Instant now) {
    boolean drift = drifted(repo, running, deploymentActive);
    if (tag == null || digest == null) {
      return new Decision(Action.NO_TAG, tag, digest, null, drift, repo.pinnedTag().isEmpty()
          ? "no tag matches policy " + repo.policy() : "pinned tag " + repo.pinnedTag() + " is not in the registry");
    }
    String wanted = target(tag, digest);
    String wants = (repo.pinnedTag().isEmpty() ? "the policy's newest tag is " : "the pin is ") + wanted;
    if (repo.deployedTag() == null) {
      return switch (running.state()) {
        case NOT_READ -> new Decision(Action.BASELINE, tag, digest, null, false, wants
            + "; Nomad is not read in a dry run, so it is taken as deployed");
        case UNREADABLE -> new Decision(Action.WAITING_FOR_NOMAD, tag, digest, null, false, wants + "; "
            + running.note() + ", and nothing is taken as deployed until it answers");
        default -> runs(repo, running, tag, digest)
            ? new Decision(Action.BASELINE, tag, digest, null, false, wants + " and Nomad runs "
                + running.image() + ": taken as deployed")
            : change(repo, tag, digest, running.tag() != null && running.tag().equals(tag) ? "digest" : "release",
                false, deploymentActive, now, wants + " but Nomad runs " + describe(running));
      };
    }
    String deployed = target(repo.deployedTag(), repo.deployedDigest());
    if (wanted.equals(deployed)) {
      return drift ? change(repo, tag, digest, "drift", true, deploymentActive, now, wants + ", deployed by Tugboat,"
          + " but Nomad runs " + describe(running) + ": the job was changed outside Tugboat")
          : new Decision(Action.UP_TO_DATE, tag, digest, null, false, wants + ", as deployed"
              + (running.known() ? ", and Nomad runs it" : " (" + running.note() + ")"));
    }
    if (!deploymentActive && runs(repo, running, tag, digest) && "allocation".equals(running.source())) {
      return new Decision(Action.BASELINE, tag, digest, null, false, wants + " and Nomad already runs it (deployed "
          + deployed + " before): taken as deployed");
    }
    return change(repo, tag, digest, tag.equals(repo.deployedTag()) ? "digest" : "release", drift, deploymentActive,
        now, wants + "; deployed is " + deployed + (drift ? ", and Nomad runs " + describe(running) : ""));
  }

  /** Desired differs from what runs or was deployed: deploy, unless auto_deploy is off, busy or backing off. */
  private static Decision change(WatchedRepo repo, String tag, String digest, String reason, boolean drift,
                                 boolean deploymentActive, Instant now, String why) {
    if (!repo.autoDeploy()) {
      return new Decision(Action.AUTO_DEPLOY_OFF, tag, digest, null, drift, why + "; auto_deploy is off");
    }
    if (deploymentActive) {
      return new Decision(Action.DEPLOYING, tag, digest, null, drift, why + "; a deployment is under way");
    }
    boolean retry = target(tag, digest).equals(repo.failedTarget());
    if (retry && repo.retryAfter() != null && now.isBefore(repo.retryAfter())) {
      return new Decision(Action.BACKING_OFF, tag, digest, null, drift, why + "; it failed before and is retried after "
          + repo.retryAfter());
    }
    return new Decision(Action.DEPLOY, tag, digest, retry ? "retry" : reason, drift, why + "; deploying it");
  }

  /**
   * Nomad runs something other than what Tugboat deployed, while no deployment is under way: not a failed
   * deployment's image still in the job (no allocation runs it), and not knowable when Nomad was not read.
   */
  private static boolean drifted(WatchedRepo repo, Running running, boolean deploymentActive) {
    if (repo.deployedTag() == null || deploymentActive || !running.known()) {
      return false;
    }
    if (runs(repo, running, repo.deployedTag(), repo.deployedDigest())) {
      return false;
    }
    String failed = repo.failedTarget();
    int at = failed == null ? -1 : failed.indexOf('@');
    return at < 0 || !is(running, failed.substring(0, at), failed.substring(at + 1));
  }

  /**
   * Whether Nomad runs {@code tag} at {@code digest}: a plain tag's digest is not reported and does not disagree.
   * The job's registered image alone (no allocation runs it) does not count for the target that last failed.
   */
  private static boolean runs(WatchedRepo repo, Running running, String tag, String digest) {
    return is(running, tag, digest)
        && ("allocation".equals(running.source()) || !target(tag, digest).equals(repo.failedTarget()));
  }

  private static boolean is(Running running, String tag, String digest) {
    return running.tag() != null && running.tag().equals(tag)
        && (running.digest() == null || running.digest().equals(digest));
  }

  private static String describe(Running running) {
    return running.state() == Running.State.NONE ? "nothing of it (" + running.note() + ")"
        : running.image() + (running.note() == null ? "" : " (" + running.note() + ")");
  }

  /** How a deployment target is named in failed_target. */
  public static String target(String tag, String digest) {
    return tag + "@" + digest;
  }
}
