package dev.tugboat.deploy;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One notification, with registrywatcher's wording and Slack colours. {@code event} names it for the generic
 * webhook: {@code auto_deploy}, {@code digest_changed}, {@code deploy_started}, {@code deploy_succeeded},
 * {@code deploy_failed}, {@code deploy_timeout}, {@code unmapped_task}, {@code drift}.
 */
public record Notice(Level level, String event, String text, String repo, String job, String tag) {

  /** The seed's attachment colours: update orange, error red, success green. */
  public enum Level {
    UPDATE("#FFA500"), ERROR("#FF0000"), SUCCESS("#00FF00");

    private final String colour;

    Level(String colour) {
      this.colour = colour;
    }

    public String colour() {
      return colour;
    }
  }

  public static Notice autoDeploy(String repo, boolean on) {
    return new Notice(Level.UPDATE, "auto_deploy", "Turned " + (on ? "on" : "off") + " auto deployment for repo `"
        + repo + "`", repo, null, null);
  }

  public static Notice digestChanged(String repo, String tag) {
    return new Notice(Level.UPDATE, "digest_changed", "Update: the SHA of tag `" + tag + "` in `" + repo
        + "` changed. Auto deployment will happen shortly.", repo, null, tag);
  }

  public static Notice started(String repo, String job, String tag) {
    return new Notice(Level.UPDATE, "deploy_started", "Update: deploying job `" + job + "` to tag `" + tag + "`", repo,
        job, tag);
  }

  public static Notice succeeded(String repo, String job, String tag) {
    return new Notice(Level.SUCCESS, "deploy_succeeded", "Success: Nomad deployment for job `" + job
        + "` succeeded for tag `" + tag + "`", repo, job, tag);
  }

  public static Notice failed(String repo, String job, String tag) {
    return new Notice(Level.ERROR, "deploy_failed", "Error: Nomad deployment job `" + job + "` failed for tag `" + tag
        + "`, nomad server will roll back to last working version if possible", repo, job, tag);
  }

  public static Notice registerFailed(String repo, String job, String tag) {
    return new Notice(Level.ERROR, "deploy_failed", "Error: failed to force redeploy job `" + job + "` for tag `" + tag
        + "`", repo, job, tag);
  }

  public static Notice timeout(String repo, String job, String tag, String status) {
    return new Notice(Level.UPDATE, "deploy_timeout", "Update: Nomad deployment status is `" + status + "` for job `"
        + job + "` and tag `" + tag + "`. Monitoring timeout", repo, job, tag);
  }

  public static Notice unmapped(String repo, String job, String tasks) {
    return new Notice(Level.ERROR, "unmapped_task", "Mapped task name " + tasks + " not found in Nomad job " + job
        + ". Please check deployment configuration.", repo, job, null);
  }

  /**
   * The job's image was changed outside Tugboat (Tugboat's own; registrywatcher never looked): sent once when the
   * drift is first seen.
   */
  public static Notice drift(String repo, String job, String running, String deployed, boolean redeploy) {
    return new Notice(Level.UPDATE, "drift", "Update: Nomad job `" + job + "` runs `" + running
        + "`, not `" + deployed + "` as deployed by Tugboat for repo `" + repo + "`. "
        + (redeploy ? "Auto deployment will redeploy it." : "Auto deployment is off: not corrected."), repo, job, null);
  }

  /** Slack incoming-webhook body: one attachment, as registrywatcher posts it. */
  public JsonObject slack(Instant now) {
    return new JsonObject().put("attachments", new io.vertx.core.json.JsonArray().add(new JsonObject()
        .put("color", level.colour()).put("text", text).put("ts", now.getEpochSecond())));
  }

  /** The generic webhook body. */
  public JsonObject json(Instant now) {
    return new JsonObject().put("event", event).put("level", level.name().toLowerCase(java.util.Locale.ROOT))
        .put("text", text).put("repo", repo).put("job", job).put("tag", tag).put("time", now.toString());
  }
}
