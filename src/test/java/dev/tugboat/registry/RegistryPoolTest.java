package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TokenServerFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Views over one pool share connections, challenges and tokens, but a token only with the same credentials. */
class RegistryPoolTest {
  static Vertx vertx;
  static TokenServerFixture tokenServer;
  static RegistryFixture registry;
  static RegistryPool pool;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    tokenServer = TokenServerFixture.builder().user("bob", "pa55").pullOnly("reader", "r34d").start();
    registry = RegistryFixture.builder().tokenAuth(tokenServer).start();
    pool = new RegistryPool(vertx, new SimpleMeterRegistry(), EgressPolicy.OPEN, RegistryClient.DEFAULT_TIMEOUT,
        RetryPolicy.DEFAULT, Clock.systemUTC());
  }

  @AfterAll
  static void stop() throws Exception {
    pool.close().await();
    vertx.close().await();
    registry.close();
    tokenServer.close();
  }

  static RegistryClient view(String user, String password) {
    return pool.client(user == null ? List.of()
        : List.of(new RegistrySettings(registry.host(), user, password, true, true, 4)), Map.of());
  }

  @Test
  @DisplayName("same credentials in two views: the second reuses the first one's token; others get their own")
  void tokensSharedOnlyBetweenEqualCredentials() {
    Repository repo = new Repository(registry.host(), "pool/app");
    RegistryClient bob = view("bob", "pa55");
    String digest = bob.putBlob(repo, Buffer.buffer("pooled blob")).await();
    assertThat(bob.blobSize(repo, digest).await()).isPresent();

    tokenServer.resetRequests();
    assertThat(view("bob", "pa55").blobSize(repo, digest).await()).isPresent();
    assertThat(tokenServer.requests()).as("a new view with bob's credentials uses bob's cached pull token").isEmpty();

    // the same user name with a wrong password must not ride on bob's cached tokens (pull nor push)
    RegistryClient wrong = view("bob", "wrong");
    assertThatThrownBy(() -> wrong.blobSize(repo, digest).await()).isInstanceOf(RegistryException.Unauthorized.class);
    assertThatThrownBy(() -> wrong.putBlob(repo, Buffer.buffer("nope")).await())
        .isInstanceOf(RegistryException.Unauthorized.class);
    assertThat(tokenServer.requests()).isNotEmpty().allSatisfy(r -> {
      assertThat(r.user()).isEqualTo("bob");
      assertThat(r.status()).isEqualTo(401);
    });

    // a pull-only user reads with its own token and cannot push with bob's cached push token
    tokenServer.resetRequests();
    RegistryClient reader = view("reader", "r34d");
    assertThat(reader.blobSize(repo, digest).await()).isPresent();
    assertThatThrownBy(() -> reader.putBlob(repo, Buffer.buffer("reader push")).await())
        .isInstanceOf(RegistryException.Unauthorized.class);
    assertThat(tokenServer.requests()).isNotEmpty().allSatisfy(r -> assertThat(r.user()).isEqualTo("reader"));

    // anonymous: no token of anyone's (the token server gives anonymous requests no access)
    tokenServer.resetRequests();
    assertThatThrownBy(() -> view(null, null).blobSize(repo, digest).await())
        .isInstanceOf(RegistryException.Unauthorized.class);
    assertThat(tokenServer.requests()).allSatisfy(r -> assertThat(r.hadCredentials()).isFalse());

    // after all that, bob's own view still works from its cache
    tokenServer.resetRequests();
    assertThat(bob.blobSize(repo, digest).await()).isPresent();
    assertThat(tokenServer.requests()).isEmpty();
  }

  @Test
  @DisplayName("closing a view leaves the pool open for the others")
  void viewsDoNotCloseThePool() {
    Repository repo = new Repository(registry.host(), "pool/close");
    RegistryClient first = view("bob", "pa55");
    String digest = first.putBlob(repo, Buffer.buffer("close test")).await();
    first.close().await();
    assertThat(view("bob", "pa55").blobSize(repo, digest).await()).isPresent();
    assertThat(first.blobSize(repo, digest).await()).isPresent();
  }
}
