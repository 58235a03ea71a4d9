package dev.tugboat.watch;

import dev.tugboat.bus.Addresses;
import dev.tugboat.bus.WakeUps;
import dev.tugboat.config.Settings.WatchedRepoSettings;
import dev.tugboat.db.Leases;
import dev.tugboat.deploy.DeploymentStore;
import dev.tugboat.deploy.Notice;
import dev.tugboat.deploy.Notifier;
import dev.tugboat.registry.Descriptor;
import dev.tugboat.registry.RegistryClient;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks watched repositories: a repository is due when its {@code next_check_at} passes (poll interval),
 * when the inventory records a push of it ({@code image.pushed}), or when the API changes it. Due rows are
 * claimed under a lease, so each check runs on one node; a check reads the tags and the desired tag's
 * digest (manifest HEAD), decides, queues a deployment when needed, and records what it saw. The leases are
 * renewed while checks run; those of a node that died run out, and its checks run elsewhere.
 */
public final class WatchVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WatchVerticle.class);
  static final Duration MAX_SWEEP = Duration.ofSeconds(5);
  static final int BATCH = 16;

  private final WatchStore store;
  private final DeploymentStore deployments;
  private final DeployRequests requests;
  private final RegistryClient registry;
  private final Notifier notifier;
  private final Duration pollInterval;
  private final Clock clock;
  private final List<WatchedRepoSettings> configured;
  private boolean synced;
  private final String owner;
  private final Duration lease;
  private MessageConsumer<JsonObject> pushes;
  private final WakeUps wakeUps = new WakeUps(this::drain,
      failure -> LOG.warn("watch: database unavailable ({}); the sweep retries", failure.getMessage()));

  public WatchVerticle(WatchStore store, DeploymentStore deployments, DeployRequests requests, RegistryClient registry,
                       Notifier notifier, Duration pollInterval, Clock clock, List<WatchedRepoSettings> configured,
                       String node, Duration lease) {
    this.owner = Leases.owner(node, "watcher");
    this.lease = lease;
    this.store = store;
    this.deployments = deployments;
    this.requests = requests;
    this.registry = registry;
    this.notifier = notifier;
    this.pollInterval = pollInterval;
    this.clock = clock;
    this.configured = configured;
  }

  @Override
  public Future<?> start() {
    // local: the node that recorded the push marks the rows once, then wakes every watcher
    pushes = vertx.eventBus().localConsumer(Addresses.IMAGE_PUSHED, message -> pushed(message.body()));
    // a due check waits for the next sweep: a quarter of the interval keeps checks close to once per interval
    Duration sweep = Duration.ofMillis(Math.max(250, Math.min(pollInterval.toMillis() / 4, MAX_SWEEP.toMillis())));
    return Future.all(pushes.completion(), wakeUps.listen(vertx, Addresses.WATCH_WAKE, sweep));
  }

  @Override
  public Future<?> stop() {
    return Future.all(pushes.unregister(), wakeUps.close());
  }

  /** A push recorded by the inventory: watches of that image are due now (in the database, so any node checks). */
  private void pushed(JsonObject event) {
    if (event == null || event.getString("registry") == null || event.getString("repository") == null) {
      return;
    }
    store.checkNow(event.getString("registry"), event.getString("repository")).onComplete(marked -> {
      if (marked.succeeded() && marked.result() > 0) {
        LOG.info("push of {}/{}:{} seen: checking now", event.getString("registry"), event.getString("repository"),
            event.getString("tag"));
        vertx.eventBus().publish(Addresses.WATCH_WAKE, null);
      }
    });
  }

  /** The configured watches are synced first (retried by every sweep until the database answers). */
  private Future<Void> drain() {
    if (!synced) {
      return store.syncConfigured(configured).compose(v -> {
        synced = true;
        return drain();
      });
    }
    return store.claimDue(owner, lease, BATCH).compose(repos -> repos.isEmpty() ? Future.succeededFuture()
        : Leases.renewing(vertx, lease, () -> store.renew(owner, lease),
            () -> Future.join(repos.stream().map(this::check).toList())).compose(v -> drain()));
  }

  private Future<Void> check(WatchedRepo repo) {
    return registry.tags(repo.repo()).compose(tags -> {
      String tag = repo.pinnedTag().isEmpty() ? repo.tagPolicy().newest(tags).orElse(null)
          : tags.contains(repo.pinnedTag()) ? repo.pinnedTag() : null;
      Future<String> digest = tag == null ? Future.succeededFuture(null)
          : registry.headManifest(repo.repo(), tag).map(d -> d.map(Descriptor::digest).orElse(null));
      return Future.all(digest, deployments.active(repo.name()))
          .compose(both -> act(repo, tags, Decision.decide(repo, tag, both.resultAt(0), both.resultAt(1), clock.instant())));
    }).recover(failure -> {
      LOG.warn("watch {} ({}): check failed: {}", repo.name(), repo.repo(), failure.getMessage());
      return store.postpone(repo.name(), owner, String.valueOf(failure.getMessage()), pollInterval);
    });
  }

  private Future<Void> act(WatchedRepo repo, List<String> tags, Decision decision) {
    Future<Void> acted = Future.succeededFuture();
    String error = null;
    switch (decision.action()) {
      case DEPLOY -> {
        LOG.info("watch {}: deploying {}@{} ({}; deployed {}@{})", repo.name(), decision.tag(), decision.digest(),
            decision.reason(), repo.deployedTag(), repo.deployedDigest());
        acted = requests.request(repo, decision.tag(), decision.digest(), decision.reason()).compose(d ->
            "digest".equals(decision.reason()) ? notifier.send(Notice.digestChanged(repo.name(), decision.tag()))
                : Future.succeededFuture());
      }
      case NO_TAG -> error = repo.pinnedTag().isEmpty() ? "no tag matches policy " + repo.policy()
          : "pinned tag " + repo.pinnedTag() + " is not in the registry";
      case AUTO_DEPLOY_OFF -> LOG.debug("watch {}: {} differs from the deployed state; auto_deploy is off", repo.name(),
          decision.tag());
      default -> LOG.debug("watch {}: {}", repo.name(), decision.action());
    }
    String lastError = error;
    return acted.compose(v -> store.recordCheck(repo.name(), owner, tags, decision.tag(), decision.digest(), lastError,
        decision.action() == Decision.Action.BASELINE, pollInterval));
  }
}
