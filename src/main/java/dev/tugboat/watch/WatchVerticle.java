package dev.tugboat.watch;

import dev.tugboat.bus.Addresses;
import dev.tugboat.bus.Changes;
import dev.tugboat.bus.WakeUps;
import dev.tugboat.db.Leases;
import dev.tugboat.deploy.Notice;
import dev.tugboat.deploy.Notifier;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks watched repositories: a repository is due when its {@code next_check_at} passes (poll interval),
 * when the inventory records a push of it ({@code image.pushed}), or when the API changes it. Due rows are
 * claimed under a lease, so each check runs on one node; a check observes (the tags, the desired tag's digest,
 * what Nomad runs: {@link Observer}), decides, queues a deployment when needed, notifies a drift once, and records
 * what it saw. A claimed batch costs two statements besides its claim (whether deployments are under way, and the
 * records of its checks; a failed check is postponed on its own); the node wakes itself when its checks come due
 * again ({@link NextChecks}). The leases are renewed
 * while checks run; those of a node that died run out, and its checks run elsewhere.
 */
public final class WatchVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WatchVerticle.class);
  static final Duration MAX_SWEEP = Duration.ofSeconds(5);
  static final int BATCH = 16;

  private final WatchStore store;
  private final Observer observer;
  private final DeployRequests requests;
  private final Notifier notifier;
  private final Duration pollInterval;
  private final List<WatchDefinition> configured;
  private boolean synced;
  private final String owner;
  private final Duration lease;
  private MessageConsumer<JsonObject> pushes;
  private NextChecks nextChecks;
  private final WakeUps wakeUps = new WakeUps(this::drain,
      failure -> LOG.warn("watch: database unavailable ({}); the sweep retries", failure.getMessage()));

  public WatchVerticle(WatchStore store, Observer observer, DeployRequests requests, Notifier notifier,
                       Duration pollInterval, List<WatchDefinition> configured, String node, Duration lease) {
    this.owner = Leases.owner(node, "watcher");
    this.lease = lease;
    this.store = store;
    this.observer = observer;
    this.requests = requests;
    this.notifier = notifier;
    this.pollInterval = pollInterval;
    this.configured = configured;
  }

  @Override
  public Future<?> start() {
    nextChecks = new NextChecks(vertx, wakeUps::wake);
    // local: the node that recorded the push marks the rows once, then wakes every watcher
    pushes = vertx.eventBus().localConsumer(Addresses.IMAGE_PUSHED, message -> pushed(message.body()));
    // a due check waits for the next sweep: a quarter of the interval keeps checks close to once per interval
    Duration sweep = Duration.ofMillis(Math.max(250, Math.min(pollInterval.toMillis() / 4, MAX_SWEEP.toMillis())));
    return Future.all(pushes.completion(), wakeUps.listen(vertx, Addresses.WATCH_WAKE, sweep));
  }

  @Override
  public Future<?> stop() {
    nextChecks.close();
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
        : Leases.renewing(vertx, lease, () -> store.renew(owner, lease), () -> checkAll(repos)).compose(v -> drain()));
  }

  /**
   * A claimed batch: one query for the deployments under way, every repository observed and acted on at once, then
   * the completed checks recorded in one statement (a failed check is postponed alone, and fails no other).
   */
  private Future<Void> checkAll(List<WatchedRepo> repos) {
    return observer.deploymentsActive(repos).compose(active -> {
      List<Future<WatchStore.Check>> checks = repos.stream().map(repo -> check(repo, active.contains(repo.name())))
          .toList();
      return Future.join(checks).transform(joined -> {
        List<WatchStore.Check> done = checks.stream().filter(Future::succeeded).map(Future::result)
            .filter(Objects::nonNull).toList();
        return store.recordChecks(owner, done, pollInterval).compose(v -> {
          for (int i = 0; i < repos.size(); i++) {
            WatchStore.Check c = checks.get(i).succeeded() ? checks.get(i).result() : null;
            if (c != null) {
              changedIf(news(repos.get(i), c), repos.get(i));
            }
          }
          return joined.succeeded() ? Future.<Void>succeededFuture() : Future.failedFuture(joined.cause());
        });
      });
    }).onSuccess(v -> nextChecks.after(pollInterval));
  }

  /** One check: what it saw and decided, once acted on; null when it failed and was postponed. */
  private Future<WatchStore.Check> check(WatchedRepo repo, boolean deploymentActive) {
    return observer.observe(repo, deploymentActive).compose(this::act).recover(failure -> {
      LOG.warn("watch {} ({}): check failed: {}", repo.name(), repo.repo(), failure.getMessage());
      String error = String.valueOf(failure.getMessage());
      return store.postpone(repo.name(), owner, error, pollInterval)
          .onSuccess(v -> changedIf(!error.equals(repo.lastError()), repo)).map(v -> null);
    });
  }

  private Future<WatchStore.Check> act(Observer.Observation seen) {
    WatchedRepo repo = seen.repo();
    Decision decision = seen.decision();
    Future<Void> acted = Future.succeededFuture();
    String error = null;
    switch (decision.action()) {
      case DEPLOY -> {
        LOG.info("watch {}: deploying {}@{} ({}: {})", repo.name(), decision.tag(), decision.digest(),
            decision.reason(), decision.why());
        acted = requests.request(repo, decision.tag(), decision.digest(), decision.reason()).compose(d ->
            "digest".equals(decision.reason()) ? notifier.send(Notice.digestChanged(repo.name(), decision.tag()))
                : Future.succeededFuture());
      }
      case NO_TAG -> error = decision.why();
      case AUTO_DEPLOY_OFF -> LOG.debug("watch {}: {}", repo.name(), decision.why());
      default -> LOG.debug("watch {}: {}: {}", repo.name(), decision.action(), decision.why());
    }
    if (error == null && seen.running().state() == Running.State.UNREADABLE) {
      error = seen.running().note();
    }
    if (decision.drift() && !repo.drift()) {
      LOG.warn("watch {}: drift: {}", repo.name(), decision.why());
      String runs = seen.running().image() != null ? seen.running().image() : "nothing (" + seen.running().note() + ")";
      acted = acted.compose(v -> notifier.send(Notice.drift(repo.name(), repo.job(), runs,
          repo.image(repo.deployedTag(), repo.deployedDigest(), true), repo.autoDeploy())));
    }
    WatchStore.Check check = new WatchStore.Check(repo.name(), seen.tags(), decision, seen.running(), error);
    return acted.map(v -> check);
  }

  /** Whether a recorded check saw something new for {@code repo} (most checks see nothing new). */
  private static boolean news(WatchedRepo repo, WatchStore.Check c) {
    return !c.tags().equals(repo.seenTags()) || !Objects.equals(c.decision().tag(), repo.seenTag())
        || !Objects.equals(c.decision().digest(), repo.seenDigest()) || !Objects.equals(c.error(), repo.lastError())
        || !Objects.equals(c.running(), repo.running()) || c.decision().drift() != repo.drift()
        || repo.deployedTag() == null;
  }

  /** Live views hear of a check only when it saw something new (most checks see nothing new). */
  private void changedIf(boolean changed, WatchedRepo repo) {
    if (changed) {
      Changes.watch(vertx.eventBus(), repo.name());
    }
  }
}
