package dev.tugboat.bus;

/**
 * Event-bus addresses. The bus carries wake-ups and facts, never work that must not be lost (that is in
 * the database first, DESIGN rule 1); bodies are JsonObject so they cross a cluster without extra codecs.
 */
public final class Addresses {
  /** "New rows in the inventory inbox": wakes the ingestion verticles (publish; body ignored). */
  public static final String INVENTORY_INBOX = "tugboat.inventory.inbox";
  /** An image was recorded: {@code {registry, repository, name, digest, tag}} (publish). */
  public static final String IMAGE_PUSHED = "tugboat.image.pushed";

  /** "New or retried transfer jobs": wakes the transfer verticles (publish; body ignored). */
  public static final String TRANSFER_JOBS = "tugboat.transfer.jobs";
  /** "Stop job {@code {id}}": the node running it cancels it at once (publish). */
  public static final String TRANSFER_CANCEL = "tugboat.transfer.cancel";
  /** "Job {@code {id}} moved on": its progress was saved; event-stream listeners re-read it (publish). */
  public static final String TRANSFER_PROGRESS = "tugboat.transfer.progress";
  /** "Watched repositories are due": wakes the watchers (publish; body ignored). */
  public static final String WATCH_WAKE = "tugboat.watch.wake";
  /** "Deployments are queued": wakes the deployers (publish; body ignored). */
  public static final String DEPLOY_WAKE = "tugboat.deploy.wake";

  /** "Watch {@code {name}} changed" (added, removed, toggled, pinned, or a check saw something new) (publish). */
  public static final String WATCH_CHANGED = "tugboat.watch.changed";
  /** "Deployment {@code {id, repo, state}} changed state": queued, started, finished (publish). */
  public static final String DEPLOYMENT_CHANGED = "tugboat.deploy.changed";

  private Addresses() {}
}
