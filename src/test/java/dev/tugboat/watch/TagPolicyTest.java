package dev.tugboat.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TagPolicyTest {
  static final String SHA = "0123456789abcdef0123456789abcdef01234567";

  @Test
  @DisplayName("release: exactly vX.Y.Z with 1-3 digits, numeric order (v1.10.0 > v1.9.0), SHA tags never chosen")
  void release() {
    TagPolicy p = TagPolicy.parse("release");
    assertThat(p.newest(List.of("v1.9.0", "v1.10.0", "v0.99.999", "latest"))).hasValue("v1.10.0");
    assertThat(p.matches("1.2.3")).isFalse();
    assertThat(p.matches("v1.2.3-rc1")).isFalse();
    assertThat(p.matches("v1.2.1000")).isFalse();
    assertThat(p.newest(List.of("latest", "1.0.0"))).isEmpty();
    assertThat(TagPolicy.parse("").spec()).isEqualTo("release");
    assertThat(TagPolicy.parse("numeric:.*").newest(List.of("b1", "v2-" + SHA))).hasValue("b1");
  }

  @ParameterizedTest(name = "{0} contains {1}: {2}")
  @CsvSource({
      "^1.2, 1.2.0, true", "^1.2, v1.9.9, true", "^1.2, 2.0.0, false", "^1.2, 1.1.9, false",
      "^0.2.3, 0.2.9, true", "^0.2.3, 0.3.0, false", "^0.0.3, 0.0.4, false",
      "~1.2.3, 1.2.9, true", "~1.2.3, 1.3.0, false", "~1, 1.9.0, true",
      "'>=1.2.0 <2', 1.99.0, true", "'>=1.2.0 <2', 2.0.0, false", "'>=1.2.0 <2', 2.0.0-rc.1, false",
      "1.x, 1.4.4, true", "1.x, 2.0.0, false", "*, 5.0.0, true", "'<1.0.0 || >=3', 3.1.0, true",
      "'<1.0.0 || >=3', 2.0.0, false", ">1.2, 1.2.9, false", ">1.2, 1.3.0, true", "<=1.2, 1.2.9, true",
      "^1.2, 1.3.0-beta.1, false", "'>=1.3.0-beta.0 <1.4', 1.3.0-beta.2, true", "'>=1.3.0-beta.0 <1.4', 1.3.1-rc.1, false",
      "=1.2.3, 1.2.3+build.7, true"})
  void semverRanges(String range, String version, boolean inside) {
    assertThat(TagPolicy.parse("semver:" + range).matches(version)).isEqualTo(inside);
  }

  @Test
  @DisplayName("semver: with or without v, pre-release precedence, pre-releases only with semver-pre")
  void semverOrder() {
    List<String> tags = List.of("1.2.0", "v1.3.0-rc.1", "v1.3.0-rc.10", "1.3.0-rc.2", "1.2.10", "latest", "v2.0.0");
    assertThat(TagPolicy.parse("semver:^1").newest(tags)).hasValue("1.2.10");
    assertThat(TagPolicy.parse("semver-pre:^1").newest(tags)).hasValue("v1.3.0-rc.10");
    assertThat(TagPolicy.parse("semver:*").newest(tags)).hasValue("v2.0.0");
    assertThat(TagPolicy.parse("semver").newest(List.of("1.0.0-alpha", "1.0.0-alpha.1"))).isEmpty();
    assertThat(Semver.parse("1.0.0-alpha").compareTo(Semver.parse("1.0.0-alpha.1"))).isNegative();
    assertThat(Semver.parse("1.0.0-beta.11").compareTo(Semver.parse("1.0.0-rc.1"))).isNegative();
    assertThat(Semver.parse("1.0.0-rc.1").compareTo(Semver.parse("1.0.0"))).isNegative();
    assertThat(Semver.parse("01.0.0")).isNull();
  }

  @Test
  @DisplayName("regex filter with numeric order (capture groups, else every number) or alphabetical order")
  void filtered() {
    List<String> tags = List.of("build-9", "build-10", "build-100-hotfix", "main-2024.01.05", "main-2024.1.30", "latest");
    assertThat(TagPolicy.parse("numeric:^build-(\\d+)$").newest(tags)).hasValue("build-10");
    assertThat(TagPolicy.parse("numeric:^build-").newest(tags)).hasValue("build-100-hotfix");
    assertThat(TagPolicy.parse("numeric:^main-").newest(tags)).hasValue("main-2024.1.30");
    assertThat(TagPolicy.parse("alphabetical:^build-").newest(tags)).hasValue("build-9");
  }

  @Test
  @DisplayName("bad specs are refused with a message naming the problem")
  void invalid() {
    assertThatThrownBy(() -> TagPolicy.parse("newest")).hasMessageContaining("unknown tag policy 'newest'");
    assertThatThrownBy(() -> TagPolicy.parse("numeric:")).hasMessageContaining("needs a regular expression");
    assertThatThrownBy(() -> TagPolicy.parse("numeric:(")).hasMessageContaining("invalid regular expression");
    assertThatThrownBy(() -> TagPolicy.parse("semver:>=1.two")).hasMessageContaining("'>=1.two'");
  }

  @Test
  @DisplayName("issue 10 item 7: RE2 refuses what it cannot match in linear time (backreferences, lookaround), with a clear message")
  void re2Refusals() {
    assertThatThrownBy(() -> TagPolicy.parse("numeric:^((a+)\\2?)+$")).hasMessageContaining("invalid regular expression")
        .hasMessageContaining("\\2").hasMessageContaining("RE2").hasMessageContaining("no backreferences");
    assertThatThrownBy(() -> TagPolicy.parse("alphabetical:^v(?=1)")).hasMessageContaining("RE2");
  }

  @Test
  @DisplayName("issue 10 item 7: a pattern that backtracks exponentially in java.util.regex ((a+)+$ on aaa…a-) answers at once with RE2")
  void nestedQuantifiersAnswer() {
    TagPolicy policy = TagPolicy.parse("numeric:^(a+)+$");
    List<String> hostile = List.of("a".repeat(40) + "-", "a".repeat(100) + "-", "aaa");
    // java.util.regex needs about 2^40 steps for the first tag (hours); a hang guard, not a speed assertion
    assertThat(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
        () -> policy.newest(hostile))).hasValue("aaa");
  }

  @Test
  @DisplayName("a check processes at most watch.maxTags tags, and only tags of the distribution grammar")
  void boundedTags() {
    assertThat(Tags.bounded(List.of("v1.0.0", "x".repeat(129), "-bad", "ok_1"), 4)).containsExactly("v1.0.0", "ok_1");
    assertThatThrownBy(() -> Tags.bounded(List.of("a", "b", "c"), 2)).isInstanceOf(Tags.TooMany.class)
        .hasMessageContaining("3 tags, more than watch.maxTags (2)");
  }

  @Test
  @DisplayName("SHA-like tags (a 40-hex run anywhere) are hidden from lists, the rest sorted")
  void visibleTags() {
    assertThat(Tags.visible(List.of("v1.0.0", SHA, "ci-" + SHA + "-x", "latest", "abc123"))).containsExactly("abc123",
        "latest", "v1.0.0");
  }
}
