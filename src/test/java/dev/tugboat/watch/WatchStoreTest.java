package dev.tugboat.watch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.Database;
import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Migrations;
import dev.tugboat.db.Vendor;
import dev.tugboat.deploy.Deployment;
import dev.tugboat.deploy.DeploymentStore;
import dev.tugboat.testing.TestDatabases;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** A batch of checks is recorded in one statement, and a batch asks once which deployments are under way. */
@ParameterizedClass
@EnumSource(Vendor.class)
class WatchStoreTest {
  static final String DIGEST = "sha256:" + "a".repeat(64);
  static final String OTHER = "sha256:" + "b".repeat(64);

  @Parameter Vendor vendor;
  Vertx vertx;
  DbUrl url;
  Database db;
  WatchStore store;

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    url = TestDatabases.fresh(vendor);
    Migrations.run(url);
    db = Database.open(vertx, url, 4);
    store = new WatchStore(db);
    store.syncConfigured(List.of(watch("a"), watch("b"), watch("c"))).await();
  }

  @AfterEach
  void close() {
    db.close().await();
    vertx.close().await();
    TestDatabases.drop(url);
  }

  static WatchDefinition watch(String name) {
    return new WatchDefinition(name, "registry.example.com", "team/" + name, "job-" + name, List.of("app"), "release", "");
  }

  @Test
  @DisplayName("every check of a batch is recorded by one statement: baselines set the deployed state, others keep it")
  void recordsABatch() {
    store.failed("a", "v1.0.0@" + OTHER, Duration.ofMinutes(5)).await();
    store.failed("b", "v1.0.0@" + OTHER, Duration.ofMinutes(5)).await();
    assertThat(store.claimDue("node-1", Duration.ofMinutes(2), 10).await()).hasSize(3);
    Running runs = new Running(Running.State.IMAGE, "registry.example.com/team/a:v1.0.1", "v1.0.1", null, "allocation",
        null);
    Running unreadable = Running.unreadable("connection refused");
    store.recordChecks("node-1", List.of(
        new WatchStore.Check("a", List.of("v1.0.0", "v1.0.1"), new Decision(Decision.Action.BASELINE, "v1.0.1", DIGEST,
            null, false, "baseline"), runs, null),
        new WatchStore.Check("b", List.of("v1.0.0"), new Decision(Decision.Action.NO_TAG, null, null, null, true,
            "no tag"), unreadable, "no tag matches policy release")), Duration.ofHours(1)).await();
    // a row whose lease another owner holds is not touched by this owner's records
    store.recordChecks("node-2", List.of(new WatchStore.Check("c", List.of("v9.9.9"), new Decision(
        Decision.Action.BASELINE, "v9.9.9", DIGEST, null, false, "baseline"), runs, null)), Duration.ofHours(1)).await();

    WatchedRepo a = store.get("a").await().orElseThrow();
    assertThat(a.seenTags()).containsExactly("v1.0.0", "v1.0.1");
    assertThat(List.of(a.seenTag(), a.seenDigest(), a.deployedTag(), a.deployedDigest()))
        .containsExactly("v1.0.1", DIGEST, "v1.0.1", DIGEST);
    assertThat(a.failures()).isZero();
    assertThat(a.failedTarget()).isNull();
    assertThat(a.retryAfter()).isNull();
    assertThat(a.checks()).isEqualTo(1);
    assertThat(a.checkedAt()).isNotNull();
    assertThat(a.running()).isEqualTo(runs);
    assertThat(a.drift()).isFalse();
    assertThat(a.lastError()).isNull();

    WatchedRepo b = store.get("b").await().orElseThrow();
    assertThat(b.seenTag()).isNull();
    assertThat(b.deployedTag()).isNull();
    assertThat(b.failures()).isEqualTo(1);
    assertThat(b.failedTarget()).isEqualTo("v1.0.0@" + OTHER);
    assertThat(b.retryAfter()).isAfter(Instant.now());
    assertThat(b.drift()).isTrue();
    assertThat(b.running()).isEqualTo(unreadable);
    assertThat(b.lastError()).isEqualTo("no tag matches policy release");
    assertThat(b.checks()).isEqualTo(1);

    WatchedRepo c = store.get("c").await().orElseThrow();
    assertThat(c.checks()).isZero();
    assertThat(c.deployedTag()).isNull();
    // a and b were given back until the next interval, c is still node-1's
    assertThat(store.claimDue("node-3", Duration.ofMinutes(2), 10).await()).isEmpty();
  }

  @Test
  @DisplayName("which repositories of a batch have a deployment queued or running, in one query")
  void deploymentsActiveInOneQuery() {
    DeploymentStore deployments = new DeploymentStore(db);
    assertThat(deployments.active(List.of("a", "b", "c")).await()).isEmpty();
    deployments.create(Deployment.request("d-1", "b", "job-b", List.of("app"), "registry.example.com/team/b:v1.0.1",
        null, null, "v1.0.1", DIGEST, "release", Instant.now(), "")).await();
    assertThat(deployments.active(List.of("a", "b", "c")).await()).containsExactly("b");
    assertThat(deployments.active("b").await()).isTrue();
    assertThat(deployments.active("a").await()).isFalse();
    assertThat(deployments.active(List.of()).await()).isEmpty();
  }
}
