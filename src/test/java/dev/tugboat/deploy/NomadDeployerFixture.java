package dev.tugboat.deploy;

import dev.tugboat.config.Settings;
import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.testing.FakeNomad;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.time.Clock;
import java.time.Duration;

/** A {@link NomadDeployer} against a fresh fake Nomad, with its own Vert.x: one per test. */
final class NomadDeployerFixture implements AutoCloseable {
  final FakeNomad nomad = FakeNomad.start(null);
  final Vertx vertx = Vertx.vertx();
  final WebClient client = WebClient.create(vertx);
  final NomadDeployer deployer;

  NomadDeployerFixture() {
    Settings.Deploy settings = new Settings.Deploy(false, Duration.ofMinutes(1), Duration.ofMinutes(1),
        Duration.ofMinutes(1), new Settings.Nomad(nomad.address(), "", "", Duration.ofSeconds(5), "", ""),
        new Settings.Notify("", ""), true);
    deployer = new NomadDeployer(vertx, client, settings, Clock.systemUTC(), EgressPolicy.OPEN, Duration.ofSeconds(10));
  }

  @Override
  public void close() {
    client.close();
    vertx.close().await();
    nomad.close();
  }
}
