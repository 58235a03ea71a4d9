package dev.tugboat.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The leases of a node, across every table whose rows nodes lease ({@link Leases}, owners named by
 * {@link Leases#owner}): counted per node for {@code /api/v1/cluster}, and given back when a node stops cleanly, so
 * another node takes its work over at once instead of after the leases' time to live.
 */
public final class NodeLeases {
  /**
   * A leased table: the name {@code /api/v1/cluster} reports it under (null: not reported), and a condition every
   * leased row meets, which lets the statements use the table's state index instead of scanning it.
   */
  record Table(String name, String reportedAs, String leasable) {}

  /** Every table with {@code lease_owner} and {@code lease_until} (NodeLeasesTest holds this to the schema). */
  static final List<Table> TABLES = List.of(
      new Table("transfer_jobs", "transfers", "state IN ('QUEUED', 'RUNNING')"),
      new Table("deployments", "deployments", "state IN ('PENDING', 'RUNNING')"),
      new Table("watch_repos", "watches", "1 = 1"),
      new Table("inventory_inbox", "inbox", "state = 'PENDING'"),
      new Table("deploy_locks", null, "1 = 1"),
      new Table("schedules", null, "1 = 1"));

  /** The names leases are reported under, in order. */
  public static final List<String> REPORTED = TABLES.stream().map(Table::reportedAs)
      .filter(Objects::nonNull).toList();

  private final Database db;

  public NodeLeases(Database db) {
    this.db = db;
  }

  /** Live leases per node id: {@code node → {transfers, deployments, watches, inbox}}; nodes holding none are absent. */
  public Future<Map<String, Map<String, Integer>>> count() {
    String now = db.vendor().now();
    String sql = TABLES.stream().filter(t -> t.reportedAs() != null)
        .map(t -> "SELECT '" + t.reportedAs() + "' AS kind, lease_owner, COUNT(*) AS n FROM " + t.name() + " WHERE "
            + t.leasable() + " AND lease_until >= " + now + " GROUP BY lease_owner")
        .collect(Collectors.joining(" UNION ALL "));
    return db.pool().query(sql).execute().map(rows -> {
      Map<String, Map<String, Integer>> out = new LinkedHashMap<>();
      for (Row row : rows) {
        Map<String, Integer> counts = out.computeIfAbsent(Leases.nodeOf(row.getString("lease_owner")), node -> zero());
        counts.merge(row.getString("kind"), row.getNumeric("n").intValue(), Integer::sum);
      }
      return out;
    });
  }

  /** Zero of each reported kind, in order. */
  public static Map<String, Integer> zero() {
    Map<String, Integer> counts = new LinkedHashMap<>();
    REPORTED.forEach(kind -> counts.put(kind, 0));
    return counts;
  }

  /** Frees every lease {@code node} holds (its work is claimable at once); answers how many rows were freed. */
  public Future<Integer> release(String node) {
    if (!node.matches("[a-z0-9-]+")) { // a node id (Cluster.newNodeId): no LIKE wildcards in it
      return Future.failedFuture(new IllegalArgumentException("node id " + node));
    }
    Future<Integer> freed = Future.succeededFuture(0);
    for (Table t : TABLES) {
      String update = "UPDATE " + t.name() + " SET lease_owner = NULL, lease_until = NULL WHERE " + t.leasable()
          + " AND lease_owner LIKE ?";
      freed = freed.compose(sum -> db.pool().preparedQuery(db.vendor().sql(update)).execute(Tuple.of(node + "/%"))
          .map(rows -> sum + rows.rowCount()));
    }
    return freed;
  }
}
