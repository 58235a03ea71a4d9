package dev.tugboat.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Database;
import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Migrations;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RawHttp;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.ServerProcess;
import dev.tugboat.testing.SilentServer;
import dev.tugboat.testing.TestDatabases;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fault test of issue 10 ("Poison events"): a node as its own process, on a database where a release
 * without validation at the door left a poison row (digest {@code "sha256:not a digest"}), and with calls hanging
 * on a registry that never answers. Valid events are visible within 2 s, and SIGTERM ends the process within
 * {@code http.shutdownTimeout} plus a few seconds.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class PoisonShutdownTest {
  static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(3);
  @Parameter Vendor vendor;

  /** Pushes {@code repository:1.0}, notifies the node of it and waits until it is visible; the milliseconds that took. */
  static long notify(ServerProcess node, RegistryFixture registry, String repository, Duration within) {
    String digest = TestImages.pushSmallImage(registry, repository, List.of("1.0"), repository.hashCode()).digest();
    long posted = System.nanoTime();
    String envelope = new JsonObject().put("events", new JsonArray()
        .add(Events.push(registry.host(), repository, digest, "1.0"))).encode();
    RawHttp.Response stored = RawHttp.request(node.port(), "POST", "/dockerRegistry/event", "application/json",
        envelope.getBytes(java.nio.charset.StandardCharsets.UTF_8), 5000);
    assertThat(stored.status()).as(stored.body()).isEqualTo(200);
    await().atMost(within).pollInterval(Duration.ofMillis(50)).until(() -> RawHttp.request(node.port(), "GET",
        "/v2/images/" + registry.host() + "/" + repository + ":1.0", null, null, 5000).status() == 200);
    return (System.nanoTime() - posted) / 1_000_000;
  }

  @Test
  @DisplayName("poison row from an older release + a hanging registry: valid events visible within 2 s, SIGTERM exits in time")
  void poisonThenSigterm() throws Exception {
    DbUrl url = TestDatabases.fresh(vendor);
    try (RegistryFixture registry = RegistryFixture.start(); SilentServer hanging = SilentServer.start()) {
      String hangingHost = hanging.host();

      // the database as an older release left it: a poison row, stored as is, and work for the hanging registry
      Migrations.run(url);
      Vertx vertx = Vertx.vertx();
      Database db = Database.open(vertx, url, 2);
      String poison = "poison-row";
      String stuck = "hanging-row";
      try {
        Events.insertUnchecked(db, poison, Events.push(registry.host(), "old/poison", "sha256:not a digest", "1")
            .put("id", poison));
        Events.insertUnchecked(db, stuck, Events.push(hangingHost, "old/hangs", "sha256:" + "d".repeat(64), "1")
            .put("id", stuck));
      } finally {
        db.close().await();
      }

      try (ServerProcess node = ServerProcess.start("poison-" + vendor, Map.of("db.url", TestServer.urlOf(url),
          "http.shutdownTimeout", SHUTDOWN_TIMEOUT.toSeconds() + "s", "inventory.sweepInterval", "500ms",
          "inventory.rescanInterval", "0"), List.of("-Xmx256m"), Duration.ofSeconds(60))) {
        // the first event warms the fresh JVM up (class loading, pools); the second is the measured one
        notify(node, registry, "warm/app", Duration.ofSeconds(10));
        long visible = notify(node, registry, "fresh/app", Duration.ofSeconds(2));
        System.out.printf("poison-shutdown figure (%s): valid event beside a stored poison row visible after %d ms%n",
            vendor, visible);
        await().atMost(Duration.ofSeconds(5)).until(() -> hanging.connections() >= 1); // a call hangs on the silent registry

        // an API request in flight on the hanging registry as SIGTERM arrives
        CompletableFuture<HttpResponse<String>> inFlight = HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + node.port() + "/v2/images/" + hangingHost + "/api/app:1.0"))
            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> hanging.connections() >= 2);

        long stopping = System.nanoTime();
        int code = node.stop(SHUTDOWN_TIMEOUT.plusSeconds(5));
        long millis = (System.nanoTime() - stopping) / 1_000_000;
        System.out.printf("poison-shutdown figure (%s): SIGTERM to exit %d ms (shutdownTimeout %d s)%n", vendor, millis,
            SHUTDOWN_TIMEOUT.toSeconds());
        assertThat(code).as("exit code after SIGTERM (-1: still running)\n" + node.log()).isEqualTo(143);
        assertThat(node.log()).contains("Tugboat stopped");
        inFlight.cancel(true);
      }

      Vertx check = Vertx.vertx();
      Database after = Database.open(check, url, 1);
      try {
        var rows = after.pool().preparedQuery(after.vendor().sql("SELECT state, last_error FROM inventory_inbox WHERE id = ?"))
            .execute(Tuple.of(poison)).await();
        var row = rows.iterator().next();
        assertThat(row.getString("state")).isEqualTo("FAILED");
        assertThat(row.getString("last_error")).contains("target.digest");
      } finally {
        after.close().await();
        check.close().await();
        vertx.close().await();
      }
    } finally {
      TestDatabases.drop(url);
    }
  }
}
