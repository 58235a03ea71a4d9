package dev.tugboat.deploy;

import io.vertx.core.Future;

/** Told about a deployment's final state before it is recorded, so the owner of the target can update its state. */
@FunctionalInterface
public interface DeploymentListener {
  Future<Void> finished(Deployment deployment, Deployment.State state);
}
