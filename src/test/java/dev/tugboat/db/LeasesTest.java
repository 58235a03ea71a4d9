package dev.tugboat.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.testing.TestDatabases;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** DESIGN rule 1's lease helper on PostgreSQL and MariaDB: no row claimed twice, expired leases taken over. */
@ParameterizedClass
@EnumSource(Vendor.class)
class LeasesTest {
  static final Duration MINUTE = Duration.ofMinutes(1);
  @Parameter Vendor vendor;
  static Vertx vertx;
  static DbUrl url;
  static Database db;
  static Leases leases;

  @BeforeParameterizedClassInvocation
  static void open(Vendor vendor) {
    vertx = Vertx.vertx();
    url = TestDatabases.fresh(vendor);
    Migrations.run(url);
    db = Database.open(vertx, url, 8);
    String ts = vendor == Vendor.POSTGRESQL ? "TIMESTAMPTZ" : "DATETIME(6)";
    db.pool().query("CREATE TABLE work_items (id VARCHAR(64) PRIMARY KEY, state VARCHAR(16) NOT NULL, seq INT NOT NULL,"
        + " lease_owner VARCHAR(128), lease_until " + ts + ")").execute().await();
    db.pool().query("CREATE INDEX work_items_ready ON work_items (state, seq)").execute().await();
    leases = new Leases(db, "work_items", "state = 'QUEUED'", "seq");
  }

  @AfterParameterizedClassInvocation
  static void close() {
    vertx.close().await();
    TestDatabases.drop(url);
  }

  @BeforeEach
  void rows() {
    db.pool().query("DELETE FROM work_items").execute().await();
    List<Tuple> rows = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      rows.add(Tuple.of("item-" + i, i % 4 == 3 ? "DONE" : "QUEUED", i));
    }
    db.pool().preparedQuery(vendor.sql("INSERT INTO work_items (id, state, seq) VALUES (?, ?, ?)")).executeBatch(rows).await();
  }

  @Test
  @DisplayName("concurrent claimers never get the same row; every ready row is claimed once, never a row that is not ready")
  void concurrentClaimsNeverOverlap() {
    List<Future<List<String>>> rounds = new ArrayList<>();
    for (int owner = 0; owner < 12; owner++) {
      rounds.add(leases.claim("node-" + owner, MINUTE, 2));
    }
    Future.all(rounds).await();
    List<String> claimed = new ArrayList<>();
    rounds.forEach(f -> claimed.addAll(f.result()));
    assertThat(claimed).isNotEmpty().doesNotHaveDuplicates();
    for (int i = 0; i < 30; i++) { // bounded: at most one row per claim remains to be taken
      List<String> more = leases.claim("sweeper", MINUTE, 1).await();
      if (more.isEmpty()) {
        break;
      }
      claimed.addAll(more);
    }
    assertThat(claimed).doesNotHaveDuplicates().hasSize(30)
        .allSatisfy(id -> assertThat(Integer.parseInt(id.substring(5)) % 4).isNotEqualTo(3));
    assertThat(leases.claim("late", MINUTE, 10).await()).isEmpty();
  }

  @Test
  @DisplayName("a live lease is not claimable; once expired another node takes it and the old owner cannot renew or release it (a late one nobody took it renews)")
  void expiredLeaseIsTakenOver() {
    List<String> first = leases.claim("crashed-node", Duration.ofSeconds(-1), 3).await(); // already run out
    assertThat(first).containsExactly("item-0", "item-1", "item-2");
    List<String> live = leases.claim("live-node", MINUTE, 1).await();
    assertThat(live).containsExactly("item-0"); // lowest seq first: the expired lease is claimable again

    assertThat(leases.claim("other", MINUTE, 1).await()).containsExactly("item-1");
    assertThat(leases.renew("item-0", "crashed-node", MINUTE).await()).isFalse();
    assertThat(leases.release("item-0", "crashed-node").await()).isFalse();
    assertThat(leases.renew("item-0", "live-node", MINUTE).await()).isTrue();
    // item-2 ran out too but nobody took it: still the late owner's, who renews it (and so keeps it from others)
    assertThat(leases.renew("item-2", "crashed-node", MINUTE).await()).isTrue();
    assertThat(leases.claim("other", MINUTE, 5).await()).doesNotContain("item-2");
  }

  @Test
  @DisplayName("a released row is claimable again at once")
  void releaseMakesClaimable() {
    assertThat(leases.claim("a", MINUTE, 1).await()).containsExactly("item-0");
    assertThat(leases.claim("b", MINUTE, 1).await()).containsExactly("item-1");
    assertThat(leases.release("item-0", "a").await()).isTrue();
    assertThat(leases.claim("b", MINUTE, 1).await()).containsExactly("item-0");
    Set<String> owners = new HashSet<>();
    db.pool().query("SELECT lease_owner FROM work_items WHERE lease_owner IS NOT NULL").execute().await()
        .forEach(row -> owners.add(row.getString(0)));
    assertThat(owners).containsExactly("b");
  }

  @Test
  @DisplayName("claimRows: the extra assignments apply with the lease, the claimed rows come back in claim order")
  void claimRowsAppliesAndReads() {
    List<io.vertx.sqlclient.Row> rows = leases.claimRows("worker", MINUTE, 3, "state = 'RUNNING', seq = seq + 100",
        "id, state, seq, lease_owner").await();
    assertThat(rows).extracting(r -> r.getString("id")).containsExactly("item-0", "item-1", "item-2");
    assertThat(rows).allSatisfy(r -> {
      assertThat(r.getString("state")).isEqualTo("RUNNING");
      assertThat(r.getString("lease_owner")).isEqualTo("worker");
    });
    assertThat(rows).extracting(r -> r.getInteger("seq")).containsExactly(100, 101, 102);
    // no longer ready (state changed with the claim): the next claim starts after them
    assertThat(leases.claimRows("other", Duration.ofSeconds(-1), 1, null, "id").await())
        .extracting(r -> r.getString("id")).containsExactly("item-4");
    assertThat(leases.claimRows("other", MINUTE, 5, null, "id").await()).extracting(r -> r.getString("id"))
        .containsExactly("item-4", "item-5", "item-6", "item-8", "item-9"); // item-4's lease had run out already
  }

  @Test
  @DisplayName("take: a named lock is free, expired, or re-taken by its holder; a live one held by another is refused")
  void takeNamedLock() {
    assertThat(leases.take("item-3", "a", MINUTE).await()).as("not ready (DONE) but takeable by name").isTrue();
    assertThat(leases.take("item-3", "b", MINUTE).await()).isFalse();
    assertThat(leases.take("item-3", "a", MINUTE).await()).as("its holder again").isTrue();
    assertThat(leases.release("item-3", "a").await()).isTrue();
    assertThat(leases.take("item-3", "b", Duration.ofSeconds(-1)).await()).isTrue();
    assertThat(leases.take("item-3", "c", MINUTE).await()).as("b's lease ran out").isTrue();
    assertThat(leases.take("no-such-row", "c", MINUTE).await()).isFalse();
  }
}
