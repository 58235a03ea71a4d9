package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.testing.GeneratedStream;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TokenServerFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Basic auth against an htpasswd registry and the whole bearer-token flow against a token-auth registry. */
class RegistryAuthTest {
  static Vertx vertx;
  static RegistryFixture basicRegistry;
  static TokenServerFixture tokenServer;
  static RegistryFixture tokenRegistry;

  /** A clock the test moves forward to make cached tokens expire. */
  static final class MovableClock extends Clock {
    volatile Instant now = Instant.now();

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    basicRegistry = RegistryFixture.builder().htpasswd("alice", "s3cret").start();
    tokenServer = TokenServerFixture.builder().user("bob", "pa55").pullOnly("reader", "r34d").start();
    tokenRegistry = RegistryFixture.builder().tokenAuth(tokenServer).start();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await();
    basicRegistry.close();
    tokenRegistry.close();
    tokenServer.close();
  }

  static RegistryClient client(RegistryFixture registry, String user, String password, Clock clock) {
    List<RegistrySettings> settings = user == null ? List.of()
        : List.of(new RegistrySettings(registry.host(), user, password, true, true, 4));
    return new RegistryClient(vertx, settings, new SimpleMeterRegistry(), EgressPolicy.OPEN,
        RegistryClient.DEFAULT_TIMEOUT, RetryPolicy.DEFAULT, clock, java.util.Map.of());
  }

  static String pushAndRead(RegistryClient client, Repository repo, long seed) {
    Buffer content = Buffer.buffer("blob " + seed + " " + "x".repeat((int) seed));
    String digest = client.putBlob(repo, content).await();
    assertThat(client.blobBytes(repo, digest).await()).isEqualTo(content);
    return digest;
  }

  @Test
  @DisplayName("htpasswd: configured credentials push and pull; none or wrong ones are Unauthorized")
  void basicAuth() {
    Repository repo = new Repository(basicRegistry.host(), "basic/app");
    RegistryClient good = client(basicRegistry, "alice", "s3cret", Clock.systemUTC());
    pushAndRead(good, repo, 1);
    assertThat(good.catalog(basicRegistry.host()).await()).contains("basic/app");

    RegistryClient anonymous = client(basicRegistry, null, null, Clock.systemUTC());
    assertThatThrownBy(() -> anonymous.blobSize(repo, GeneratedStream.digestOf(1, 1)).await())
        .isInstanceOf(RegistryException.Unauthorized.class);
    RegistryClient wrong = client(basicRegistry, "alice", "nope", Clock.systemUTC());
    assertThatThrownBy(() -> wrong.putBlob(repo, Buffer.buffer("x")).await())
        .isInstanceOf(RegistryException.Unauthorized.class);
  }

  @Test
  @DisplayName("token auth: challenge → token with credentials → retry; tokens cached per scope set")
  void bearerFlowWithCredentialsAndCache() {
    tokenServer.resetRequests();
    Repository repo = new Repository(tokenRegistry.host(), "token/app");
    RegistryClient client = client(tokenRegistry, "bob", "pa55", Clock.systemUTC());
    pushAndRead(client, repo, 2);
    pushAndRead(client, repo, 3);
    List<TokenServerFixture.TokenRequest> requests = tokenServer.requests();
    assertThat(requests).isNotEmpty().allSatisfy(r -> {
      assertThat(r.hadCredentials()).isTrue();
      assertThat(r.user()).isEqualTo("bob");
      assertThat(r.status()).isEqualTo(200);
    });
    // one token per distinct scope set (push; pull), reused for the second blob
    assertThat(requests.stream().map(r -> String.join(" ", r.scopes())).distinct().count()).isEqualTo(requests.size());
    assertThat(requests.size()).isLessThanOrEqualTo(3);

    tokenServer.resetRequests();
    assertThat(client.catalog(tokenRegistry.host()).await()).contains("token/app");
    assertThat(tokenServer.requests()).anySatisfy(r -> assertThat(r.scopes()).contains("registry:catalog:*"));
  }

  @Test
  @DisplayName("token auth: an expired token is refreshed before the next call")
  void tokenRefreshedAfterExpiry() {
    MovableClock clock = new MovableClock();
    Repository repo = new Repository(tokenRegistry.host(), "token/refresh");
    RegistryClient client = client(tokenRegistry, "bob", "pa55", clock);
    String digest = pushAndRead(client, repo, 4);
    tokenServer.resetRequests();
    assertThat(client.blobSize(repo, digest).await()).isPresent();
    assertThat(tokenServer.requests()).isEmpty(); // cached
    clock.now = clock.now.plus(Duration.ofMinutes(2)); // past expires_in (60 s)
    assertThat(client.blobSize(repo, digest).await()).isPresent();
    assertThat(tokenServer.requests()).hasSize(1);
  }

  @Test
  @DisplayName("token auth: a pull-only user can read but its push is refused; wrong password → Unauthorized")
  void permissionsAndWrongPassword() {
    Repository repo = new Repository(tokenRegistry.host(), "token/perm");
    String digest = pushAndRead(client(tokenRegistry, "bob", "pa55", Clock.systemUTC()), repo, 5);
    RegistryClient reader = client(tokenRegistry, "reader", "r34d", Clock.systemUTC());
    assertThat(reader.blobSize(repo, digest).await()).isPresent();
    assertThatThrownBy(() -> reader.putBlob(repo, Buffer.buffer("nope")).await())
        .isInstanceOf(RegistryException.Unauthorized.class);
    RegistryClient wrong = client(tokenRegistry, "bob", "wrong", Clock.systemUTC());
    assertThatThrownBy(() -> wrong.blobSize(repo, digest).await()).isInstanceOf(RegistryException.Unauthorized.class);
  }

  @Test
  @DisplayName("token auth: cross-repository mount asks for target pull,push plus source pull in one token")
  void mountWithTwoScopes() {
    RegistryClient client = client(tokenRegistry, "bob", "pa55", Clock.systemUTC());
    Repository source = new Repository(tokenRegistry.host(), "token/source");
    Repository target = new Repository(tokenRegistry.host(), "token/target");
    String digest = pushAndRead(client, source, 6);
    tokenServer.resetRequests();
    assertThat(client.mount(target, digest, source).await().mounted()).isTrue();
    assertThat(tokenServer.requests()).anySatisfy(r -> assertThat(r.scopes())
        .contains("repository:token/target:pull,push", "repository:token/source:pull"));
  }

  @Test
  @DisplayName("credentials configured for one registry are never sent to another")
  void credentialsScopedToTheirHost() {
    RegistryClient client = client(basicRegistry, "alice", "s3cret", Clock.systemUTC());
    Repository other = new Repository(tokenRegistry.host(), "token/app");
    tokenServer.resetRequests();
    assertThatThrownBy(() -> client.putBlob(other, Buffer.buffer("x")).await())
        .isInstanceOf(RegistryException.Unauthorized.class);
    assertThat(tokenServer.requests()).allSatisfy(r -> assertThat(r.hadCredentials()).isFalse());
  }
}
