package dev.tugboat.watch;

import dev.tugboat.deploy.Deployer;
import dev.tugboat.deploy.DeploymentStore;
import dev.tugboat.registry.Descriptor;
import dev.tugboat.registry.RegistryClient;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;
import java.util.Set;

/**
 * What a check sees and decides, shared by the watcher (which then acts on it) and the plan route (which only
 * answers it): the registry's tags (at most {@code watch.maxTags}), the desired tag and its digest (manifest HEAD),
 * whether a deployment is under way, and what Nomad runs (not read in a dry run).
 */
public final class Observer {
  private final RegistryClient registry;
  private final DeploymentStore deployments;
  private final Deployer deployer;
  private final boolean dryRun;
  private final int maxTags;
  private final Clock clock;

  /** One check's view and its decision. */
  public record Observation(WatchedRepo repo, List<String> tags, Running running, boolean deploymentActive,
                            Decision decision) {
    /** The plan: what a check would do now, and why. */
    public JsonObject toJson(String image) {
      return new JsonObject().put("name", repo.name()).put("action", decision.action().name())
          .put("reason", decision.reason()).put("why", decision.why())
          .put("desired", new JsonObject().put("tag", decision.tag()).put("digest", decision.digest()))
          .put("running", running.toJson())
          .put("deployed", new JsonObject().put("tag", repo.deployedTag()).put("digest", repo.deployedDigest()))
          .put("drift", decision.drift()).put("auto_deploy", repo.autoDeploy())
          .put("deployment_active", deploymentActive)
          .put("image", decision.action() == Decision.Action.DEPLOY ? image : null);
    }
  }

  public Observer(RegistryClient registry, DeploymentStore deployments, Deployer deployer, boolean dryRun, int maxTags,
                  Clock clock) {
    this.registry = registry;
    this.deployments = deployments;
    this.deployer = deployer;
    this.dryRun = dryRun;
    this.maxTags = maxTags;
    this.clock = clock;
  }

  /** The registry's tags now, as a check processes them ({@link Tags#bounded}). */
  public Future<List<String>> tags(WatchedRepo repo) {
    return registry.tags(repo.repo()).map(all -> Tags.bounded(all, maxTags));
  }

  /** What a check of {@code repo} sees now (the plan: one repository, its deployments read here). */
  public Future<Observation> observe(WatchedRepo repo) {
    return deployments.active(repo.name()).compose(active -> observe(repo, active));
  }

  /** Which of {@code repos} have a deployment queued or running: one query for a batch of checks. */
  public Future<Set<String>> deploymentsActive(List<WatchedRepo> repos) {
    return deployments.active(repos.stream().map(WatchedRepo::name).toList());
  }

  /**
   * What a check sees, {@code deploymentActive} read before: the tag list, then the chosen tag's manifest HEAD
   * (none when no tag matches) and what Nomad runs, at once.
   */
  public Future<Observation> observe(WatchedRepo repo, boolean deploymentActive) {
    return tags(repo).compose(tags -> {
      String tag = repo.pinnedTag().isEmpty() ? repo.tagPolicy().newest(tags).orElse(null)
          : tags.contains(repo.pinnedTag()) ? repo.pinnedTag() : null;
      Future<String> digest = tag == null ? Future.succeededFuture(null)
          : registry.headManifest(repo.repo(), tag).map(d -> d.map(Descriptor::digest).orElse(null));
      Future<Running> running = running(repo);
      return Future.all(digest, running).map(all -> new Observation(repo, tags, running.result(), deploymentActive,
          Decision.decide(repo, tag, digest.result(), running.result(), deploymentActive, clock.instant())));
    });
  }

  /** What Nomad runs; a Nomad that cannot be read is a state of its own, never a failed check. */
  private Future<Running> running(WatchedRepo repo) {
    if (dryRun) {
      return Future.succeededFuture(Running.notRead());
    }
    return deployer.running(repo.namespace(), repo.job(), repo.tasks()).map(current -> Running.of(repo, current))
        .otherwise(failure -> Running.unreadable(String.valueOf(failure.getMessage())));
  }
}
