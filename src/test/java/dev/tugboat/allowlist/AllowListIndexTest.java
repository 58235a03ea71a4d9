package dev.tugboat.allowlist;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The in-memory allow-list: a change replaces an entry's whole contribution, under its normalised name. */
class AllowListIndexTest {
  static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  static final String SHA = "sha256:" + "ab".repeat(32);

  static AllowListEntry entry(String id, String name, String... tags) {
    return new AllowListEntry(id, name, List.of(tags), T, T);
  }

  @Test
  @DisplayName("put, tag replacement, a second entry of the same repository, removal")
  void putReplaceRemove() {
    AllowListIndex index = new AllowListIndex();
    index.put(entry("a", "nginx", "1.25"));
    assertThat(index.repository("docker.io/library/nginx").lists("1.25")).isTrue();
    index.put(entry("a", "nginx", "1.26"));
    assertThat(index.repository("docker.io/library/nginx").lists("1.25")).isFalse();
    index.put(entry("b", "docker.io/library/nginx", "1.25"));
    index.put(entry("c@" + SHA, "nginx"));
    assertThat(index.repository("docker.io/library/nginx").tags()).containsExactlyInAnyOrder("1.25", "1.26");
    assertThat(index.repository("docker.io/library/nginx").pins(SHA)).isTrue();
    assertThat(index.size()).isEqualTo(3);
    index.remove("a");
    index.remove("c@" + SHA);
    index.remove("never-there");
    assertThat(index.repository("docker.io/library/nginx").tags()).containsExactly("1.25");
    assertThat(index.repository("docker.io/library/nginx").pins(SHA)).isFalse();
    index.remove("b");
    assertThat(index.repository("docker.io/library/nginx")).isNull();
    assertThat(index.size()).isZero();
  }

  @Test
  @DisplayName("an id written again under another name leaves its old repository; an invalid name is not indexed")
  void movedAndInvalid() {
    AllowListIndex index = new AllowListIndex();
    index.put(entry("x", "quay.io/a/app", "v1"));
    index.put(entry("x", "quay.io/b/app", "v1"));
    assertThat(index.repository("quay.io/a/app")).isNull();
    assertThat(index.repository("quay.io/b/app").lists("v1")).isTrue();
    index.put(entry("x", "Bad//Name", "v1"));
    assertThat(index.repository("quay.io/b/app")).isNull();
    assertThat(index.size()).isZero();
  }

  @Test
  @DisplayName("a full load replaces everything at once")
  void replace() {
    AllowListIndex index = AllowListIndex.of(List.of(entry("a", "nginx", "1"), entry("b", "redis", "7")));
    AllowListIndex.Repository before = index.repository("docker.io/library/nginx");
    index.replace(List.of(entry("c", "redis", "8")));
    assertThat(index.repository("docker.io/library/nginx")).isNull();
    assertThat(index.repository("docker.io/library/redis").tags()).containsExactly("8");
    assertThat(before.lists("1")).as("a view taken before is unchanged").isTrue();
  }
}
