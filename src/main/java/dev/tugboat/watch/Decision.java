package dev.tugboat.watch;

import java.time.Instant;

/**
 * What one check concludes, comparing the desired state (the policy's newest tag, or the pin, with its
 * current digest) with the deployed state. Because the comparison is with what was deployed, not with the
 * previous check, changes seen while auto_deploy was off are deployed once it is on again, and a failed
 * deployment is retried (after its backoff).
 *
 * @param reason for DEPLOY: {@code release} (another tag), {@code digest} (same tag, new image) or {@code retry}
 */
public record Decision(Action action, String tag, String digest, String reason) {

  public enum Action {
    /** Desired equals deployed. */
    UP_TO_DATE,
    /** First check of a new watch: the observed state is taken as deployed (registrywatcher's start-up cache fill). */
    BASELINE,
    DEPLOY,
    /** A change exists but auto_deploy is off: kept for when it is turned on. */
    AUTO_DEPLOY_OFF,
    /** A deployment for this repository is queued or running. */
    DEPLOYING,
    /** The same target failed recently; retried after retry_after. */
    BACKING_OFF,
    /** No tag matches the policy, or the pinned tag is gone. */
    NO_TAG
  }

  public static Decision decide(WatchedRepo repo, String tag, String digest, boolean deploymentActive, Instant now) {
    if (tag == null || digest == null) {
      return new Decision(Action.NO_TAG, tag, digest, null);
    }
    if (repo.deployedTag() == null) {
      return new Decision(Action.BASELINE, tag, digest, null);
    }
    if (tag.equals(repo.deployedTag()) && digest.equals(repo.deployedDigest())) {
      return new Decision(Action.UP_TO_DATE, tag, digest, null);
    }
    if (!repo.autoDeploy()) {
      return new Decision(Action.AUTO_DEPLOY_OFF, tag, digest, null);
    }
    if (deploymentActive) {
      return new Decision(Action.DEPLOYING, tag, digest, null);
    }
    boolean retry = target(tag, digest).equals(repo.failedTarget());
    if (retry && repo.retryAfter() != null && now.isBefore(repo.retryAfter())) {
      return new Decision(Action.BACKING_OFF, tag, digest, null);
    }
    return new Decision(Action.DEPLOY, tag, digest, retry ? "retry" : tag.equals(repo.deployedTag()) ? "digest" : "release");
  }

  /** How a deployment target is named in failed_target. */
  public static String target(String tag, String digest) {
    return tag + "@" + digest;
  }
}
