package dev.tugboat.watch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.watch.Decision.Action;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DecisionTest {
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  static WatchedRepo repo(boolean auto, String deployedTag, String deployedDigest, String failedTarget, Instant retryAfter) {
    return new WatchedRepo("app", "r.example", "team/app", "app", List.of("app"), "release", "api", "", auto, List.of(),
        null, null, deployedTag, deployedDigest, failedTarget == null ? 0 : 1, failedTarget, retryAfter, 0, null, null, "");
  }

  @Test
  @DisplayName("first check takes the observed state as deployed; same tag and digest is up to date")
  void baselineAndUpToDate() {
    assertThat(Decision.decide(repo(true, null, null, null, null), "v1.0.0", "sha256:a", false, NOW).action())
        .isEqualTo(Action.BASELINE);
    assertThat(Decision.decide(repo(true, "v1.0.0", "sha256:a", null, null), "v1.0.0", "sha256:a", false, NOW).action())
        .isEqualTo(Action.UP_TO_DATE);
    assertThat(Decision.decide(repo(true, "v1.0.0", "sha256:a", null, null), null, null, false, NOW).action())
        .isEqualTo(Action.NO_TAG);
  }

  @Test
  @DisplayName("another tag deploys as release, same tag with another digest as digest")
  void deployReasons() {
    WatchedRepo r = repo(true, "v1.0.0", "sha256:a", null, null);
    assertThat(Decision.decide(r, "v1.1.0", "sha256:b", false, NOW)).isEqualTo(
        new Decision(Action.DEPLOY, "v1.1.0", "sha256:b", "release"));
    assertThat(Decision.decide(r, "v1.0.0", "sha256:b", false, NOW).reason()).isEqualTo("digest");
  }

  @Test
  @DisplayName("auto_deploy off keeps the change pending (decided again when on); an active deployment is waited for")
  void offAndActive() {
    assertThat(Decision.decide(repo(false, "v1.0.0", "sha256:a", null, null), "v1.0.1", "sha256:b", false, NOW).action())
        .isEqualTo(Action.AUTO_DEPLOY_OFF);
    assertThat(Decision.decide(repo(true, "v1.0.0", "sha256:a", null, null), "v1.0.1", "sha256:b", true, NOW).action())
        .isEqualTo(Action.DEPLOYING);
  }

  @Test
  @DisplayName("a failed target waits for retry_after, then is retried; another target is not held back")
  void retryBackoff() {
    WatchedRepo r = repo(true, "v1.0.0", "sha256:a", "v1.0.1@sha256:b", NOW.plusSeconds(30));
    assertThat(Decision.decide(r, "v1.0.1", "sha256:b", false, NOW).action()).isEqualTo(Action.BACKING_OFF);
    assertThat(Decision.decide(r, "v1.0.1", "sha256:b", false, NOW.plusSeconds(31)).reason()).isEqualTo("retry");
    assertThat(Decision.decide(r, "v1.0.2", "sha256:c", false, NOW).reason()).isEqualTo("release");
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
