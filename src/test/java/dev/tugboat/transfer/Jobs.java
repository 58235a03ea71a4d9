package dev.tugboat.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.testing.RawHttp;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** The transfer routes of a node listening on a loopback port, as a client uses them (in-JVM or its own process). */
record Jobs(int port) {
  static final int TIMEOUT_MS = 10_000;

  RawHttp.Response post(JsonObject job) {
    return RawHttp.request(port, "POST", "/api/distribute/image", "application/json",
        job.encode().getBytes(StandardCharsets.UTF_8), TIMEOUT_MS);
  }

  /** Submits a job that must be accepted; answers its id. */
  String submit(JsonObject job) {
    RawHttp.Response created = post(job);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    return new JsonObject(created.body()).getString("id");
  }

  JsonObject status(String id) {
    RawHttp.Response got = RawHttp.request(port, "GET", "/api/distribute/image/" + id, null, null, TIMEOUT_MS);
    assertThat(got.status()).as(got.body()).isEqualTo(200);
    return new JsonObject(got.body());
  }

  static boolean over(JsonObject status) {
    return List.of("FINISHED", "FAILED").contains(status.getString("value"));
  }

  JsonObject awaitOver(String id, Duration within) {
    JsonObject[] last = new JsonObject[1];
    await().atMost(within).pollInterval(Duration.ofMillis(50)).until(() -> over(last[0] = status(id)));
    return last[0];
  }

  static JsonObject target(JsonObject status, int i) {
    return status.getJsonArray("targets").getJsonObject(i);
  }
}
