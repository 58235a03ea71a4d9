package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.testing.FaultProxy;
import dev.tugboat.testing.RegistryFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A blob GET redirected to another host (as registries do to storage or a CDN) is followed, and the
 * credentials stay with the registry: {@code Authorization} never crosses to the redirect target.
 */
class RegistryRedirectTest {
  @Test
  void redirectIsFollowedWithoutCredentials() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (RegistryFixture secured = RegistryFixture.builder().htpasswd("alice", "s3cret").start();
         RegistryFixture storage = RegistryFixture.start();
         FaultProxy cdn = FaultProxy.start(storage.host(), "127.0.0.2");
         FaultProxy front = FaultProxy.start(secured.host())) {
      Buffer content = Buffer.buffer("layer bytes behind a redirect");
      RegistryClient anonymous = new RegistryClient(vertx, List.<RegistrySettings>of(), new SimpleMeterRegistry(),
          EgressPolicy.OPEN);
      String digest = anonymous.putBlob(new Repository(storage.host(), "redirect/app"), content).await();
      RegistryClient client = new RegistryClient(vertx,
          List.of(new RegistrySettings(front.host(), "alice", "s3cret", true, true, 4)), new SimpleMeterRegistry(),
          EgressPolicy.OPEN);
      Repository repo = new Repository(front.host(), "redirect/app");
      assertThat(client.putBlob(repo, content).await()).isEqualTo(digest);

      front.redirect("/blobs/sha256:", cdn.baseUrl());
      assertThat(client.blobBytes(repo, digest).await()).isEqualTo(content);

      assertThat(front.requests("/blobs/sha256:")).extracting(FaultProxy.Request::status).contains(307);
      assertThat(front.authorizedPaths()).contains("/v2/redirect/app/blobs/" + digest);
      assertThat(cdn.requests("/blobs/sha256:")).extracting(FaultProxy.Request::status).containsExactly(200);
      assertThat(cdn.authorizedPaths()).isEmpty();
    } finally {
      vertx.close().await();
    }
  }
}
