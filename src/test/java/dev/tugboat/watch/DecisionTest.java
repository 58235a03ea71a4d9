package dev.tugboat.watch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.deploy.Deployer;
import dev.tugboat.watch.Decision.Action;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DecisionTest {
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  static final String A = "sha256:" + "a".repeat(64);
  static final String B = "sha256:" + "b".repeat(64);

  static WatchedRepo repo(boolean auto, String deployedTag, String deployedDigest, String failedTarget, Instant retryAfter) {
    return new WatchedRepo("app", "r.example", "team/app", "app", List.of("app"), "release", "api", "", auto, List.of(),
        null, null, deployedTag, deployedDigest, failedTarget == null ? 0 : 1, failedTarget, retryAfter, 0, null, null, "",
        null, false);
  }

  static WatchedRepo repo(boolean auto, String deployedTag, String deployedDigest) {
    return repo(auto, deployedTag, deployedDigest, null, null);
  }

  /** Nomad's answer: the mapped task's image in the newest running allocation (and the same in the job). */
  static Running allocation(String image) {
    return Running.of(repo(true, null, null), new Deployer.Current(null, List.of(image), List.of(image)));
  }

  /** Nomad's answer when no allocation runs: the job's registered image only. */
  static Running jobOnly(String image) {
    return Running.of(repo(true, null, null), new Deployer.Current(null, List.of(image), List.of()));
  }

  static Decision decide(WatchedRepo repo, String tag, String digest, Running running) {
    return Decision.decide(repo, tag, digest, running, false, NOW);
  }

  @Test
  @DisplayName("Nomad's answer read for the watch: tag and pinned digest of its own repository; another image, mixed tasks and missing tasks are told apart")
  void running() {
    Running pinned = allocation("r.example/team/app:v1.0.0@" + A);
    assertThat(pinned.tag()).isEqualTo("v1.0.0");
    assertThat(pinned.digest()).isEqualTo(A);
    assertThat(pinned.source()).isEqualTo("allocation");
    assertThat(allocation("r.example/team/app:v1.0.0").digest()).as("Nomad reports no digest for a plain tag").isNull();
    assertThat(allocation("busybox:1").tag()).isNull();
    assertThat(allocation("busybox:1").note()).contains("another repository");
    assertThat(jobOnly("r.example/team/app:v1.0.0").source()).isEqualTo("job");
    Running mixed = Running.of(repo(true, null, null), new Deployer.Current(null, List.of(),
        List.of("r.example/team/app:v1", "r.example/team/app:v2")));
    assertThat(mixed.tag()).isNull();
    assertThat(mixed.note()).contains("different images");
    Running none = Running.of(repo(true, null, null), Deployer.Current.missing("no task named [api] in Nomad job app"));
    assertThat(none.state()).isEqualTo(Running.State.NONE);
    assertThat(none.known()).isTrue();
    assertThat(Running.fromJson(pinned.toJson())).isEqualTo(pinned);
    assertThat(Running.storable("a\u0000b" + "x".repeat(2000))).startsWith("a?b").hasSize(WatchStore.RUNNING_IMAGE_MAX);
  }

  @Test
  @DisplayName("first check: Nomad running the desired tag is taken as deployed; Nomad behind the registry, another image or no mapped task deploys")
  void firstCheckFromWhatRuns() {
    WatchedRepo fresh = repo(true, null, null);
    assertThat(decide(fresh, "v1.2.0", B, allocation("r.example/team/app:v1.2.0")).action()).isEqualTo(Action.BASELINE);
    assertThat(decide(fresh, "v1.2.0", B, allocation("r.example/team/app:v1.2.0@" + B)).action()).isEqualTo(Action.BASELINE);
    Decision behind = decide(fresh, "v1.2.0", B, allocation("r.example/team/app:v1.0.0"));
    assertThat(behind.action()).isEqualTo(Action.DEPLOY);
    assertThat(behind.reason()).isEqualTo("release");
    assertThat(behind.why()).contains("Nomad runs r.example/team/app:v1.0.0");
    assertThat(decide(fresh, "v1.2.0", B, allocation("r.example/team/app:v1.2.0@" + A)).reason()).isEqualTo("digest");
    assertThat(decide(fresh, "v1.2.0", B, allocation("busybox:1")).action()).isEqualTo(Action.DEPLOY);
    assertThat(decide(fresh, "v1.2.0", B, Running.of(fresh, Deployer.Current.missing("no task named [api]"))).action())
        .isEqualTo(Action.DEPLOY);
    assertThat(decide(repo(false, null, null), "v1.2.0", B, allocation("r.example/team/app:v1.0.0")).action())
        .isEqualTo(Action.AUTO_DEPLOY_OFF);
    assertThat(Decision.decide(fresh, "v1.2.0", B, allocation("r.example/team/app:v1.0.0"), true, NOW).action())
        .isEqualTo(Action.DEPLOYING);
  }

  @Test
  @DisplayName("first check without Nomad: a dry run takes the registry's state (registrywatcher's guess); an unreadable Nomad waits")
  void firstCheckWithoutNomad() {
    assertThat(decide(repo(true, null, null), "v1.0.0", A, Running.notRead()).action()).isEqualTo(Action.BASELINE);
    Decision waiting = decide(repo(true, null, null), "v1.0.0", A, Running.unreadable("connection refused"));
    assertThat(waiting.action()).isEqualTo(Action.WAITING_FOR_NOMAD);
    assertThat(waiting.why()).contains("connection refused");
    assertThat(decide(repo(true, "v1.0.0", A), null, null, Running.notRead()).action()).isEqualTo(Action.NO_TAG);
  }

  @Test
  @DisplayName("desired = deployed and Nomad runs it: up to date; without Nomad's answer the deployed state decides")
  void upToDate() {
    WatchedRepo r = repo(true, "v1.0.0", A);
    assertThat(decide(r, "v1.0.0", A, allocation("r.example/team/app:v1.0.0@" + A)).action()).isEqualTo(Action.UP_TO_DATE);
    assertThat(decide(r, "v1.0.0", A, allocation("r.example/team/app:v1.0.0")).action()).isEqualTo(Action.UP_TO_DATE);
    assertThat(decide(r, "v1.0.0", A, Running.notRead()).action()).isEqualTo(Action.UP_TO_DATE);
    assertThat(decide(r, "v1.0.0", A, Running.unreadable("timeout")).drift()).isFalse();
  }

  @Test
  @DisplayName("drift: the job runs another image than Tugboat deployed → drift, and the desired tag deployed again (reason drift); off: kept; not while deploying")
  void drift() {
    WatchedRepo r = repo(true, "v1.0.0", A);
    Decision d = decide(r, "v1.0.0", A, allocation("r.example/team/app:v0.9.0"));
    assertThat(d).extracting(Decision::action, Decision::reason, Decision::drift).containsExactly(Action.DEPLOY, "drift", true);
    assertThat(d.why()).contains("changed outside Tugboat");
    assertThat(decide(r, "v1.0.0", A, allocation("r.example/team/app:v1.0.0@" + B)).drift()).as("same tag, other digest").isTrue();
    Decision off = decide(repo(false, "v1.0.0", A), "v1.0.0", A, allocation("busybox:1"));
    assertThat(off).extracting(Decision::action, Decision::drift).containsExactly(Action.AUTO_DEPLOY_OFF, true);
    assertThat(Decision.decide(r, "v1.0.0", A, allocation("r.example/team/app:v2"), true, NOW).drift()).isFalse();
    // a new release seen together with a drift: the release is deployed, the drift still reported
    Decision both = decide(r, "v1.1.0", B, allocation("r.example/team/app:v0.9.0"));
    assertThat(both).extracting(Decision::action, Decision::reason, Decision::drift).containsExactly(Action.DEPLOY, "release", true);
  }

  @Test
  @DisplayName("a failed target still registered in the job (no allocation runs it) is neither drift nor taken as deployed; its retry waits for retry_after")
  void failedTargetInTheJob() {
    WatchedRepo r = repo(true, "v1.0.0", A, "v1.1.0@" + B, NOW.plusSeconds(30));
    Decision d = decide(r, "v1.1.0", B, jobOnly("r.example/team/app:v1.1.0@" + B));
    assertThat(d).extracting(Decision::action, Decision::drift).containsExactly(Action.BACKING_OFF, false);
    assertThat(Decision.decide(r, "v1.1.0", B, jobOnly("r.example/team/app:v1.1.0@" + B), false, NOW.plusSeconds(31))
        .reason()).isEqualTo("retry");
  }

  @Test
  @DisplayName("Nomad already running the desired image in an allocation is taken as deployed (no second rollout)")
  void adopted() {
    WatchedRepo r = repo(true, "v1.0.0", A);
    assertThat(decide(r, "v1.1.0", B, allocation("r.example/team/app:v1.1.0@" + B)).action()).isEqualTo(Action.BASELINE);
  }

  @Test
  @DisplayName("another tag deploys as release, same tag with another digest as digest")
  void deployReasons() {
    WatchedRepo r = repo(true, "v1.0.0", A);
    Decision release = decide(r, "v1.1.0", B, allocation("r.example/team/app:v1.0.0@" + A));
    assertThat(release).extracting(Decision::action, Decision::tag, Decision::digest, Decision::reason, Decision::drift)
        .containsExactly(Action.DEPLOY, "v1.1.0", B, "release", false);
    assertThat(decide(r, "v1.0.0", B, Running.notRead()).reason()).isEqualTo("digest");
  }

  @Test
  @DisplayName("auto_deploy off keeps the change pending (decided again when on); an active deployment is waited for")
  void offAndActive() {
    assertThat(decide(repo(false, "v1.0.0", A), "v1.0.1", B, Running.notRead()).action()).isEqualTo(Action.AUTO_DEPLOY_OFF);
    assertThat(Decision.decide(repo(true, "v1.0.0", A), "v1.0.1", B, Running.notRead(), true, NOW).action())
        .isEqualTo(Action.DEPLOYING);
  }

  @Test
  @DisplayName("a failed target waits for retry_after, then is retried; another target is not held back")
  void retryBackoff() {
    WatchedRepo r = repo(true, "v1.0.0", A, "v1.0.1@" + B, NOW.plusSeconds(30));
    assertThat(decide(r, "v1.0.1", B, Running.notRead()).action()).isEqualTo(Action.BACKING_OFF);
    assertThat(Decision.decide(r, "v1.0.1", B, Running.notRead(), false, NOW.plusSeconds(31)).reason()).isEqualTo("retry");
    assertThat(decide(r, "v1.0.2", "sha256:" + "c".repeat(64), Running.notRead()).reason()).isEqualTo("release");
  }

  @Test
  @DisplayName("retry backoff doubles from deploy.retryBackoff and stops at an hour")
  void backoffGrowth() {
    Duration base = Duration.ofMinutes(1);
    assertThat(WatchOutcomes.backoff(base, 0)).isEqualTo(Duration.ofMinutes(1));
    assertThat(WatchOutcomes.backoff(base, 3)).isEqualTo(Duration.ofMinutes(8));
    assertThat(WatchOutcomes.backoff(base, 40)).isEqualTo(Duration.ofHours(1));
  }
}
