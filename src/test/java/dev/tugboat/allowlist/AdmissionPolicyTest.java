package dev.tugboat.allowlist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.allowlist.AdmissionPolicy.Decision;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AdmissionPolicyTest {
  private static final String HEX = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  private static final String SHA = "sha256:" + HEX;
  private static final String OTHER_SHA = "sha256:" + "fedcba9876543210".repeat(4);
  private static final Instant T = Instant.parse("2024-01-02T03:04:05Z");

  private static AllowListEntry entry(String id, String name, String... tags) {
    return new AllowListEntry(id, name, List.of(tags), T, T);
  }

  @Test
  void allowedByListedTag() {
    Decision d = AdmissionPolicy.decide(List.of("nginx:1.25"), List.of(entry("nginx-1", "docker.io/library/nginx", "1.24", "1.25")));
    assertThat(d.allowed()).isTrue();
    assertThat(d.refusals()).isEmpty();
    assertThat(d.reason()).isEmpty();
  }

  @Test
  void unlistedTagIsRefused() {
    Decision d = AdmissionPolicy.decide(List.of("nginx:1.26"), List.of(entry("nginx-1", "nginx", "1.25")));
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).contains("nginx:1.26").contains("tag 1.26").contains("docker.io/library/nginx");
  }

  @Test
  void untaggedImageMeansLatest() {
    assertThat(AdmissionPolicy.decide(List.of("nginx"), List.of(entry("x", "docker.io/library/nginx", "latest"))).allowed()).isTrue();
    Decision refused = AdmissionPolicy.decide(List.of("nginx"), List.of(entry("x", "docker.io/library/nginx", "1.25")));
    assertThat(refused.allowed()).isFalse();
    assertThat(refused.reason()).contains("tag latest");
  }

  @Test
  void latestOfAnotherRepositoryDoesNotAllow() {
    assertThat(AdmissionPolicy.decide(List.of("nginx"), List.of(entry("x", "docker.io/library/redis", "latest"))).allowed()).isFalse();
    assertThat(AdmissionPolicy.decide(List.of("nginx"), List.of(entry("x", "myorg/nginx", "latest"))).allowed()).isFalse();
  }

  @Test
  void shortEntryNameMatchesNormalisedImage() {
    assertThat(AdmissionPolicy.decide(List.of("docker.io/library/nginx:1.25"), List.of(entry("x", "nginx", "1.25"))).allowed()).isTrue();
    assertThat(AdmissionPolicy.decide(List.of("index.docker.io/nginx:1.25"), List.of(entry("x", "nginx", "1.25"))).allowed()).isTrue();
  }

  @Test
  void registryIsPartOfTheIdentity() {
    assertThat(AdmissionPolicy.decide(List.of("quay.io/library/nginx:1.25"), List.of(entry("x", "nginx", "1.25"))).allowed()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"docker.io/library/nginx@" + SHA, "nginx@" + SHA, SHA, HEX})
  void allowedByDigestPinnedInId(String id) {
    AllowListEntry e = entry(id, "nginx");
    assertThat(e.digest()).isEqualTo(SHA);
    assertThat(AdmissionPolicy.decide(List.of("nginx@" + SHA), List.of(e)).allowed()).isTrue();
    assertThat(AdmissionPolicy.decide(List.of("docker.io/library/nginx:1.25@" + SHA), List.of(e)).allowed()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"nginx-1.25", "nginx@sha256:abc", "sha256:abc", "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", "0123"})
  void idsWithoutADigestPinNothing(String id) {
    assertThat(entry(id, "nginx").digest()).isNull();
  }

  @Test
  void sha512DigestInId() {
    String sha512 = "sha512:" + "ab".repeat(64);
    assertThat(entry("nginx@" + sha512, "nginx").digest()).isEqualTo(sha512);
  }

  @Test
  void otherDigestIsRefused() {
    Decision d = AdmissionPolicy.decide(List.of("nginx@" + OTHER_SHA), List.of(entry(SHA, "nginx", "latest")));
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).contains("digest " + OTHER_SHA).contains("docker.io/library/nginx");
  }

  @Test
  void tagNextToDigestDoesNotAllowWhenOnlyTheTagIsListed() {
    Decision d = AdmissionPolicy.decide(List.of("nginx:1.25@" + SHA), List.of(entry("nginx-1.25", "nginx", "1.25")));
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).contains("nginx:1.25@" + SHA).contains("digest");
  }

  @Test
  void digestListedUnderAnotherRepositoryDoesNotAllow() {
    Decision d = AdmissionPolicy.decide(List.of("nginx@" + SHA), List.of(entry(SHA, "redis"), entry("redis@" + SHA, "docker.io/library/redis")));
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).contains("docker.io/library/nginx");
  }

  @Test
  void invalidImageIsRefusedWithItsName() {
    Decision d = AdmissionPolicy.decide(List.of("docker.io/Foo/bar:1"), List.of(entry("x", "nginx", "1")));
    assertThat(d.allowed()).isFalse();
    assertThat(d.refusals()).hasSize(1);
    assertThat(d.reason()).contains("docker.io/Foo/bar:1").contains("not a valid reference");
  }

  @Test
  void reasonListsEachRefusedImage() {
    List<AllowListEntry> entries = List.of(entry("a", "nginx", "1.25"), entry("b", "quay.io/org/app", "v1"));
    Decision d = AdmissionPolicy.decide(List.of("nginx:1.25", "nginx:1.26", "quay.io/org/app:v2", "quay.io/org/app:v1", "bad//ref"), entries);
    assertThat(d.allowed()).isFalse();
    assertThat(d.refusals()).hasSize(3);
    assertThat(d.refusals().get(0)).contains("nginx:1.26");
    assertThat(d.refusals().get(1)).contains("quay.io/org/app:v2");
    assertThat(d.refusals().get(2)).contains("bad//ref");
    assertThat(d.reason()).isEqualTo(String.join("; ", d.refusals()));
    assertThat(d.reason()).doesNotContain("nginx:1.25 ").doesNotContain("app:v1");
  }

  @Test
  void allImagesMustBeAllowed() {
    List<AllowListEntry> entries = List.of(entry("a", "nginx", "1.25"), entry("b", "redis", "7"));
    assertThat(AdmissionPolicy.decide(List.of("nginx:1.25", "redis:7"), entries).allowed()).isTrue();
    assertThat(AdmissionPolicy.decide(List.of("nginx:1.25", "redis:6"), entries).allowed()).isFalse();
  }

  @Test
  void tagsMayComeFromSeveralEntriesOfTheSameRepository() {
    List<AllowListEntry> entries = List.of(entry("a", "nginx", "1.24"), entry("b", "docker.io/library/nginx", "1.25"));
    assertThat(AdmissionPolicy.decide(List.of("nginx:1.24", "nginx:1.25"), entries).allowed()).isTrue();
  }

  @Test
  void invalidEntriesAreIgnored() {
    List<AllowListEntry> entries = List.of(entry("a", "Bad//Name", "1.25"), entry("b", "nginx", "1.25"));
    assertThat(AdmissionPolicy.decide(List.of("nginx:1.25"), entries).allowed()).isTrue();
  }

  @Test
  void noImagesIsAllowed() {
    assertThat(AdmissionPolicy.decide(List.of(), List.of()).allowed()).isTrue();
  }
}
