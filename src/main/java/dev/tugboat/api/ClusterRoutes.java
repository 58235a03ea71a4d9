package dev.tugboat.api;

import dev.tugboat.bus.Cluster;
import dev.tugboat.db.NodeLeases;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/cluster}, on any node: this node's id and every member with the leases it holds (counted from
 * the rows in the database, so what each node really works on, whichever node answers).
 */
public final class ClusterRoutes {
  private final Cluster cluster;
  private final NodeLeases leases;

  public ClusterRoutes(Cluster cluster, NodeLeases leases) {
    this.cluster = cluster;
    this.leases = leases;
  }

  public void mount(Router router) {
    router.get("/api/v1/cluster").handler(ctx -> view().onSuccess(ctx::json).onFailure(ctx::fail));
  }

  Future<JsonObject> view() {
    return Future.all(cluster.members(), leases.count()).map(both -> {
      List<Cluster.Member> members = both.resultAt(0);
      Map<String, Map<String, Integer>> counts = both.resultAt(1);
      JsonArray out = new JsonArray();
      members.stream().sorted(Comparator.comparing(Cluster.Member::startedAt, Comparator.nullsLast(Comparator.naturalOrder()))
              .thenComparing(Cluster.Member::node, Comparator.nullsLast(Comparator.naturalOrder())))
          .forEach(m -> out.add(new JsonObject()
              .put("node", m.node())
              .put("address", m.address())
              .put("http", m.http())
              .put("started_at", m.startedAt() == null ? null : m.startedAt().toString())
              .put("leases", new JsonObject(new LinkedHashMap<String, Object>(
                  counts.getOrDefault(m.node(), NodeLeases.zero()))))));
      return new JsonObject().put("node", cluster.node()).put("members", out);
    });
  }
}
