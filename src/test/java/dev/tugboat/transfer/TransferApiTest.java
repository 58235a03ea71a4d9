package dev.tugboat.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import dev.tugboat.testing.TokenServerFixture;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Transfer jobs black-box over HTTP against real registries, on PostgreSQL and on MariaDB. */
@ParameterizedClass
@EnumSource(Vendor.class)
class TransferApiTest {
  static final String PASSWORD = "s3cret-Pw-4711";
  static final AtomicInteger REPOS = new AtomicInteger();
  @Parameter Vendor vendor;
  static TestServer server;
  static RegistryFixture source;
  static RegistryFixture securedSource;
  static List<RegistryFixture> targets;
  static TokenServerFixture tokens;
  static RegistryFixture tokenTarget;
  static Path work;
  static TestImages.Layout small;
  static TestImages.Layout multi;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) throws Exception {
    server = TestServer.start(vendor, Map.of("transfer.retries", "2", "transfer.retryBackoff", "200ms",
        "transfer.sweepInterval", "500ms", "transfer.progressInterval", "100ms"));
    source = RegistryFixture.start();
    securedSource = RegistryFixture.builder().htpasswd("alice", PASSWORD).start();
    targets = List.of(RegistryFixture.start(), RegistryFixture.start(), RegistryFixture.start());
    tokens = TokenServerFixture.builder().user("bob", PASSWORD).start();
    tokenTarget = RegistryFixture.builder().tokenAuth(tokens).start();
    work = Files.createTempDirectory("transfer-api-");
    small = TestImages.single(work.resolve("small"), "v1", List.of(300_000L, 5_000L), "linux", "amd64");
    multi = TestImages.multiPlatform(work.resolve("multi"), "v2", List.of(200_000L, 3_000L));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
    source.close();
    securedSource.close();
    targets.forEach(RegistryFixture::close);
    tokenTarget.close();
    tokens.close();
  }

  static String repo() {
    return "team/app" + REPOS.incrementAndGet();
  }

  static JsonObject job(RegistryFixture from, String image, String ref, JsonArray to) {
    return new JsonObject().put("source", new JsonObject().put("endpoint", from.baseUrl() + "/v2").put("image", image)
        .put("ref", ref)).put("targets", to);
  }

  static JsonObject target(RegistryFixture registry, boolean overwrite) {
    return new JsonObject().put("endpoint", registry.baseUrl() + "/v2").put("overwrite", overwrite);
  }

  /** The htpasswd registry as a target with a wrong password: every request is refused. */
  static JsonObject refusingTarget(String password) {
    return new JsonObject().put("endpoint", securedSource.baseUrl() + "/v2").put("auth", new JsonObject()
        .put("basicauth", new JsonObject().put("user", "alice").put("password", password)));
  }

  static String submit(JsonObject job) {
    HttpResponse<String> created = server.send("POST", "/api/distribute/image", job.encode(), null);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonObject body = new JsonObject(created.body());
    assertThat(body.getString("status")).isEqualTo("success");
    assertThat(body.getString("msg")).isEqualTo("Image sync started");
    return body.getString("id");
  }

  static JsonObject status(String id) {
    HttpResponse<String> got = server.get("/api/distribute/image/" + id);
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    return new JsonObject(got.body());
  }

  static JsonObject awaitOver(String id) {
    JsonObject[] last = new JsonObject[1];
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
      last[0] = status(id);
      return List.of("FINISHED", "FAILED").contains(last[0].getString("value"));
    });
    return last[0];
  }

  static long bytesDone(JsonObject status) {
    long sum = 0;
    for (Object t : status.getJsonArray("targets")) {
      sum += ((JsonObject) t).getLong("bytes_done");
    }
    return sum;
  }

  @Test
  @DisplayName("a small image reaches one target with the same digest; a second run finds every blob and moves no bytes")
  void smallImageThenNothingToMove() {
    String repo = repo();
    TestImages.push(small, source, repo, "v1");
    JsonObject job = job(source, repo, "v1", new JsonArray().add(target(targets.get(0), true)));

    JsonObject first = awaitOver(submit(job));
    assertThat(first.getString("value")).as(first.encodePrettily()).isEqualTo("FINISHED");
    assertThat(first.getJsonArray("finished_endpoints")).containsExactly(targets.get(0).baseUrl() + "/v2");
    assertThat(first.getJsonArray("skipped_clusters")).isEmpty();
    assertThat(first.getString("started_at")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+00:00");
    assertThat(first.getString("finished_at")).endsWith("+00:00");
    assertThat(first.getString("digest")).isEqualTo(small.digest());
    assertThat(bytesDone(first)).isEqualTo(small.blobs().stream().mapToLong(TestImages.Blob::size).sum());
    assertThat(TestImages.headManifest(targets.get(0).baseUrl(), repo, "v1", null)).contains(small.digest());

    JsonObject second = awaitOver(submit(job));
    assertThat(second.getString("value")).isEqualTo("FINISHED");
    JsonObject t = second.getJsonArray("targets").getJsonObject(0);
    assertThat(t.getLong("bytes_done")).isZero();
    assertThat(t.getInteger("blobs_present")).isEqualTo(t.getInteger("blobs")).isEqualTo(3);
  }

  @Test
  @DisplayName("a multi-arch index reaches three targets at once: index and children byte-identical everywhere")
  void multiArchToThreeTargets() {
    String repo = repo();
    TestImages.push(multi, source, repo, "v2");
    JsonArray to = new JsonArray().add(target(targets.get(0), false))
        .add(new JsonObject().put("endpoint", targets.get(1).baseUrl())) // without /v2
        .add(target(targets.get(2), true));
    JsonObject done = awaitOver(submit(job(source, repo, "v2", to)));
    assertThat(done.getString("value")).as(done.encodePrettily()).isEqualTo("FINISHED");
    assertThat(done.getJsonArray("finished_endpoints")).hasSize(3);
    for (RegistryFixture target : targets) {
      assertThat(TestImages.headManifest(target.baseUrl(), repo, "v2", null)).contains(multi.digest());
      for (String child : multi.childDigests()) {
        assertThat(TestImages.headManifest(target.baseUrl(), repo, child, null)).contains(child);
      }
    }
  }

  @Test
  @DisplayName("overwrite false and the image already there: the target is in skipped_clusters, nothing is copied")
  void existingImageIsSkipped() {
    String repo = repo();
    TestImages.push(small, source, repo, "v1");
    TestImages.push(small, targets.get(1), repo, "v1");
    JsonObject done = awaitOver(submit(job(source, repo, "v1", new JsonArray().add(target(targets.get(1), false))
        .add(target(targets.get(2), false)))));
    assertThat(done.getString("value")).isEqualTo("FINISHED");
    assertThat(done.getJsonArray("skipped_clusters")).containsExactly(targets.get(1).baseUrl() + "/v2");
    assertThat(done.getJsonArray("finished_endpoints")).containsExactly(targets.get(2).baseUrl() + "/v2");
    assertThat(done.getJsonArray("targets").getJsonObject(0).getLong("bytes_done")).isZero();
  }

  @Test
  @DisplayName("source with htpasswd (basicauth) and target with token auth (url, header): copied; no secret is shown or kept")
  void basicSourceTokenTarget() throws Exception {
    String repo = repo();
    TestImages.push(small, securedSource, repo, "v1", "alice:" + PASSWORD);
    String tokenUrl = tokens.realm() + "?service=" + tokens.service() + "&scope=repository:" + repo + ":pull,push";
    JsonObject job = new JsonObject()
        .put("source", new JsonObject().put("endpoint", securedSource.baseUrl() + "/v2").put("image", repo)
            .put("ref", "v1").put("auth", new JsonObject().put("url", "http://ignored.invalid/")
                .put("basicauth", new JsonObject().put("user", "alice").put("password", PASSWORD))))
        .put("targets", new JsonArray().add(new JsonObject().put("endpoint", tokenTarget.baseUrl() + "/v2")
            .put("auth", new JsonObject().put("url", tokenUrl).put("token_type", "Bearer")
                .put("header", new JsonObject().put("Authorization", TestImages.basicAuth("bob:" + PASSWORD)))
                .put("json", new JsonObject().put("any", "body")))));
    JsonObject done;
    String id;
    try (LogCapture log = new LogCapture()) {
      id = submit(job);
      done = awaitOver(id);
      assertThat(log.text()).contains(id).doesNotContain(PASSWORD);
    }
    assertThat(done.getString("value")).as(done.encodePrettily()).isEqualTo("FINISHED");
    assertThat(done.encode()).doesNotContain(PASSWORD).doesNotContain(TestImages.basicAuth("bob:" + PASSWORD));
    assertThat(tokens.requests()).isNotEmpty().allMatch(r -> "bob".equals(r.user()));
    assertThat(storedSecrets(id)).isNull();
  }

  @Test
  @DisplayName("a target refusing the credentials fails alone: the others finish, the job is FAILED with the reason after its retries")
  void refusingTargetFailsAlone() throws Exception {
    String repo = repo();
    TestImages.push(small, source, repo, "v1");
    JsonObject wrong = refusingTarget("nope-123");
    String id;
    JsonObject done;
    try (LogCapture log = new LogCapture()) {
      id = submit(job(source, repo, "v1", new JsonArray().add(target(targets.get(0), true)).add(wrong)));
      assertThat(storedSecrets(id)).isNotNull().doesNotContain("nope-123");
      done = awaitOver(id);
      assertThat(log.text()).contains("FAILED").doesNotContain("nope-123");
    }
    assertThat(done.getString("value")).as(done.encodePrettily()).isEqualTo("FAILED");
    assertThat(done.getInteger("attempts")).isEqualTo(2);
    assertThat(done.getJsonArray("finished_endpoints")).containsExactly(targets.get(0).baseUrl() + "/v2");
    assertThat(done.getString("last_error")).contains(securedSource.baseUrl() + "/v2").contains("401");
    JsonObject refused = done.getJsonArray("targets").getJsonObject(1);
    assertThat(refused.getString("state")).isEqualTo("FAILED");
    assertThat(refused.getInteger("attempts")).isEqualTo(2);
    assertThat(done.encode()).doesNotContain("nope-123");
    assertThat(storedSecrets(id)).isNull();
  }

  @Test
  @DisplayName("DELETE cancels a job waiting for its next attempt: FAILED, cancelled, credentials dropped; a finished job answers 409")
  void cancel() throws Exception {
    String repo = repo();
    TestImages.push(small, source, repo, "v1");
    JsonObject wrong = refusingTarget("nope");
    String id = submit(job(source, repo, "v1", new JsonArray().add(wrong)).put("retries_left", 100));
    await().atMost(Duration.ofSeconds(30)).until(() -> status(id).getInteger("attempts") >= 2);
    HttpResponse<String> cancelled = server.send("DELETE", "/api/distribute/image/" + id, null, null);
    assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(202);
    JsonObject done = awaitOver(id);
    assertThat(done.getString("value")).isEqualTo("FAILED");
    assertThat(done.getBoolean("cancelled")).isTrue();
    assertThat(done.getString("last_error")).isEqualTo("cancelled");
    assertThat(storedSecrets(id)).isNull();
    int attempts = done.getInteger("attempts");
    assertThat(server.send("DELETE", "/api/distribute/image/" + id, null, null).statusCode()).isEqualTo(409);
    assertThat(status(id).getInteger("attempts")).isEqualTo(attempts);
  }

  @Test
  @DisplayName("GET .../events streams the status as Server-Sent Events until the job is over")
  void serverSentEvents() throws Exception {
    String repo = repo();
    TestImages.push(multi, source, repo, "v2");
    String id = submit(job(source, repo, "v2", new JsonArray().add(target(targets.get(0), true))
        .add(target(targets.get(1), true))));
    HttpResponse<java.io.InputStream> stream = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(server.uri("/api/distribute/image/" + id + "/events")).timeout(Duration.ofSeconds(60))
            .build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    List<JsonObject> events = new ArrayList<>();
    String end = null;
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
      String event = null;
      for (String line = reader.readLine(); line != null && events.size() < 10_000; line = reader.readLine()) {
        if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ") && "progress".equals(event)) {
          events.add(new JsonObject(line.substring(6)));
        } else if (line.startsWith("data: ") && "end".equals(event)) {
          end = line.substring(6);
        }
      }
    }
    assertThat(end).isEqualTo("FINISHED");
    assertThat(events).isNotEmpty();
    JsonObject last = events.get(events.size() - 1);
    assertThat(last.getString("value")).isEqualTo("FINISHED");
    assertThat(bytesDone(last)).isPositive();
    assertThat(events).extracting(JsonObject::encode).doesNotHaveDuplicates(); // an event per change, not per tick
  }

  @Test
  @DisplayName("bad input is a 400 naming the field; unknown jobs and images are 404s; the list filters by state")
  void errorsAndList() {
    HttpResponse<String> missing = server.send("POST", "/api/distribute/image",
        new JsonObject().put("targets", new JsonArray().add(target(targets.get(0), true))).encode(), null);
    assertThat(missing.statusCode()).isEqualTo(400);
    JsonObject body = new JsonObject(missing.body());
    assertThat(body.getString("status")).isEqualTo("error");
    assertThat(body.getString("msg")).contains("Missing field: source");
    assertThat(body.getJsonObject("error").getString("field")).isEqualTo("source");

    JsonObject badEndpoint = job(source, "team/x", "v1", new JsonArray().add(new JsonObject().put("endpoint", "ftp://x")));
    assertThat(field(badEndpoint)).isEqualTo("targets[0].endpoint");
    JsonObject badHeader = job(source, "team/x", "v1", new JsonArray().add(target(targets.get(0), true)
        .put("auth", new JsonObject().put("url", "http://127.0.0.1:1/t").put("header", "not json"))));
    assertThat(field(badHeader)).isEqualTo("targets[0].auth.header");
    assertThat(field(job(source, "team/x", "no tag!", new JsonArray().add(target(targets.get(0), true)))))
        .isEqualTo("source.ref");
    assertThat(field(job(source, "team/x", "v1", new JsonArray().add(target(targets.get(0), true)).add(
        target(targets.get(1), true).put("colour", "blue"))))).isEqualTo("targets[1].colour");

    HttpResponse<String> noImage = server.send("POST", "/api/distribute/image",
        job(source, "team/absent", "v1", new JsonArray().add(target(targets.get(0), true))).encode(), null);
    assertThat(noImage.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(noImage.body()).getString("msg")).isEqualTo("Image not found");

    HttpResponse<String> unknown = server.get("/api/distribute/image/00000000-0000-0000-0000-000000000000");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(unknown.body()).getString("msg")).isEqualTo("job with id not found");

    String repo = repo();
    TestImages.push(small, source, repo, "v1");
    String id = submit(job(source, repo, "v1", new JsonArray().add(target(targets.get(2), true))));
    awaitOver(id);
    JsonArray finished = new JsonArray(server.get("/api/distribute/image?state=finished").body());
    assertThat(finished.stream().map(j -> ((JsonObject) j).getString("id"))).contains(id);
    assertThat(finished.stream().map(j -> ((JsonObject) j).getString("value"))).containsOnly("FINISHED");
    assertThat(server.get("/api/distribute/image?state=DONE").statusCode()).isEqualTo(400);
  }

  static String field(JsonObject job) {
    HttpResponse<String> answer = server.send("POST", "/api/distribute/image", job.encode(), null);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(400);
    return new JsonObject(answer.body()).getJsonObject("error").getString("field");
  }

  /** Copies what the service logs (slf4j-simple writes to System.err) while it is open. */
  static final class LogCapture implements AutoCloseable {
    private final java.io.PrintStream original = System.err;
    private final java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();

    LogCapture() {
      System.setErr(new java.io.PrintStream(new java.io.OutputStream() {
        @Override
        public void write(int b) {
          original.write(b);
          synchronized (captured) {
            captured.write(b);
          }
        }

        @Override
        public void write(byte[] b, int off, int len) {
          original.write(b, off, len);
          synchronized (captured) {
            captured.write(b, off, len);
          }
        }
      }, true));
    }

    String text() {
      synchronized (captured) {
        return captured.toString(StandardCharsets.UTF_8);
      }
    }

    @Override
    public void close() {
      System.setErr(original);
    }
  }

  static String storedSecrets(String id) throws Exception {
    var db = server.database();
    try (var conn = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
         var st = conn.prepareStatement("SELECT secrets FROM transfer_jobs WHERE id = ?")) {
      st.setString(1, id);
      try (var rs = st.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return rs.getString(1);
      }
    }
  }
}
