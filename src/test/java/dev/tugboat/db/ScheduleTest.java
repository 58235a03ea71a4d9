package dev.tugboat.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.testing.TestDatabases;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** A scheduled job runs on one node per interval, on PostgreSQL and on MariaDB. */
@ParameterizedClass
@EnumSource(Vendor.class)
class ScheduleTest {
  @Parameter Vendor vendor;
  Vertx vertx;
  DbUrl url;
  Database db;

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    url = TestDatabases.fresh(vendor);
    Migrations.run(url);
    db = Database.open(vertx, url, 8);
  }

  @AfterEach
  void close() {
    db.close().await();
    vertx.close().await();
    TestDatabases.drop(url);
  }

  @Test
  @DisplayName("of many concurrent claimers one gets the job; after it is done nobody until the interval passed")
  void oneRunnerPerInterval() throws Exception {
    Schedule schedule = new Schedule(db, "test.job", Duration.ofMillis(1500));
    schedule.ensure().await();
    schedule.ensure().await(); // idempotent
    List<Future<Boolean>> claims = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      claims.add(schedule.claim("node-" + i, Duration.ofMinutes(1)));
    }
    Future.join(claims).await();
    assertThat(claims.stream().filter(Future::result).count()).isEqualTo(1);
    int winner = claims.indexOf(claims.stream().filter(Future::result).findFirst().orElseThrow());
    assertThat(schedule.renew("node-" + winner, Duration.ofMinutes(1)).await()).isTrue();
    assertThat(schedule.renew("node-" + (winner + 1) % 6, Duration.ofMinutes(1)).await()).isFalse();

    schedule.done("node-" + winner, "ok").await();
    assertThat(schedule.claim("node-9", Duration.ofMinutes(1)).await()).isFalse();
    Thread.sleep(1700);
    assertThat(schedule.claim("node-9", Duration.ofMinutes(1)).await()).isTrue();
  }

  @Test
  @DisplayName("a runner that dies mid-run loses the job to another node when its lease runs out")
  void expiredLeaseIsTakenOver() throws Exception {
    Schedule schedule = new Schedule(db, "test.crash", Duration.ofHours(1));
    schedule.ensure().await();
    assertThat(schedule.claim("crashing", Duration.ofMillis(300)).await()).isTrue();
    assertThat(schedule.claim("other", Duration.ofMinutes(1)).await()).isFalse();
    Thread.sleep(500);
    assertThat(schedule.claim("other", Duration.ofMinutes(1)).await()).isTrue();
  }
}
