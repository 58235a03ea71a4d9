package dev.tugboat.testing;

import static org.awaitility.Awaitility.await;

import dev.tugboat.db.DbUrl;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A Tugboat cluster of separate OS processes ({@link ServerProcess}) on loopback, on one database, under a cluster
 * name of its own (so parallel test runs never join each other). Node {@code i} keeps its ports (HTTP, Hazelcast,
 * event bus) across restarts, so a load balancer in front of the nodes ({@link Haproxy}) needs no change.
 */
public final class ClusterNodes implements AutoCloseable {
  /** The JVM of each node: a small heap (blobs are streamed) and few GC threads (the machine has 2 cores). */
  static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseSerialGC");
  static final Duration STARTUP = Duration.ofSeconds(90);

  /** The ports of one node. */
  public record Slot(int http, int hazelcast, int eventBus) {}

  private final String name;
  private final Map<String, String> sets;
  private final List<Slot> slots;
  private final ServerProcess[] nodes;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private ClusterNodes(String name, Map<String, String> sets, List<Slot> slots) {
    this.name = name;
    this.sets = sets;
    this.slots = slots;
    this.nodes = new ServerProcess[slots.size()];
  }

  /**
   * Starts {@code count} nodes on {@code db} with {@code sets} (added to the cluster's own settings), the first one
   * alone (it forms the cluster), then the others at once, and waits until every node lists them all.
   */
  public static ClusterNodes start(DbUrl db, int count, Map<String, String> sets) {
    List<Slot> slots = new ArrayList<>();
    List<Integer> ports = freePorts(3 * count);
    for (int i = 0; i < count; i++) {
      slots.add(new Slot(ports.get(3 * i), ports.get(3 * i + 1), ports.get(3 * i + 2)));
    }
    Map<String, String> all = new LinkedHashMap<>();
    all.put("db.url", TestServer.urlOf(db));
    all.put("cluster.enabled", "true");
    all.put("cluster.name", "test-" + UUID.randomUUID().toString().substring(0, 8));
    all.put("cluster.host", "127.0.0.1");
    all.put("cluster.members", slots.stream().map(s -> "127.0.0.1:" + s.hazelcast()).collect(Collectors.joining(",")));
    all.put("transfer.secretKey", "");
    all.putAll(sets);
    ClusterNodes cluster = new ClusterNodes(all.get("cluster.name"), all, slots);
    try {
      cluster.startNode(0);
      CompletableFuture.allOf(IntStream.range(1, count)
          .mapToObj(i -> CompletableFuture.runAsync(() -> cluster.startNode(i))).toArray(CompletableFuture[]::new)).join();
      cluster.awaitMembers(count);
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private void startNode(int i) {
    Slot slot = slots.get(i);
    Map<String, String> own = new LinkedHashMap<>(sets);
    own.put("http.port", String.valueOf(slot.http()));
    own.put("cluster.port", String.valueOf(slot.hazelcast()));
    own.put("cluster.eventBusPort", String.valueOf(slot.eventBus()));
    nodes[i] = ServerProcess.start(name + "-node" + i, own, JVM, STARTUP);
  }

  /** Starts node {@code i} again on its ports (after {@link #kill} or {@link #stop}). */
  public void restart(int i) {
    if (nodes[i] != null && nodes[i].alive()) {
      throw new IllegalStateException("node " + i + " is running");
    }
    startNode(i);
  }

  /** kill -9 of node {@code i}. */
  public void kill(int i) {
    nodes[i].kill();
  }

  /** SIGTERM to node {@code i}; answers its exit code once it exited (-1 when it did not within a minute). */
  public int stop(int i) {
    return nodes[i].stop(Duration.ofSeconds(60));
  }

  public int size() {
    return slots.size();
  }

  public ServerProcess node(int i) {
    return nodes[i];
  }

  public boolean alive(int i) {
    return nodes[i] != null && nodes[i].alive();
  }

  public Slot slot(int i) {
    return slots.get(i);
  }

  public List<Integer> httpPorts() {
    return slots.stream().map(Slot::http).toList();
  }

  public URI uri(int i, String path) {
    return URI.create("http://127.0.0.1:" + slots.get(i).http() + path);
  }

  public HttpResponse<String> get(int i, String path) {
    return send(HttpRequest.newBuilder(uri(i, path)).GET());
  }

  public HttpResponse<String> send(int i, String method, String path, String body) {
    return send(HttpRequest.newBuilder(uri(i, path)).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code GET /api/v1/cluster} of node {@code i}. */
  public JsonObject view(int i) {
    HttpResponse<String> response = get(i, "/api/v1/cluster");
    if (response.statusCode() != 200) {
      throw new IllegalStateException("node " + i + ": /api/v1/cluster answered " + response.statusCode() + " "
          + response.body());
    }
    return new JsonObject(response.body());
  }

  /** This node's id as it reports it. */
  public String nodeId(int i) {
    return view(i).getString("node");
  }

  /** Waits until every running node lists {@code expected} members. */
  public void awaitMembers(int expected) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
      for (int i = 0; i < nodes.length; i++) {
        if (alive(i) && view(i).getJsonArray("members").size() != expected) {
          return false;
        }
      }
      return true;
    });
  }

  /** Every node's log, for a failure message. */
  public String logs() {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i] != null) {
        out.append("---- node ").append(i).append(" ----\n").append(nodes[i].log()).append('\n');
      }
    }
    return out.toString();
  }

  /** Kills what still runs (a test's end needs no graceful stop). */
  @Override
  public void close() {
    for (ServerProcess node : nodes) {
      if (node != null) {
        node.close();
      }
    }
  }

  /** Prints a measured figure and appends it to target/cluster-figures.txt (the report of a run's failover times). */
  public static void figure(String format, Object... args) {
    String line = java.time.Instant.now() + " " + String.format(format, args);
    System.out.println(line);
    try {
      java.nio.file.Files.writeString(java.nio.file.Path.of("target", "cluster-figures.txt"), line + "\n",
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code n} distinct free loopback ports (held open together while chosen, so none repeats). */
  public static List<Integer> freePorts(int n) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      }
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing
        }
      }
    }
  }
}
