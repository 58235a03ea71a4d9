package dev.tugboat.watch;

import dev.tugboat.bus.Addresses;
import dev.tugboat.bus.Changes;
import dev.tugboat.deploy.Deployment;
import dev.tugboat.deploy.DeploymentStore;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import java.time.Clock;
import java.util.UUID;

/**
 * Queues a deployment of a watched repository (a row first, then a wake-up for the deployers); the image is pinned
 * to the decided digest unless {@code deploy.pinDigest} is off.
 */
public final class DeployRequests {
  private final DeploymentStore deployments;
  private final EventBus bus;
  private final Clock clock;
  private final boolean pinDigest;

  public DeployRequests(DeploymentStore deployments, EventBus bus, Clock clock, boolean pinDigest) {
    this.deployments = deployments;
    this.bus = bus;
    this.clock = clock;
    this.pinDigest = pinDigest;
  }

  /** The image a deployment of tag@digest sends to Nomad. */
  public String image(WatchedRepo repo, String tag, String digest) {
    return repo.image(tag, digest, pinDigest);
  }

  public Future<Deployment> request(WatchedRepo repo, String tag, String digest, String reason) {
    Deployment d = Deployment.request(UUID.randomUUID().toString(), repo.name(), repo.job(), repo.tasks(),
        image(repo, tag, digest), repo.deployedTag(), repo.deployedDigest(), tag, digest, reason, clock.instant(),
        repo.namespace());
    return deployments.create(d).map(v -> {
      bus.publish(Addresses.DEPLOY_WAKE, null);
      Changes.deployment(bus, d.id(), d.repo(), d.state().name());
      return d;
    });
  }
}
