package dev.tugboat.bus;

/**
 * Event-bus addresses. The bus carries wake-ups and facts, never work that must not be lost (that is in
 * the database first, DESIGN rule 1): a message lost with a node, or sent while a node was starting, costs at most
 * a sweep's delay. Messages are published, so on a clustered node they reach every member, unless noted; consumers
 * are cluster-wide unless noted. Bodies are JsonObject or null, which cross the cluster without extra codecs (no
 * POJO is ever sent: it would need a registered codec on every node).
 */
public final class Addresses {
  /**
   * "New rows in the inventory inbox": wakes the ingestion verticle of the node that stored them (published
   * local-only: one batch needs one claimer; the other nodes' sweeps take over if that node dies). Body ignored.
   */
  public static final String INVENTORY_INBOX = "tugboat.inventory.inbox";
  /**
   * An image was recorded: {@code {registry, repository, name, digest, tag}}. The watchers consume it on the node
   * that recorded it only (local consumer): that node marks the image's watches due in the database once and
   * publishes {@link #WATCH_WAKE}, so every node's watcher may take the checks.
   */
  public static final String IMAGE_PUSHED = "tugboat.image.pushed";

  /** "New or retried transfer jobs": wakes the transfer verticles of every node, one of which claims the job. */
  public static final String TRANSFER_JOBS = "tugboat.transfer.jobs";
  /**
   * "Stop job {@code {id}}": the node running it cancels it at once, wherever the DELETE arrived (missed, the
   * cancelled flag in the database stops it at its next progress save).
   */
  public static final String TRANSFER_CANCEL = "tugboat.transfer.cancel";
  /**
   * "Job {@code {id}} moved on": its progress was saved; event-stream listeners on any node re-read it (missed, they
   * re-read it every second anyway).
   */
  public static final String TRANSFER_PROGRESS = "tugboat.transfer.progress";
  /** "Watched repositories are due": wakes the watchers of every node (body ignored). */
  public static final String WATCH_WAKE = "tugboat.watch.wake";
  /** "Deployments are queued": wakes the deployers of every node (body ignored). */
  public static final String DEPLOY_WAKE = "tugboat.deploy.wake";

  /** "Watch {@code {name}} changed" (added, removed, toggled, pinned, or a check saw something new) (publish). */
  public static final String WATCH_CHANGED = "tugboat.watch.changed";
  /** "Deployment {@code {id, repo, state}} changed state": queued, started, finished (publish). */
  public static final String DEPLOYMENT_CHANGED = "tugboat.deploy.changed";
  /** "The allow-list is at {@code {version}}": every node's admission copy reads the changes it lacks (publish). */
  public static final String ALLOWLIST_CHANGED = "tugboat.allowlist.changed";
  /**
   * "Answer once your admission copy holds {@code {version}}": one node's address (request/reply), so a write is
   * acknowledged once every member's admission sees it; see {@link #allowListHold(String)}.
   */
  private static final String ALLOWLIST_HOLD = "tugboat.allowlist.hold.";

  /** The address at which node {@code node}'s admission copy answers {@link #ALLOWLIST_HOLD} requests. */
  public static String allowListHold(String node) {
    return ALLOWLIST_HOLD + node;
  }

  private Addresses() {}
}
