package dev.tugboat.watch;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.RegistryFailure;
import dev.tugboat.bus.Addresses;
import dev.tugboat.bus.Changes;
import dev.tugboat.deploy.Deployment;
import dev.tugboat.deploy.Notice;
import dev.tugboat.deploy.Notifier;
import dev.tugboat.registry.Descriptor;
import dev.tugboat.registry.RegistryClient;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** What the watch routes ask of the capability: live tags, toggles, manual deployments, new watches, plans. */
public final class Watches {
  private final WatchStore store;
  private final DeployRequests requests;
  private final RegistryClient registry;
  private final Observer observer;
  private final Notifier notifier;
  private final EventBus bus;

  public Watches(WatchStore store, DeployRequests requests, RegistryClient registry, Observer observer,
                 Notifier notifier, EventBus bus) {
    this.store = store;
    this.requests = requests;
    this.registry = registry;
    this.observer = observer;
    this.notifier = notifier;
    this.bus = bus;
  }

  public WatchStore store() {
    return store;
  }

  /**
   * The registry's tags now (registrywatcher validated pins against a live list, not its cache), bounded as a
   * check bounds them; a repository over {@code watch.maxTags} is a 400 saying so.
   */
  public Future<List<String>> liveTags(WatchedRepo repo) {
    return observer.tags(repo).recover(failure -> Future.failedFuture(tooMany(failure)));
  }

  private static Throwable tooMany(Throwable failure) {
    return failure instanceof Tags.TooMany ? new ApiError(400, "too_many_tags", failure.getMessage(), null) : failure;
  }

  /**
   * Turns auto_deploy on or off and notifies. Turned on with {@code checkNow}, the watch is checked at once so
   * pending changes deploy; without it when the caller queues a manual deployment next (a check in between
   * would queue a second one for the old target).
   */
  public Future<Void> setAutoDeploy(WatchedRepo repo, boolean on, boolean checkNow) {
    return store.setAutoDeploy(repo.name(), on).onSuccess(changed -> changed(repo.name()))
        .compose(v -> on && checkNow ? store.checkNow(repo.name()).map(x -> {
          checkSoon();
          return (Void) null;
        }) : Future.succeededFuture())
        .compose(v -> notifier.send(Notice.autoDeploy(repo.name(), on)));
  }

  /**
   * Queues a manual deployment of {@code tag} at its current digest (manual deploys ignore auto_deploy), after
   * recording the live tags and that digest as seen, so {@code /repos} and {@code /debug/caches} show them at once.
   */
  public Future<Deployment> deploy(WatchedRepo repo, String tag, List<String> liveTags) {
    return registry.headManifest(repo.repo(), tag)
        .compose(d -> d.map(Descriptor::digest).map(digest -> store.recordSeen(repo.name(), liveTags, tag, digest)
                .compose(v -> requests.request(repo, tag, digest, "manual")))
            .orElseGet(() -> Future.failedFuture(ApiError.notFound("tag " + tag + " vanished from " + repo.repo()))));
  }

  /**
   * What a check of {@code repo} would do now and why, without doing it; a failed registry call is answered as
   * {@link RegistryFailure} says (a Nomad that cannot be read is part of the plan).
   */
  public Future<JsonObject> plan(WatchedRepo repo) {
    return observer.observe(repo).map(seen -> seen.toJson(seen.decision().tag() == null ? null
            : requests.image(repo, seen.decision().tag(), seen.decision().digest())))
        .recover(failure -> Future.failedFuture(RegistryFailure.answer(repo.repo(), null, tooMany(failure))));
  }

  /** Tells live views that the watch changed (event stream). */
  public void changed(String name) {
    Changes.watch(bus, name);
  }

  /** Wakes the watchers (a new watch, or one made due). */
  public void checkSoon() {
    bus.publish(Addresses.WATCH_WAKE, null);
  }
}
