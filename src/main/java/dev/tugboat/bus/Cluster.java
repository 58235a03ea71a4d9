package dev.tugboat.bus;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * This node and the cluster it is a member of. The node id names the node in lease owners, in
 * {@code /api/v1/cluster} and in the metrics' {@code node} label; it is new at every start, so a restarted node
 * never mistakes its predecessor's leases for its own. Each member publishes its id, HTTP address and start time
 * in the event bus's node information (Hazelcast's {@code __vertx.nodeInfo} map), which is how any node can list
 * them all. A node that is not clustered is a cluster of one.
 */
public final class Cluster {
  private final String node;
  private final Instant startedAt;
  private final HazelcastClusterManager manager;
  private volatile String http;
  private volatile boolean draining;

  /** One member: its node id, event-bus address (null when not clustered), HTTP base URL and start time. */
  public record Member(String node, String address, String http, Instant startedAt) {}

  /** @param manager the Hazelcast cluster manager the node's Vert.x joined with, or null when not clustered */
  public Cluster(String node, Instant startedAt, HazelcastClusterManager manager) {
    this.node = node;
    this.startedAt = startedAt;
    this.manager = manager;
  }

  /** A fresh node id: the host name (as far as it is a plain name) and 8 random hex digits, e.g. {@code web-1-3f9a0c2e}. */
  public static String newNodeId() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
      } catch (java.io.IOException | RuntimeException e) {
        host = "tugboat";
      }
    }
    host = host.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
    if (host.length() > 40) {
      host = host.substring(0, 40);
    }
    byte[] random = new byte[4];
    ThreadLocalRandom.current().nextBytes(random);
    return (host.isEmpty() ? "tugboat" : host) + "-" + HexFormat.of().formatHex(random);
  }

  /** The event bus's node metadata for a member that does not listen yet. */
  public static JsonObject metadata(String node, Instant startedAt, String http) {
    return new JsonObject().put("node", node).put("started_at", startedAt.toString()).put("http", http);
  }

  public String node() {
    return node;
  }

  public Instant startedAt() {
    return startedAt;
  }

  public boolean clustered() {
    return manager != null;
  }

  /**
   * Publishes this node's HTTP base URL once the API listens (the port may have been chosen at bind time). A
   * wildcard listener is announced on the event bus's address, which other members reach this node at.
   */
  public Future<Void> announce(boolean tls, String httpHost, int port) {
    String host = httpHost;
    if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::")) {
      host = manager != null ? manager.getNodeInfo().host() : "127.0.0.1";
    }
    this.http = (tls ? "https://" : "http://") + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    if (manager == null) {
      return Future.succeededFuture();
    }
    NodeInfo info = manager.getNodeInfo();
    Promise<Void> set = Promise.promise();
    manager.setNodeInfo(new NodeInfo(info.host(), info.port(), metadata(node, startedAt, http)), set);
    return set.future();
  }

  /** True while this node is a running member of its cluster (always when not clustered). */
  public boolean member() {
    if (manager == null) {
      return true;
    }
    try {
      return manager.isActive() && manager.getHazelcastInstance().getLifecycleService().isRunning()
          && manager.getNodes().contains(manager.getNodeId());
    } catch (RuntimeException notRunning) { // HazelcastInstanceNotActiveException while leaving
      return false;
    }
  }

  /** How many members the cluster has as this node sees it (1 when not clustered, 0 once it left). */
  public int size() {
    if (manager == null) {
      return 1;
    }
    try {
      return member() ? manager.getNodes().size() : 0;
    } catch (RuntimeException notRunning) {
      return 0;
    }
  }

  /** Every member as its node information says; a member that left while being read is left out. */
  public Future<List<Member>> members() {
    if (manager == null) {
      return Future.succeededFuture(List.of(new Member(node, null, http, startedAt)));
    }
    List<String> ids;
    try {
      ids = manager.getNodes();
    } catch (RuntimeException notRunning) { // leaving: no cluster to list
      return Future.succeededFuture(List.of());
    }
    List<Future<Member>> reads = new ArrayList<>();
    for (String id : ids) {
      Promise<NodeInfo> info = Promise.promise();
      manager.getNodeInfo(id, info);
      reads.add(info.future().map(Cluster::member).otherwise((Member) null));
    }
    return Future.join(reads).transform(ignored -> {
      List<Member> out = new ArrayList<>();
      reads.forEach(read -> {
        if (read.result() != null) {
          out.add(read.result());
        }
      });
      return Future.succeededFuture(List.copyOf(out));
    });
  }

  private static Member member(NodeInfo info) {
    JsonObject meta = info.metadata() == null ? new JsonObject() : info.metadata();
    String started = meta.getString("started_at");
    return new Member(meta.getString("node"), info.host() + ":" + info.port(), meta.getString("http"),
        started == null ? null : Instant.parse(started));
  }

  /** From now on readiness fails: the node is stopping and the load balancer should send no more requests. */
  public void drain() {
    draining = true;
  }

  public boolean draining() {
    return draining;
  }
}
