package dev.tugboat.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.testing.TestDatabases;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** A node's leases across the real schema: every leased table known, counted per node, given back by node. */
@ParameterizedClass
@EnumSource(Vendor.class)
class NodeLeasesTest {
  static final Duration MINUTE = Duration.ofMinutes(1);
  @Parameter Vendor vendor;
  static Vertx vertx;
  static DbUrl url;
  static Database db;

  @BeforeParameterizedClassInvocation
  static void open(Vendor vendor) {
    vertx = Vertx.vertx();
    url = TestDatabases.fresh(vendor);
    Migrations.run(url);
    db = Database.open(vertx, url, 4);
  }

  @AfterParameterizedClassInvocation
  static void close() {
    vertx.close().await();
    TestDatabases.drop(url);
  }

  @BeforeEach
  void rows() {
    db.pool().query("DELETE FROM inventory_inbox").execute().await();
    db.pool().query("DELETE FROM transfer_jobs").execute().await();
    String now = vendor.now();
    for (int i = 0; i < 4; i++) {
      db.pool().preparedQuery(vendor.sql("INSERT INTO inventory_inbox (id, event, received_at, state, next_attempt_at)"
          + " VALUES (?, '{}', " + now + ", 'PENDING', " + now + ")")).execute(Tuple.of("event-" + i)).await();
    }
    for (int i = 0; i < 2; i++) {
      db.pool().preparedQuery(vendor.sql("INSERT INTO transfer_jobs (id, state, request, progress, max_attempts,"
          + " created_at, next_attempt_at) VALUES (?, 'QUEUED', '{}', '{}', 3, " + now + ", " + now + ")"))
          .execute(Tuple.of("job-" + i)).await();
    }
  }

  @Test
  @DisplayName("every table with lease_owner and lease_until is one NodeLeases knows")
  void everyLeasedTable() {
    String schema = vendor == Vendor.POSTGRESQL ? "current_schema()" : "DATABASE()";
    Set<String> leased = new HashSet<>();
    for (Row row : db.pool().query("SELECT table_name FROM information_schema.columns WHERE table_schema = " + schema
        + " AND column_name = 'lease_owner'").execute().await()) {
      leased.add(row.getString(0).toLowerCase(java.util.Locale.ROOT));
    }
    assertThat(leased).containsExactlyInAnyOrderElementsOf(NodeLeases.TABLES.stream().map(NodeLeases.Table::name).toList());
    assertThat(NodeLeases.REPORTED).containsExactly("transfers", "deployments", "watches", "inbox");
  }

  @Test
  @DisplayName("live leases are counted per node (expired ones are not); release(node) frees that node's rows only")
  void countAndRelease() {
    Leases inbox = new Leases(db, "inventory_inbox", "state = 'PENDING'", "id");
    Leases jobs = new Leases(db, "transfer_jobs", "state IN ('QUEUED', 'RUNNING')", "id");
    String a = "web-1-0000000a";
    String b = "web-2-0000000b";
    assertThat(inbox.claim(Leases.owner(a, "ingestion"), MINUTE, 2).await()).hasSize(2);
    assertThat(inbox.claim(Leases.owner(b, "ingestion"), MINUTE, 1).await()).hasSize(1);
    assertThat(inbox.claim(Leases.owner(b, "ingestion"), Duration.ofMillis(1), 1).await()).hasSize(1); // expires at once
    assertThat(jobs.claim(Leases.owner(a, "transfer"), MINUTE, 1).await()).hasSize(1);
    String lockOwner = Leases.owner(a, "deployer") + "/deployment-1"; // a deploy lock owner, with a further '/'
    assertThat(jobs.claim(lockOwner, MINUTE, 1).await()).hasSize(1);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> db.pool().query(
        "SELECT COUNT(*) FROM inventory_inbox WHERE lease_until < " + vendor.now()).execute().await().iterator().next()
        .getInteger(0) == 1);

    NodeLeases leases = new NodeLeases(db);
    Map<String, Map<String, Integer>> counts = leases.count().await();
    assertThat(counts).containsOnlyKeys(a, b);
    assertThat(counts.get(a)).containsExactly(Map.entry("transfers", 2), Map.entry("deployments", 0),
        Map.entry("watches", 0), Map.entry("inbox", 2));
    assertThat(counts.get(b)).containsEntry("inbox", 1).containsEntry("transfers", 0);

    assertThat(leases.release(a).await()).isEqualTo(4);
    assertThat(leases.count().await()).containsOnlyKeys(b);
    assertThat(db.pool().query("SELECT COUNT(*) FROM inventory_inbox WHERE lease_owner IS NULL").execute().await()
        .iterator().next().getInteger(0)).as("a's two events freed; b's expired lease is still b's").isEqualTo(2);
    assertThat(db.pool().query("SELECT COUNT(*) FROM transfer_jobs WHERE lease_owner IS NULL").execute().await()
        .iterator().next().getInteger(0)).isEqualTo(2);
    assertThat(inbox.claim(Leases.owner(b, "ingestion"), MINUTE, 10).await()).as("a's events claimable at once")
        .hasSize(3);
  }

  @Test
  @DisplayName("a node id that is not one (LIKE wildcards, slashes) releases nothing")
  void refusesPatterns() {
    new Leases(db, "inventory_inbox", "state = 'PENDING'", "id").claim(Leases.owner("web-1-0000000a", "ingestion"),
        MINUTE, 4).await();
    NodeLeases leases = new NodeLeases(db);
    for (String bad : new String[] {"%", "web-%", "web_1", "a/b", ""}) {
      assertThat(leases.release(bad).failed()).as(bad).isTrue();
    }
    assertThat(leases.count().await().get("web-1-0000000a")).containsEntry("inbox", 4);
  }
}
