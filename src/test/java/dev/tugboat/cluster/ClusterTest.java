package dev.tugboat.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.Repository;
import dev.tugboat.testing.ClusterNodes;
import dev.tugboat.testing.GeneratedImage;
import dev.tugboat.testing.Haproxy;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TcpProxy;
import dev.tugboat.testing.TestDatabases;
import dev.tugboat.testing.TestImages;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three Tugboat processes clustered on loopback, one PostgreSQL database, haproxy in front: what the clustered
 * event bus and the load balancer add (membership, cross-node wake-ups, progress and cancel; a rolling restart
 * nobody notices). Work that must survive a node is in the database: see {@link ClusterFailoverTest}, both vendors.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {
  static DbUrl db;
  static ClusterNodes nodes;
  static Haproxy haproxy;
  /** HTTP/1.1 as kube-apiserver and CI clients speak it (an h2c upgrade would pin a connection to one node). */
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() {
    db = TestDatabases.fresh(Vendor.POSTGRESQL);
    nodes = ClusterNodes.start(db, 3, Map.of(
        "cluster.drainDelay", "3s",   // haproxy checks every 500 ms (2 s timeout) and needs 2 failures
        "transfer.progressInterval", "100ms",
        "transfer.parallelBlobs", "1"));
    haproxy = Haproxy.start(nodes.httpPorts());
    for (int i = 0; i < 3; i++) {
      haproxy.awaitUp(i, true);
    }
  }

  @AfterAll
  static void stop() {
    if (haproxy != null) {
      haproxy.close();
    }
    if (nodes != null) {
      nodes.close();
    }
    TestDatabases.drop(db);
  }

  @Test
  @Order(1)
  @DisplayName("membership: every node lists the 3 members (id, event-bus address, HTTP address, start), is ready as a member and counts them in /metrics")
  void membership() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      ids.add(nodes.nodeId(i));
    }
    assertThat(ids).hasSize(3);
    for (int i = 0; i < 3; i++) {
      JsonObject view = nodes.view(i);
      JsonArray members = view.getJsonArray("members");
      assertThat(members.stream().map(m -> ((JsonObject) m).getString("node"))).containsExactlyInAnyOrderElementsOf(ids);
      JsonObject self = members.stream().map(JsonObject.class::cast)
          .filter(m -> m.getString("node").equals(view.getString("node"))).findFirst().orElseThrow();
      assertThat(self.getString("http")).isEqualTo("http://127.0.0.1:" + nodes.slot(i).http());
      assertThat(self.getString("address")).isEqualTo("127.0.0.1:" + nodes.slot(i).eventBus());
      assertThat(Instant.parse(self.getString("started_at"))).isBefore(Instant.now());
      assertThat(self.getJsonObject("leases").fieldNames()).containsExactly("transfers", "deployments", "watches", "inbox");
      JsonObject ready = new JsonObject(nodes.get(i, "/health/ready").body());
      assertThat(ready.getString("status")).isEqualTo("UP");
      assertThat(check(ready, "cluster").getJsonObject("data").getInteger("members")).isEqualTo(3);
      assertThat(nodes.get(i, "/metrics").body()).contains("tugboat_cluster_members{node=\"" + view.getString("node")
          + "\"} 3.0");
    }
    // every member's announced HTTP address answers as that node
    for (Object m : nodes.view(0).getJsonArray("members")) {
      JsonObject member = (JsonObject) m;
      JsonObject there = new JsonObject(get(member.getString("http") + "/api/v1/cluster").body());
      assertThat(there.getString("node")).isEqualTo(member.getString("node"));
    }
  }

  @Test
  @Order(2)
  @DisplayName("a transfer submitted to node A starts within 1 s on some node; B's event stream shows its progress as it is saved; DELETE via C cancels it")
  void transferAcrossNodes() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (RegistryFixture source = RegistryFixture.start(); RegistryFixture target = RegistryFixture.start();
         TcpProxy slowSource = TcpProxy.start("127.0.0.1", source.port()).throttle(8L * 1024 * 1024)) {
      // 40 layers of 1 MiB through an 8 MiB/s link: about 8 blobs done (and progress saved) per second for 5 s
      RegistryClient client = new RegistryClient(vertx, List.<RegistrySettings>of(), new SimpleMeterRegistry(), dev.tugboat.registry.EgressPolicy.OPEN);
      long layer = 1024 * 1024;
      int layers = 40;
      GeneratedImage.push(vertx, client, new Repository(source.host(), "slow/app"), "v1",
          java.util.Collections.nCopies(layers, layer), 301);
      TestImages.pushSmallImage(source, "warm/up", List.of("v1"), 302);
      client.close().await();
      // a first, small job warms every node's claim path (the cold JVM is not what this measures)
      String warmUp = submit(0, new JsonObject()
          .put("source", new JsonObject().put("endpoint", source.baseUrl()).put("image", "warm/up").put("ref", "v1"))
          .put("targets", new JsonArray().add(new JsonObject().put("endpoint", target.baseUrl()))));
      await().atMost(Duration.ofSeconds(60)).until(() -> status(1, warmUp).getString("value").equals("FINISHED"));
      JsonObject job = new JsonObject()
          .put("source", new JsonObject().put("endpoint", "http://127.0.0.1:" + slowSource.port()).put("image", "slow/app")
              .put("ref", "v1"))
          .put("targets", new JsonArray().add(new JsonObject().put("endpoint", target.baseUrl())));

      String id = submit(0, job);
      long acknowledged = System.nanoTime();
      String[] holder = {null};
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> {
        holder[0] = status(0, id).getString("node");
        return holder[0] != null;
      });
      Duration startedAfter = Duration.ofNanos(System.nanoTime() - acknowledged);
      ClusterNodes.figure("transfer %s started on %s %d ms after submit", id, holder[0], startedAfter.toMillis());
      assertThat(startedAfter).as("from 201 to a node holding the job's lease").isLessThan(Duration.ofSeconds(1));

      List<Integer> others = IntStream.range(0, 3).filter(i -> !nodes.nodeId(i).equals(holder[0])).boxed().toList();
      assertThat(others).hasSize(2);
      int b = others.get(0);
      int c = others.get(1);
      // the same job's event stream on the node running it (woken by its own bus) and on B (woken over the
      // cluster's bus; without it, B would only re-read the job once a second): B sees each state about as soon
      int h = IntStream.range(0, 3).filter(i -> nodes.nodeId(i).equals(holder[0])).findFirst().orElseThrow();
      EventStream onHolder = EventStream.open(nodes.uri(h, "/api/distribute/image/" + id + "/events"));
      EventStream onB = EventStream.open(nodes.uri(b, "/api/distribute/image/" + id + "/events"));
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> onHolder.states().size() >= 8 && onB.states().size() >= 8);
        Map<Long, Long> there = onHolder.states();
        Map<Long, Long> here = onB.states();
        List<Long> lags = new ArrayList<>();
        there.forEach((bytes, at) -> {
          if (here.containsKey(bytes) && bytes > 0) {
            lags.add((here.get(bytes) - at) / 1_000_000);
          }
        });
        java.util.Collections.sort(lags);
        long median = lags.isEmpty() ? Long.MAX_VALUE : lags.get(lags.size() / 2);
        ClusterNodes.figure("transfer progress: node %d (not running the job) saw %d of the %d states the job's node "
            + "showed, median %d ms after it", b, lags.size(), there.size() - (there.containsKey(0L) ? 1 : 0), median);
        assertThat(lags.size()).as("states B saw of those the job's node saw").isGreaterThanOrEqualTo((there.size() - 1) * 3 / 4);
        assertThat(median).as("median ms from the job's node to B").isLessThan(300);
        assertThat(onB.events()).allSatisfy(e -> assertThat(e.getString("node")).isIn(holder[0], null));

        HttpResponse<String> cancelled = nodes.send(c, "DELETE", "/api/distribute/image/" + id, null);
        long cancelAt = System.nanoTime();
        assertThat(cancelled.statusCode()).as(cancelled.body()).isBetween(200, 299);
        assertThat(onB.end(Duration.ofSeconds(20))).isEqualTo("FAILED");
        ClusterNodes.figure("cancel via node %d ended the event stream on node %d after %d ms", c, b,
            (System.nanoTime() - cancelAt) / 1_000_000);
      } finally {
        onHolder.close();
        onB.close();
      }
      JsonObject done = status(b, id);
      assertThat(done.getString("value")).isEqualTo("FAILED");
      assertThat(done.getBoolean("cancelled")).isTrue();
      assertThat(done.getString("node")).as("nobody holds a finished job").isNull();
      assertThat(done.getJsonArray("targets").getJsonObject(0).getLong("bytes_done")).isLessThan(layers * layer);
      assertThat(TestImages.headManifest(target.baseUrl(), "slow/app", "v1", null)).isEmpty();
    } finally {
      vertx.close().await();
    }
  }

  @Test
  @Order(3)
  @DisplayName("rolling restart (SIGTERM one node, start it again, the next) through haproxy under continuous allow-list and admission traffic: 0 failed requests; each stopped node leaves the cluster, each started one joins it")
  void rollingRestart() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    List<String> failures = new CopyOnWriteArrayList<>();
    int clients = 4;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < clients; t++) {
      int client = t;
      workers.add(pool.submit(() -> traffic(client, running, ok, failures)));
    }
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() >= 50);
      for (int i = 0; i < 3; i++) {
        String before = nodes.nodeId(i);
        int atStop = ok.get();
        assertThat(nodes.stop(i)).as("node " + i + " exit code after SIGTERM").isEqualTo(143);
        assertThat(nodes.node(i).log()).contains("node " + before + " stopped");
        assertThat(haproxy.states().get("node" + i)).as("haproxy stopped sending to node " + i).startsWith("DOWN");
        nodes.awaitMembers(2); // it left
        for (int j = 0; j < 3; j++) {
          if (j != i) {
            assertThat(members(j)).doesNotContain(before);
          }
        }
        nodes.restart(i);
        haproxy.awaitUp(i, true);
        nodes.awaitMembers(3); // a node started later joins, as a new node
        String joined = nodes.nodeId(i);
        assertThat(joined).isNotEqualTo(before);
        for (int j = 0; j < 3; j++) {
          assertThat(members(j)).contains(joined);
        }
        int served = ok.get();
        await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() >= served + 50);
        ClusterNodes.figure("rolling restart: node %d restarted; %d requests answered meanwhile", i, ok.get() - atStop);
      }
    } finally {
      running.set(false);
      for (Future<?> worker : workers) {
        worker.get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
      pool.shutdownNow();
    }
    ClusterNodes.figure("rolling restart: %d requests answered, %d failed", ok.get(), failures.size());
    assertThat(failures).as("failed requests (of " + ok.get() + ")").isEmpty();
    assertThat(ok.get()).isGreaterThan(300);
  }

  /** One client: allow-list write, read back, admission review of that image, until stopped. */
  private static void traffic(int client, AtomicBoolean running, AtomicInteger ok, List<String> failures) {
    for (int n = 0; running.get() && n < 1_000_000; n++) {
      String name = "registry.example/team/app-" + client;
      String tag = "v" + n;
      String id = name + "@sha256:" + String.format("%064x", (long) client << 32 | n);
      exchange("PUT", "/images", new JsonObject().put("id", id).put("name", name).put("tags", new JsonArray().add(tag))
          .encode(), 200, ok, failures);
      exchange("GET", "/images/" + id, null, 200, ok, failures);
      HttpResponse<String> review = exchange("POST", "/imagepolicy", new JsonObject().put("kind", "ImageReview")
          .put("spec", new JsonObject().put("containers", new JsonArray().add(new JsonObject()
              .put("image", name + ":" + tag)))).encode(), 200, ok, failures);
      if (review != null && !review.body().contains("\"allowed\":true")) {
        failures.add("admission of " + name + ":" + tag + " not allowed: " + review.body());
      }
    }
  }

  private static HttpResponse<String> exchange(String method, String path, String body, int expected, AtomicInteger ok,
                                               List<String> failures) {
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(haproxy.uri(path))
          .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != expected) {
        failures.add(method + " " + path + " -> " + response.statusCode() + " " + response.body());
        return null;
      }
      ok.incrementAndGet();
      return response;
    } catch (Exception e) {
      failures.add(method + " " + path + " -> " + e);
      return null;
    }
  }

  /** A transfer's Server-Sent Events, read on a thread of its own: each state (bytes done) and when it first came. */
  static final class EventStream implements AutoCloseable {
    private final ExecutorService reader = Executors.newSingleThreadExecutor();
    private final List<JsonObject> events = new CopyOnWriteArrayList<>();
    private final Map<Long, Long> states = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.CompletableFuture<String> end = new java.util.concurrent.CompletableFuture<>();
    private InputStream body;

    static EventStream open(java.net.URI uri) throws Exception {
      HttpResponse<InputStream> stream = HTTP.send(HttpRequest.newBuilder(uri).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertThat(stream.statusCode()).isEqualTo(200);
      EventStream events = new EventStream();
      events.body = stream.body();
      events.reader.execute(() -> events.read(events.body));
      return events;
    }

    private void read(InputStream body) {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        String event = null;
        for (String line; (line = in.readLine()) != null; ) {
          if (line.startsWith("event: ")) {
            event = line.substring(7);
          } else if (line.startsWith("data: ") && "progress".equals(event)) {
            JsonObject status = new JsonObject(line.substring(6));
            events.add(status);
            states.putIfAbsent(status.getJsonArray("targets").getJsonObject(0).getLong("bytes_done"), System.nanoTime());
          } else if (line.startsWith("data: ") && "end".equals(event)) {
            end.complete(line.substring(6));
            return;
          }
        }
        end.completeExceptionally(new IllegalStateException("stream closed without an end event"));
      } catch (java.io.IOException e) {
        end.completeExceptionally(e);
      }
    }

    List<JsonObject> events() {
      return events;
    }

    /** bytes done → System.nanoTime() of the first event showing it. */
    Map<Long, Long> states() {
      return new java.util.TreeMap<>(states);
    }

    String end(Duration within) throws Exception {
      return end.get(within.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
      try {
        body.close(); // a blocked read does not answer to interrupts
      } catch (java.io.IOException ignored) {
        // closed already
      }
      reader.shutdownNow();
    }
  }

  private static String submit(int node, JsonObject job) {
    HttpResponse<String> created = nodes.send(node, "POST", "/api/distribute/image", job.encode());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return new JsonObject(created.body()).getString("id");
  }

  private static JsonObject status(int node, String id) {
    return new JsonObject(nodes.get(node, "/api/distribute/image/" + id).body());
  }

  private static List<String> members(int node) {
    return nodes.view(node).getJsonArray("members").stream().map(m -> ((JsonObject) m).getString("node")).toList();
  }

  private static JsonObject check(JsonObject ready, String id) {
    return ready.getJsonArray("checks").stream().map(JsonObject.class::cast).filter(c -> c.getString("id").equals(id))
        .findFirst().orElseThrow();
  }

  private static HttpResponse<String> get(String url) {
    try {
      return HTTP.send(HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(url, e);
    }
  }
}
