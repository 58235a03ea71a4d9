package dev.tugboat.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Database;
import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Migrations;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestDatabases;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The job store on PostgreSQL and MariaDB: outcomes always storable, attempts bounded, takeovers counted apart. */
@ParameterizedClass
@EnumSource(Vendor.class)
class TransferStoreTest {
  static final Duration MINUTE = Duration.ofMinutes(1);
  @Parameter Vendor vendor;
  static Vertx vertx;
  static DbUrl url;
  static TransferStore store;

  @BeforeParameterizedClassInvocation
  static void open(Vendor vendor) {
    vertx = Vertx.vertx();
    url = TestDatabases.fresh(vendor);
    Migrations.run(url);
    store = new TransferStore(Database.open(vertx, url, 4));
  }

  @AfterParameterizedClassInvocation
  static void close() {
    vertx.close().await();
    TestDatabases.drop(url);
  }

  static String insert(int maxAttempts) {
    String id = UUID.randomUUID().toString();
    store.insert(id, new JsonObject().put("source", new JsonObject()), null,
        Progress.start(List.of("http://127.0.0.1:1/v2")).toJson(), maxAttempts, Instant.now()).await();
    return id;
  }

  /** Claims the job {@code id} for {@code owner}, waiting for an expired lease if need be. */
  static TransferJob claim(String id, String owner, Duration ttl) {
    TransferJob[] claimed = {null};
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
      claimed[0] = store.claim(owner, ttl, 10).await().stream().filter(j -> j.id().equals(id)).findFirst().orElse(null);
      return claimed[0] != null;
    });
    return claimed[0];
  }

  @Test
  @DisplayName("an error text with NUL, controls, lone surrogates and 10,000 characters is stored sanitised and shortened")
  void unstorableErrorTextIsStoredSanitised() {
    String id = insert(1);
    TransferJob job = claim(id, "node-a", MINUTE);
    String hostile = "header a\u0000b \u0007 \uD800 \uDFFF ok \uD83D\uDE00 " + "\u00e9".repeat(10_000);
    Progress progress = Progress.fromJson(job.progress());
    progress.targets.get(0).state = Progress.State.FAILED;
    progress.targets.get(0).lastError = hostile;
    assertThat(store.finish(id, "node-a", "FAILED", hostile, progress.toJson()).await()).isTrue();

    TransferJob done = store.get(id).await().orElseThrow();
    assertThat(done.state()).isEqualTo("FAILED");
    for (String stored : List.of(done.lastError(), Progress.fromJson(done.progress()).targets.get(0).lastError)) {
      assertThat(stored).startsWith("header a\uFFFDb \uFFFD \uFFFD \uFFFD ok \uD83D\uDE00 \u00e9").endsWith("\u2026");
      assertThat(stored.codePointCount(0, stored.length())).isEqualTo(TransferStore.ERROR_MAX);
      assertThat(dev.tugboat.api.Text.problem(stored, TransferStore.ERROR_MAX)).isNull();
    }
    assertThat(TransferStore.storable("short \t\n\r")).isEqualTo("short \t\n\r");
    assertThat(TransferStore.storable("x".repeat(TransferStore.ERROR_MAX))).hasSize(TransferStore.ERROR_MAX)
        .doesNotContain("\u2026");
  }

  @Test
  @DisplayName("a claim after a retry is the next attempt (never beyond max_attempts); a claim of an expired lease is a takeover")
  void attemptsAndTakeovers() {
    String id = insert(2);
    TransferJob first = claim(id, "node-a", Duration.ofMillis(1));
    assertThat(first.attempts()).isEqualTo(1);
    assertThat(first.takeovers()).isZero();

    TransferJob takenOver = claim(id, "node-b", MINUTE); // node-a's lease ran out: it was lost
    assertThat(takenOver.state()).isEqualTo("RUNNING");
    assertThat(takenOver.attempts()).as("a lost node is not a failed attempt").isEqualTo(1);
    assertThat(takenOver.takeovers()).isEqualTo(1);
    assertThat(store.renew(id, "node-a", MINUTE).await()).as("the lost node's lease is gone").isFalse();
    assertThat(store.renew(id, "node-b", MINUTE).await()).as("the holder renews").isTrue();

    assertThat(store.retry(id, "node-b", "failed", takenOver.progress(), Duration.ZERO).await()).isTrue();
    TransferJob second = claim(id, "node-b", MINUTE);
    assertThat(second.attempts()).isEqualTo(2);
    assertThat(second.takeovers()).isEqualTo(1);

    // even a job put back once more than it should be never counts past its maximum
    assertThat(store.retry(id, "node-b", "failed", second.progress(), Duration.ZERO).await()).isTrue();
    TransferJob third = claim(id, "node-b", MINUTE);
    assertThat(third.attempts()).isEqualTo(2).isEqualTo(third.maxAttempts());
  }
}
