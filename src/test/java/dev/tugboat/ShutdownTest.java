package dev.tugboat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RawHttp;
import dev.tugboat.testing.ServerProcess;
import dev.tugboat.testing.TestDatabases;
import dev.tugboat.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SIGTERM of a real node process under load (issue 10, "Shutdown"): the listener stops, requests that arrived
 * before are answered (no 5xx: the pool stays open for their database work), what was acknowledged is stored,
 * and the process exits within {@code http.shutdownTimeout}; a stuck outbound request cannot hold it longer.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class ShutdownTest {
  private static final int WORKERS = 8;
  private static final int MAX_REQUESTS_PER_WORKER = 3000;
  private static final int REQUESTS_BEFORE_SIGTERM = 1000;
  /** A worker stops after this many refused connections in a row (the node is gone). */
  private static final int REFUSALS_TO_STOP = 20;
  /** Requests sent this shortly before SIGTERM may still sit unread in a socket when the listener closes. */
  private static final long RACE_WINDOW_MS = 250;

  @Parameter Vendor vendor;

  /** One request of the load: when it was sent, what it answered (0: no answer), what it wrote when 2xx. */
  record Sent(long sentNanos, String what, int status, String body, List<String> imageIds, List<String> eventIds) {}

  @Test
  @DisplayName("SIGTERM during mixed load: no 5xx, every acknowledged write stored, a slow PUT body finishes, exit within the timeout")
  void sigtermDuringMixedLoad() throws Exception {
    DbUrl db = TestDatabases.fresh(vendor);
    ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 1);
    try (ServerProcess node = ServerProcess.start("shutdown-" + vendor, Map.of("db.url", TestServer.urlOf(db),
        "http.instances", "2", "http.shutdownTimeout", "10s", "inventory.rescanInterval", "0"), List.of("-Xmx256m"),
        Duration.ofSeconds(90))) {
      int port = node.port();
      // a PUT whose head and half its body arrive before SIGTERM (before the load, so the server is seen holding
      // it: the metrics request itself and this one), the rest 1.5 s after SIGTERM
      String slowId = "slow-put-" + vendor;
      byte[] slowBody = ("{\"id\":\"" + slowId + "\",\"name\":\"example.org/load/slow\",\"tags\":[\"v1\"]}")
          .getBytes(StandardCharsets.UTF_8);
      Socket slow = new Socket();
      slow.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      slow.setSoTimeout(20_000);
      OutputStream slowOut = slow.getOutputStream();
      slowOut.write(("PUT /images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
          + slowBody.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      slowOut.write(slowBody, 0, slowBody.length / 2);
      slowOut.flush();
      await().atMost(Duration.ofSeconds(10)).until(() -> inFlightOnServer(port) >= 2);

      ConcurrentLinkedQueue<Sent> sent = new ConcurrentLinkedQueue<>();
      AtomicInteger answered = new AtomicInteger();
      long[] sigterm = {Long.MAX_VALUE};
      for (int w = 0; w < WORKERS; w++) {
        int worker = w;
        pool.execute(() -> load(port, worker, sent, answered));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> answered.get() >= REQUESTS_BEFORE_SIGTERM);

      sigterm[0] = System.nanoTime();
      ProcessHandle.of(node.pid()).orElseThrow().destroy(); // SIGTERM
      Thread.sleep(1500); // the scenario: the client is slow, the rest of its body comes 1.5 s after SIGTERM
      slowOut.write(slowBody, slowBody.length / 2, slowBody.length - slowBody.length / 2);
      slowOut.flush();
      String slowAnswer = new String(slow.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      slow.close();

      int exit = node.waitFor(Duration.ofSeconds(30));
      long exitMillis = (System.nanoTime() - sigterm[0]) / 1_000_000;
      pool.shutdown();
      assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

      List<Sent> before = sent.stream().filter(s -> s.sentNanos() < sigterm[0]).toList();
      List<Sent> settled = before.stream().filter(s -> sigterm[0] - s.sentNanos() > RACE_WINDOW_MS * 1_000_000).toList();
      List<Sent> after = sent.stream().filter(s -> s.sentNanos() >= sigterm[0]).toList();
      long fiveHundreds = sent.stream().filter(s -> s.status() >= 500).count();
      System.out.printf("[shutdown %s] %d requests (%d before SIGTERM, %d after), 5xx: %d, unanswered before SIGTERM: %d"
              + " (%d sent within %d ms of it), answered after SIGTERM: %d, exit %d after %d ms%n", vendor, sent.size(),
          before.size(), after.size(), fiveHundreds, before.stream().filter(s -> s.status() == 0).count(),
          before.stream().filter(s -> s.status() == 0 && !settled.contains(s)).count(), RACE_WINDOW_MS,
          after.stream().filter(s -> s.status() > 0).count(), exit, exitMillis);

      assertThat(sent.stream().filter(s -> s.status() >= 500).map(s -> s.what() + " → " + s.status() + " " + s.body()))
          .as("5xx answers").isEmpty();
      assertThat(settled.stream().filter(s -> s.status() == 0).map(Sent::what))
          .as("requests sent more than %d ms before SIGTERM without an answer", RACE_WINDOW_MS).isEmpty();
      assertThat(slowAnswer).as("the PUT whose body ended 1.5 s after SIGTERM").startsWith("HTTP/1.1 200");
      assertThat(exit).as("exit code after SIGTERM").isEqualTo(143);
      assertThat(exitMillis).as("exit within http.shutdownTimeout").isLessThan(10_000);
      assertThat(node.log()).contains("Tugboat stopped").doesNotContain("\tat ").doesNotContain("Pool closed");

      Set<String> images = ids(db, "SELECT id FROM allowlist_images");
      Set<String> events = ids(db, "SELECT id FROM inventory_inbox");
      List<String> lostImages = new ArrayList<>();
      List<String> lostEvents = new ArrayList<>();
      for (Sent s : sent) {
        if (s.status() >= 200 && s.status() < 300) {
          s.imageIds().stream().filter(id -> !images.contains(id)).forEach(lostImages::add);
          s.eventIds().stream().filter(id -> !events.contains(id)).forEach(lostEvents::add);
        }
      }
      assertThat(images).contains(slowId);
      assertThat(lostImages).as("acknowledged allow-list writes missing").isEmpty();
      assertThat(lostEvents).as("acknowledged webhook events missing").isEmpty();
    } finally {
      pool.shutdownNow();
      TestDatabases.drop(db);
    }
  }

  @Test
  @DisplayName("a request stuck on an outbound call that never answers: SIGTERM still exits within shutdownTimeout plus the close grace")
  void stuckOutboundRequest() throws Exception {
    DbUrl db = TestDatabases.fresh(vendor);
    ExecutorService pool = Executors.newCachedThreadPool();
    try (ServerSocket blackhole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
         ServerProcess node = ServerProcess.start("stuck-" + vendor, Map.of("db.url", TestServer.urlOf(db),
             "http.shutdownTimeout", "2s", "inventory.rescanInterval", "0", "egress.allow", "127.0.0.1"),
             List.of("-Xmx256m"), Duration.ofSeconds(90))) {
        List<Socket> held = new ArrayList<>();
        pool.execute(() -> { // accepts and never answers (nor closes)
          try {
            while (!blackhole.isClosed()) {
              Socket s = blackhole.accept();
              synchronized (held) {
                held.add(s);
              }
            }
          } catch (IOException closed) {
            // test over
          }
        });
        pool.execute(() -> {
          try {
            RawHttp.request(node.port(), "POST", "/v2/images/127.0.0.1:" + blackhole.getLocalPort() + "/stuck:1",
                null, null, 60_000);
          } catch (RuntimeException | AssertionError cut) {
            // the node goes away under it
          }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> {
          synchronized (held) {
            return !held.isEmpty();
          }
        });
        long start = System.nanoTime();
        int exit = node.stop(Duration.ofSeconds(30));
        long exitMillis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("[shutdown %s] stuck outbound request: exit %d after %d ms%n", vendor, exit, exitMillis);
        assertThat(exit).isEqualTo(143);
        assertThat(exitMillis).as("2 s shutdownTimeout + %s grace", Server.CLOSE_GRACE)
            .isLessThan(2_000 + Server.CLOSE_GRACE.toMillis() + 2_000);
        assertThat(node.log()).doesNotContain("\tat ")
            .contains("1 request(s) still unanswered after http.shutdownTimeout"); // what was cut off
        synchronized (held) {
          for (Socket s : held) {
            s.close();
          }
        }
    } finally {
      pool.shutdownNow();
      TestDatabases.drop(db);
    }
  }

  /** One worker's share of the load: a fixed mix, until the node is gone (bounded). */
  private static void load(int port, int worker, ConcurrentLinkedQueue<Sent> sent, AtomicInteger answered) {
    int refusals = 0;
    for (int i = 0; i < MAX_REQUESTS_PER_WORKER && refusals < REFUSALS_TO_STOP; i++) {
      String imageId = "load-" + worker + "-" + i;
      String name = "example.org/load/w" + worker;
      String method;
      String target;
      String body;
      List<String> images = List.of();
      List<String> events = List.of();
      switch (i % 5) {
        case 0 -> {
          method = "PUT";
          target = "/images";
          body = "{\"id\":\"" + imageId + "\",\"name\":\"" + name + "\",\"tags\":[\"v" + i + "\"]}";
          images = List.of(imageId);
        }
        case 1 -> {
          method = "GET";
          target = "/images/load-" + worker + "-" + (i - 1);
          body = null;
        }
        case 2 -> {
          method = "POST";
          target = "/imagepolicy";
          body = "{\"apiVersion\":\"imagepolicy.k8s.io/v1alpha1\",\"kind\":\"ImageReview\",\"spec\":{\"containers\":"
              + "[{\"image\":\"" + name + ":v" + (i - 2) + "\"}]}}";
        }
        case 3 -> {
          method = "POST";
          target = "/dockerRegistry/event";
          List<String> ids = new ArrayList<>();
          StringBuilder envelope = new StringBuilder("{\"events\":[");
          for (int e = 0; e < 3; e++) {
            String id = "ev-" + worker + "-" + i + "-" + e;
            ids.add(id);
            String digest = "sha256:" + String.format("%064x", (long) worker * 1_000_000 + i * 10L + e);
            envelope.append(e == 0 ? "" : ",").append("{\"id\":\"").append(id).append("\",\"action\":\"push\",")
                .append("\"target\":{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",")
                .append("\"digest\":\"").append(digest).append("\",\"size\":1024,\"repository\":\"load/w").append(worker)
                .append("\",\"url\":\"http://127.0.0.1:1/v2/load/w").append(worker).append("/blobs/").append(digest)
                .append("\"},\"request\":{\"host\":\"127.0.0.1:1\",\"method\":\"PUT\"}}");
          }
          body = envelope.append("]}").toString();
          events = ids;
        }
        default -> {
          method = "GET";
          target = "/images?name=" + name;
          body = null;
        }
      }
      long at = System.nanoTime();
      int status;
      String answer;
      try {
        RawHttp.Response response = RawHttp.request(port, method, target, body == null ? null : "application/json",
            body == null ? null : body.getBytes(StandardCharsets.UTF_8), 20_000);
        status = response.status();
        answer = response.body().length() > 300 ? response.body().substring(0, 300) : response.body();
      } catch (UncheckedIOException | AssertionError failed) { // refused or reset: no answer
        status = 0;
        answer = String.valueOf(failed.getMessage());
      }
      sent.add(new Sent(at, method + " " + target, status, answer, images, events));
      if (status > 0) {
        answered.incrementAndGet();
        refusals = 0;
      } else {
        refusals++;
      }
    }
  }

  /** The node's own count of requests between head and answer, read from its metrics. */
  private static int inFlightOnServer(int port) {
    RawHttp.Response metrics = RawHttp.request(port, "GET", "/metrics", null, null, 5000);
    return metrics.body().lines().filter(l -> l.startsWith("vertx_http_server_active_requests"))
        .mapToInt(l -> (int) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  private static Set<String> ids(DbUrl db, String sql) throws SQLException {
    Set<String> out = new HashSet<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
         ResultSet rows = c.createStatement().executeQuery(sql)) {
      while (rows.next()) {
        out.add(rows.getString(1));
      }
    }
    return out;
  }
}
