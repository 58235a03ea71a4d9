package dev.tugboat.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.tugboat.db.Vendor;
import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TcpProxy;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 10 (items 3, 8, 9, 12, 13) and issue 13 (items 3, 4) for the transfer service, black-box over HTTP against
 * real registries, on PostgreSQL and on MariaDB.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class TransferHardeningTest {
  static final String PASSWORD = "s3cret-Pw-0815";
  static final String SECRET_KEY = SecretBox.newKey();
  static final long LAYER = 20L * 1024 * 1024;
  static final AtomicInteger REPOS = new AtomicInteger();
  @Parameter Vendor vendor;
  static TestServer server;
  static Jobs jobs;
  static RegistryFixture source;
  static RegistryFixture target;
  static RegistryFixture secured;
  static TcpProxy slowSource;
  static HttpServer forbidden;
  static final AtomicInteger FORBIDDEN_HITS = new AtomicInteger();
  static TestImages.Layout small;
  static TestImages.Layout big;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) throws Exception {
    Map<String, String> sets = new LinkedHashMap<>();
    sets.put("transfer.retries", "2");
    sets.put("transfer.retryBackoff", "200ms");
    sets.put("transfer.sweepInterval", "300ms");
    sets.put("transfer.progressInterval", "100ms");
    sets.put("transfer.parallelBlobs", "1");
    sets.put("transfer.secretKey", SECRET_KEY);
    sets.put("egress.deny", String.join(",", EgressPolicy.DEFAULT_DENY) + ",127.0.0.2");
    server = TestServer.start(vendor, sets);
    jobs = new Jobs(server.server().port());
    source = RegistryFixture.start();
    target = RegistryFixture.start();
    secured = RegistryFixture.builder().htpasswd("alice", PASSWORD).start();
    slowSource = TcpProxy.start("127.0.0.1", source.port()).throttle(8L * 1024 * 1024);
    forbidden = HttpServer.create(new InetSocketAddress("127.0.0.2", 0), 0);
    forbidden.createContext("/", exchange -> {
      FORBIDDEN_HITS.incrementAndGet();
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    forbidden.start();
    Path work = Files.createTempDirectory("transfer-hardening-");
    small = TestImages.single(work.resolve("small"), "v1", List.of(100_000L, 2_000L), "linux", "amd64");
    big = TestImages.single(work.resolve("big"), "v1", List.of(LAYER), TestImages.Platform.LINUX_AMD64,
        TestImages.Options.defaults().uncompressed().seed(7));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
    forbidden.stop(0);
    slowSource.close();
    source.close();
    target.close();
    secured.close();
  }

  static String repo() {
    return "hard/app" + REPOS.incrementAndGet();
  }

  static JsonObject job(String repo) {
    return new JsonObject()
        .put("source", new JsonObject().put("endpoint", source.baseUrl() + "/v2").put("image", repo).put("ref", "v1"))
        .put("targets", new JsonArray().add(new JsonObject().put("endpoint", target.baseUrl() + "/v2")));
  }

  static JsonObject with(JsonObject job, Consumer<JsonObject> change) {
    JsonObject copy = job.copy();
    change.accept(copy);
    return copy;
  }

  static JsonObject src(JsonObject job) {
    return job.getJsonObject("source");
  }

  static JsonObject tgt(JsonObject job) {
    return job.getJsonArray("targets").getJsonObject(0);
  }

  /** POSTs a job that must be refused: the answer in the transfer service's shape plus Tugboat's error object. */
  static JsonObject refused(JsonObject job) {
    var answer = jobs.post(job);
    assertThat(answer.status()).as(answer.body()).isEqualTo(400);
    JsonObject body = new JsonObject(answer.body());
    assertThat(body.getString("status")).isEqualTo("error");
    assertThat(body.getString("msg")).isNotBlank();
    assertThat(body.getJsonObject("error").getString("field")).isNotBlank();
    return body;
  }

  static String field(JsonObject refusal) {
    return refusal.getJsonObject("error").getString("field");
  }

  @Test
  @DisplayName("every missing field answers the transfer service's 'Failed to parse data: Missing field: <field>'")
  void missingFields() {
    JsonObject full = job("team/app");
    Map<String, JsonObject> cases = new LinkedHashMap<>();
    cases.put("source", new JsonObject().put("targets", full.getJsonArray("targets")));
    cases.put("targets", with(full, j -> j.remove("targets")));
    cases.put("source.endpoint", with(full, j -> src(j).remove("endpoint")));
    cases.put("source.image", with(full, j -> src(j).remove("image")));
    cases.put("source.ref", with(full, j -> src(j).remove("ref")));
    cases.put("targets[0].endpoint", with(full, j -> tgt(j).remove("endpoint")));
    cases.put("targets[0].auth.basicauth.user", with(full, j -> tgt(j).put("auth", new JsonObject()
        .put("basicauth", new JsonObject().put("password", "p")))));
    cases.put("source.auth.basicauth.password", with(full, j -> src(j).put("auth", new JsonObject()
        .put("basicauth", new JsonObject().put("user", "u")))));
    cases.forEach((missing, job) -> {
      JsonObject body = refused(job);
      assertThat(body.getString("msg")).as(missing).isEqualTo("Failed to parse data: Missing field: " + missing);
      assertThat(body.getJsonObject("error").getString("message")).isEqualTo("Missing field: " + missing);
      assertThat(field(body)).isEqualTo(missing);
    });
    assertThat(refused(with(full, j -> j.put("targets", new JsonArray()))).getString("msg"))
        .startsWith("Failed to parse data: targets");
  }

  @Test
  @DisplayName("retries_left 0 is one attempt without retry; fractions and numbers out of range are a 400 naming retries_left")
  void retriesLeft() {
    String repo = repo();
    TestImages.push(small, source, repo, "v1");
    JsonObject wrongPassword = new JsonObject().put("endpoint", secured.baseUrl() + "/v2").put("auth", new JsonObject()
        .put("basicauth", new JsonObject().put("user", "alice").put("password", "wrong")));
    JsonObject once = with(job(repo), j -> j.put("retries_left", 0).getJsonArray("targets").add(wrongPassword));
    JsonObject done = jobs.awaitOver(jobs.submit(once), Duration.ofSeconds(60));
    assertThat(done.getString("value")).as(done.encodePrettily()).isEqualTo("FAILED");
    assertThat(done.getInteger("attempts")).isEqualTo(1);
    assertThat(done.getInteger("max_attempts")).isEqualTo(1);
    assertThat(done.getJsonArray("finished_endpoints")).containsExactly(target.baseUrl() + "/v2");

    for (Object bad : List.of(2.5, 4294967297L, -4294967293L, -1, 101, "3", true)) {
      JsonObject body = refused(with(job(repo), j -> j.put("retries_left", bad)));
      assertThat(field(body)).as(String.valueOf(bad)).isEqualTo("retries_left");
      assertThat(body.getString("msg")).startsWith("Failed to parse data: retries_left must be a whole number from 0 to 100");
    }
    assertThat(jobs.status(jobs.submit(with(job(repo), j -> j.put("retries_left", 3))))
        .getInteger("max_attempts")).isEqualTo(3);
  }

  @Test
  @DisplayName("image names, tags and digests follow ImageReference's grammar; lengths are the store's")
  void referenceGrammar() {
    JsonObject base = job("team/absent");
    Map<String, String> badImages = Map.of("upper", "Team/App", "empty component", "team//app", "too long",
        "a".repeat(256), "trailing separator", "team/app-");
    badImages.forEach((why, image) -> assertThat(field(refused(with(base, j -> src(j).put("image", image)))))
        .as(why).isEqualTo("source.image"));
    for (String ref : List.of("no tag!", "-v1", ".v1", "a".repeat(129), "sha256:abc", "sha256:" + "A".repeat(64))) {
      assertThat(field(refused(with(base, j -> src(j).put("ref", ref))))).as(ref).isEqualTo("source.ref");
    }
    String longest = "a".repeat(255);
    for (JsonObject valid : List.of(with(base, j -> src(j).put("image", longest)),
        with(base, j -> src(j).put("ref", "sha256:" + "0".repeat(64))), with(base, j -> src(j).put("ref", "A_" + "b".repeat(126))))) {
      var answer = jobs.post(valid);
      assertThat(answer.status()).as("valid, but not in the registry: " + answer.body()).isEqualTo(404);
    }
    assertThat(field(refused(with(base, j -> tgt(j).put("endpoint", "http://127.0.0.1:1/" + "v".repeat(2100))))))
        .isEqualTo("targets[0].endpoint");
    assertThat(field(refused(with(base, j -> j.put("issuer", "x".repeat(256)))))).isEqualTo("issuer");
    assertThat(field(refused(with(base, j -> j.put("issuer", "a\u0000b"))))).isEqualTo("issuer");
  }

  @Test
  @DisplayName("auth header values, tokens and token types holding CR, LF, NUL or controls are a 400: no header injection")
  void headerInjection() {
    JsonObject base = job("team/app");
    JsonObject tokenAuth = new JsonObject().put("url", "http://127.0.0.1:1/token");
    for (String bad : List.of("k\r\nX-Injected: yes", "k\nX-Injected: yes", "k\u0000", "k\u001b[0m")) {
      JsonObject header = with(base, j -> tgt(j).put("auth", tokenAuth.copy().put("header",
          new JsonObject().put("X-Api-Key", bad))));
      JsonObject body = refused(header);
      assertThat(field(body)).isEqualTo("targets[0].auth.header.X-Api-Key");
      assertThat(body.encode()).doesNotContain("X-Injected");
      JsonObject asText = with(base, j -> tgt(j).put("auth", tokenAuth.copy().put("header",
          new JsonObject().put("X-Api-Key", bad).encode())));
      assertThat(field(refused(asText))).isEqualTo("targets[0].auth.header.X-Api-Key");
      assertThat(field(refused(with(base, j -> tgt(j).put("auth", tokenAuth.copy().put("token", bad))))))
          .isEqualTo("targets[0].auth.token");
      assertThat(field(refused(with(base, j -> src(j).put("auth", tokenAuth.copy().put("token_type", "Bearer" + bad))))))
          .isEqualTo("source.auth.token_type");
    }
    assertThat(field(refused(with(base, j -> tgt(j).put("auth", tokenAuth.copy().put("header",
        new JsonObject().put("X-Bad: 1\r\nY", "v"))))))).isEqualTo("targets[0].auth.header");
  }

  @Test
  @DisplayName("refusals never repeat an endpoint or token URL: a password in it appears neither in the answer nor in the log")
  void credentialsNeverEchoed() {
    List<String> endpoints = List.of("http://user:PW-1@127.0.0.1:7150 x", "ftp://user:PW-2@127.0.0.1:7150",
        "http://user:PW-3@127.0.0.1:7150/v2", "http://user:PW-4@bad_host:7150/v2", "http://127.0.0.1:7150/v2?PW-5",
        "http://127.0.0.1:7150/v3/PW-6");
    List<String> tokenUrls = List.of("http://user:PW-7@127.0.0.1:1/token", "http://user:PW-8@127.0.0.1:1/to ken",
        "ftp://127.0.0.1:1/token?PW-9", "http://user:PW-10@bad_host:1/token", "PW-11");
    StringBuilder answers = new StringBuilder();
    try (TransferApiTest.LogCapture log = new TransferApiTest.LogCapture()) {
      for (String endpoint : endpoints) {
        JsonObject asSource = refused(with(job("team/app"), j -> src(j).put("endpoint", endpoint)));
        assertThat(field(asSource)).isEqualTo("source.endpoint");
        JsonObject asTarget = refused(with(job("team/app"), j -> tgt(j).put("endpoint", endpoint)));
        assertThat(field(asTarget)).isEqualTo("targets[0].endpoint");
        answers.append(asSource.encode()).append(asTarget.encode());
      }
      for (String url : tokenUrls) {
        JsonObject asTokenUrl = refused(with(job("team/app"), j -> tgt(j).put("auth", new JsonObject().put("url", url))));
        assertThat(field(asTokenUrl)).isEqualTo("targets[0].auth.url");
        answers.append(asTokenUrl.encode());
      }
      assertThat(answers).doesNotContain("PW-");
      assertThat(log.text()).doesNotContain("PW-");
    }
  }

  @Test
  @DisplayName("endpoints and token URLs the egress policy denies are a 400 naming the field; the denied host is never called")
  void egressPolicy() {
    String denied = "http://127.0.0.2:" + forbidden.getAddress().getPort();
    JsonObject base = job("team/app");
    JsonObject deniedSource = refused(with(base, j -> src(j).put("endpoint", denied + "/v2")));
    assertThat(field(deniedSource)).isEqualTo("source.endpoint");
    assertThat(deniedSource.getJsonObject("error").getString("code")).isEqualTo("egress_denied");
    assertThat(deniedSource.getString("msg")).contains("egress").contains("127.0.0.2").doesNotContain("parse");
    JsonObject third = with(base, j -> j.getJsonArray("targets").add(tgt(j).copy())
        .add(new JsonObject().put("endpoint", denied)));
    assertThat(field(refused(third))).as("named as sent, duplicates included").isEqualTo("targets[2].endpoint");
    assertThat(field(refused(with(base, j -> tgt(j).put("auth", new JsonObject().put("url", denied + "/token"))))))
        .isEqualTo("targets[0].auth.url");
    assertThat(field(refused(with(base, j -> src(j).put("auth", new JsonObject().put("url", denied + "/token")
        .put("token_type", "Bearer")))))).isEqualTo("source.auth.url");
    assertThat(FORBIDDEN_HITS.get()).isZero();
  }

  @Test
  @DisplayName("while a blob streams, bytes_done is saved every progressInterval (not only when a blob completes)")
  void progressWhileStreaming() {
    String repo = repo();
    TestImages.push(big, source, repo, "v1");
    JsonObject job = with(job(repo), j -> src(j).put("endpoint", "http://127.0.0.1:" + slowSource.port() + "/v2"));
    String id = jobs.submit(job);
    long layer = big.blobs().stream().mapToLong(TestImages.Blob::size).max().orElseThrow();
    Set<Long> midway = new TreeSet<>();
    JsonObject[] last = {null};
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).until(() -> {
      last[0] = jobs.status(id);
      long done = last[0].getJsonArray("targets").getJsonObject(0).getLong("bytes_done");
      if (done > 0 && done < layer) {
        midway.add(done);
      }
      return List.of("FINISHED", "FAILED").contains(last[0].getString("value"));
    });
    assertThat(last[0].getString("value")).as(last[0].encodePrettily()).isEqualTo("FINISHED");
    // 20 MiB at 8 MiB/s streams for about 2.5 s: a save every 100 ms shows many values on the way
    assertThat(midway).as("bytes_done values seen while the layer streamed").hasSizeGreaterThanOrEqualTo(5);
    assertThat(TestImages.headManifest(target.baseUrl(), repo, "v1", null)).contains(big.digest());
  }

  @Test
  @DisplayName("a job whose node was lost more than transfer.maxTakeovers times ends FAILED instead of being run again")
  void jobWhoseNodesKeepDyingEnds() throws Exception {
    String id = UUID.randomUUID().toString();
    String endpoint = target.baseUrl() + "/v2";
    JsonObject request = new JsonObject()
        .put("source", new JsonObject().put("endpoint", source.baseUrl() + "/v2").put("image", "team/app")
            .put("ref", "v1").put("verify_tls", true).put("auth", false))
        .put("targets", new JsonArray().add(new JsonObject().put("endpoint", endpoint).put("overwrite", true)
            .put("verify_tls", true).put("auth", false)));
    var db = server.database();
    try (var conn = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
         var st = conn.prepareStatement("INSERT INTO transfer_jobs (id, state, request, progress, attempts, max_attempts,"
             + " takeovers, created_at, next_attempt_at, lease_owner, lease_until) VALUES (?, 'RUNNING', ?, ?, 1, 3, 10,"
             + " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'a-node-that-died', CURRENT_TIMESTAMP)")) {
      st.setString(1, id);
      st.setString(2, request.encode());
      st.setString(3, Progress.start(List.of(endpoint)).toJson().encode());
      st.executeUpdate();
    }
    JsonObject done = jobs.awaitOver(id, Duration.ofSeconds(60));
    assertThat(done.getString("value")).as(done.encodePrettily()).isEqualTo("FAILED");
    assertThat(done.getInteger("takeovers")).isEqualTo(11);
    assertThat(done.getInteger("attempts")).isEqualTo(1);
    assertThat(done.getString("last_error")).contains("lost 11 times").contains("transfer.maxTakeovers");
  }

  @Test
  @DisplayName("a job an older version stored with a NUL in a header value ends FAILED after max_attempts, never beyond, never stuck RUNNING")
  void unrunnableStoredJobEnds() throws Exception {
    String repo = repo();
    TestImages.push(small, source, repo, "v1");
    String endpoint = target.baseUrl() + "/v2";
    JsonObject request = new JsonObject()
        .put("source", new JsonObject().put("endpoint", source.baseUrl() + "/v2").put("image", repo).put("ref", "v1")
            .put("verify_tls", true).put("auth", false))
        .put("targets", new JsonArray().add(new JsonObject().put("endpoint", endpoint).put("overwrite", true)
            .put("verify_tls", true).put("auth", true)))
        .put("issuer", null);
    JsonObject secrets = new JsonObject().putNull("source").put("targets", new JsonArray().add(new JsonObject()
        .put("url", "http://127.0.0.1:1/token").put("token_type", "Bearer")
        .put("header", new JsonObject().put("X-Api-Key", "k-\u0000-" + PASSWORD))));
    String id = UUID.randomUUID().toString();
    var db = server.database();
    try (var conn = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
         var st = conn.prepareStatement("INSERT INTO transfer_jobs (id, state, request, secrets, progress, max_attempts,"
             + " created_at, next_attempt_at) VALUES (?, 'QUEUED', ?, ?, ?, 2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")) {
      st.setString(1, id);
      st.setString(2, request.encode());
      st.setString(3, SecretBox.fromBase64(SECRET_KEY).seal(secrets));
      st.setString(4, Progress.start(List.of(endpoint)).toJson().encode());
      st.executeUpdate();
    }
    JsonObject done = jobs.awaitOver(id, Duration.ofSeconds(60));
    assertThat(done.getString("value")).as(done.encodePrettily()).isEqualTo("FAILED");
    assertThat(done.getInteger("attempts")).isEqualTo(2).isEqualTo(done.getInteger("max_attempts"));
    assertThat(done.getInteger("takeovers")).isZero();
    assertThat(done.getString("last_error")).contains("targets[0].auth.header.X-Api-Key").doesNotContain("\u0000")
        .doesNotContain(PASSWORD);
    assertThat(done.encode()).doesNotContain(PASSWORD);
  }
}
