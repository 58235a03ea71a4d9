package dev.tugboat.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.Server;
import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import dev.tugboat.registry.Manifest;
import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.Repository;
import dev.tugboat.testing.GeneratedImage;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestDatabases;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Two nodes sharing one database: the node running a job dies mid-copy, the other resumes it (DESIGN rule 1). */
@ParameterizedClass
@EnumSource(Vendor.class)
class TransferFailoverTest {
  static final long LAYER = 32L * 1024 * 1024;
  @Parameter Vendor vendor;
  final HttpClient http = HttpClient.newHttpClient();

  @Test
  @DisplayName("a node stopped mid-copy loses its lease; the other node resumes the job, skips the blobs already there, finishes")
  void anotherNodeResumes() throws Exception {
    DbUrl db = TestDatabases.fresh(vendor);
    Vertx vertx = Vertx.vertx();
    Server first = null;
    Server second = null;
    try (RegistryFixture source = RegistryFixture.start(); RegistryFixture target = RegistryFixture.start()) {
      RegistryClient client = new RegistryClient(vertx, List.<RegistrySettings>of(), new SimpleMeterRegistry());
      Manifest image = GeneratedImage.push(vertx, client, new Repository(source.host(), "big/app"), "v1",
          List.of(LAYER, LAYER, LAYER, LAYER), 11);
      first = node(db);
      String id = submit(first, new JsonObject()
          .put("source", new JsonObject().put("endpoint", source.baseUrl()).put("image", "big/app").put("ref", "v1"))
          .put("targets", new JsonArray().add(new JsonObject().put("endpoint", target.baseUrl() + "/v2"))));
      Server running = first;
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
          .until(() -> target(status(running, id)).getLong("bytes_done") > LAYER + LAYER / 2);
      first.close().await();
      first = null;
      JsonObject left = status(db, id);
      assertThat(left.getString("value")).as("the stopped node wrote nothing: still its lease").isEqualTo("RUNNING");

      second = node(db);
      Server resuming = second;
      await().atMost(Duration.ofSeconds(90)).until(() -> List.of("FINISHED", "FAILED")
          .contains(status(resuming, id).getString("value")));
      JsonObject done = status(second, id);
      assertThat(done.getString("value")).as(done.encodePrettily()).isEqualTo("FINISHED");
      assertThat(done.getInteger("attempts")).as("a lost node is not a failed attempt").isEqualTo(1);
      assertThat(done.getInteger("takeovers")).isEqualTo(1);
      assertThat(target(done).getInteger("attempts")).isEqualTo(1);
      assertThat(target(done).getInteger("blobs_present")).as("blobs copied before the stop are skipped")
          .isGreaterThanOrEqualTo(1);
      assertThat(target(done).getLong("bytes_total")).isLessThan(4 * LAYER);
      assertThat(TestImages.headManifest(target.baseUrl(), "big/app", "v1", null)).contains(image.digest());
      client.close().await();
    } finally {
      if (first != null) {
        first.close().await();
      }
      if (second != null) {
        second.close().await();
      }
      vertx.close().await();
      TestDatabases.drop(db);
    }
  }

  static Server node(DbUrl db) {
    Map<String, String> sets = new LinkedHashMap<>();
    sets.put("db.url", TestServer.urlOf(db));
    sets.put("http.host", "127.0.0.1");
    sets.put("http.port", "0");
    sets.put("http.instances", "1");
    sets.put("transfer.parallelBlobs", "1");
    sets.put("transfer.leaseTtl", "2s");
    sets.put("transfer.sweepInterval", "300ms");
    sets.put("transfer.progressInterval", "50ms");
    sets.put("transfer.secretKey", "");
    return Server.start(TestServer.settings(sets)).await();
  }

  String submit(Server node, JsonObject job) throws Exception {
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(uri(node, "/api/distribute/image"))
        .POST(HttpRequest.BodyPublishers.ofString(job.encode())).header("Content-Type", "application/json").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return new JsonObject(created.body()).getString("id");
  }

  JsonObject status(Server node, String id) throws Exception {
    return new JsonObject(http.send(HttpRequest.newBuilder(uri(node, "/api/distribute/image/" + id)).build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  /** Read straight from the database while no node runs. */
  static JsonObject status(DbUrl db, String id) throws Exception {
    try (var conn = java.sql.DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
         var st = conn.prepareStatement("SELECT state FROM transfer_jobs WHERE id = ?")) {
      st.setString(1, id);
      try (var rs = st.executeQuery()) {
        rs.next();
        return new JsonObject().put("value", rs.getString(1));
      }
    }
  }

  static JsonObject target(JsonObject status) {
    return status.getJsonArray("targets").getJsonObject(0);
  }

  static URI uri(Server node, String path) {
    return URI.create("http://127.0.0.1:" + node.port() + path);
  }
}
