package dev.tugboat.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VersionClassTest {

  private static final List<String> GOLANG_TAGS = List.of(
      "1.11", "1.12", "1.12.4", "1.12.5", "1.12-alpine", "1.13-alpine",
      "latest", "stretch", "stretch-20190326", "stretch-20190401",
      "1", "1-alpine", "1.11.9", "1.12.4-alpine3.9", "1.12.5-alpine3.9", "1.12.10-alpine3.9",
      "-20190101", "-20190202");

  @ParameterizedTest(name = "{0} -> {1} ({2})")
  @CsvSource({
      // Major
      "1,                 major,                    80",
      "v1,                major,                    80",
      "1-alpine,          major-alpine,             80",
      "10,                major,                    80",
      "1-20190326,        major-20190326,           80",
      "v2-,               major-,                   80",
      // MajorMinor
      "1.12,              majorMinor,               90",
      "v1.12,             majorMinor,               90",
      "1.12-alpine,       majorMinor-alpine,        90",
      "1.12-alpine3.9,    majorMinor-alpine3.9,     90",
      // MajorMinorPatch
      "1.12.4,            majorMinorPatch,          100",
      "v1.12.4,           majorMinorPatch,          100",
      "1.12.4-alpine3.9,  majorMinorPatch-alpine3.9, 100",
      "1.12.4-rc1-stretch, majorMinorPatch-rc1-stretch, 100",
      // NameDate
      "stretch-20190326,  nameDate-stretch,         70",
      "alpine_3-20190101, nameDate-alpine_3,        70",
      "-20190326,         nameDate-,                70",
      // Static
      "latest,            static-latest,            60",
      "mainline,          static-mainline,          60",
      "master,            static-master,            60",
      "stable,            static-stable,            60",
      // Unknown
      "edge,              unknown-edge,             10",
      "sha-abc123,        unknown-sha-abc123,       10",
      "1.12.4rc1,         unknown-1.12.4rc1,        10",
      "stretch,           unknown-stretch,          10",
      "Latest,            unknown-Latest,           10",
      "1.2.3.4,           unknown-1.2.3.4,          10",
      "V1,                unknown-V1,               10",
      "vv1,               unknown-vv1,              10",
      "stretch-2019032,   unknown-stretch-2019032,  10",
      "stretch-201903261, unknown-stretch-201903261, 10",
      "buster-slim-20190326, unknown-buster-slim-20190326, 10",
      "1.12alpine,        unknown-1.12alpine,       10",
  })
  void classifiesLikeImagespy(String tag, String distinction, int weight) {
    VersionClass vc = VersionClass.of(tag);
    assertThat(vc.tag()).isEqualTo(tag);
    assertThat(vc.distinction()).isEqualTo(distinction);
    assertThat(vc.weight()).isEqualTo(weight);
    assertThat(VersionClass.distinctionOf(tag)).isEqualTo(distinction);
  }

  @Test
  void emptyTagIsUnknown() {
    VersionClass vc = VersionClass.of("");
    assertThat(vc.distinction()).isEqualTo("unknown-");
    assertThat(vc.weight()).isEqualTo(10);
    assertThat(vc.kind()).isEqualTo(VersionClass.Kind.UNKNOWN);
  }

  @Test
  void trailingNewlineDoesNotMatchLikeGoEndOfText() {
    // Java's '$' would accept a trailing newline, Go's does not.
    assertThat(VersionClass.of("1.12\n").distinction()).isEqualTo("unknown-1.12\n");
    assertThat(VersionClass.of("stretch-20190326\n").weight()).isEqualTo(10);
  }

  @Test
  void numbersAndKinds() {
    assertThat(VersionClass.of("v1.12.4-alpine").numbers())
        .containsExactly(BigInteger.ONE, BigInteger.valueOf(12), BigInteger.valueOf(4));
    assertThat(VersionClass.of("1.12").numbers())
        .containsExactly(BigInteger.ONE, BigInteger.valueOf(12));
    assertThat(VersionClass.of("3-alpine").numbers()).containsExactly(BigInteger.valueOf(3));
    assertThat(VersionClass.of("stretch-20190326").numbers())
        .containsExactly(BigInteger.valueOf(20190326));
    assertThat(VersionClass.of("latest").numbers()).isEmpty();
    assertThat(VersionClass.of("edge").numbers()).isEmpty();

    assertThat(VersionClass.of("1").kind()).isEqualTo(VersionClass.Kind.MAJOR);
    assertThat(VersionClass.of("1.1").kind()).isEqualTo(VersionClass.Kind.MAJOR_MINOR);
    assertThat(VersionClass.of("1.1.1").kind()).isEqualTo(VersionClass.Kind.MAJOR_MINOR_PATCH);
    assertThat(VersionClass.of("x-20200101").kind()).isEqualTo(VersionClass.Kind.NAME_DATE);
    assertThat(VersionClass.of("master").kind()).isEqualTo(VersionClass.Kind.STATIC);
    assertThat(VersionClass.of("edge").kind()).isEqualTo(VersionClass.Kind.UNKNOWN);
  }

  @Test
  void equalsIsValueBased() {
    assertThat(VersionClass.of("1.12.4")).isEqualTo(VersionClass.of("1.12.4"));
    assertThat(VersionClass.of("1.12.4")).hasSameHashCodeAs(VersionClass.of("1.12.4"));
    assertThat(VersionClass.of("1.12.4")).isNotEqualTo(VersionClass.of("v1.12.4"));
    List<BigInteger> mutable = new ArrayList<>(List.of(BigInteger.ONE));
    VersionClass vc = new VersionClass("1", "major", 80, mutable);
    mutable.add(BigInteger.TWO);
    assertThat(vc.numbers()).containsExactly(BigInteger.ONE);
    assertThat(vc).isEqualTo(VersionClass.of("1"));
  }

  @ParameterizedTest(name = "{0} > {1} is {2}")
  @CsvSource({
      // Major
      "2,                 1,                 true",
      "1,                 2,                 false",
      "10,                2,                 true",
      "2,                 10,                false",
      "v3,                2,                 true",
      "2-alpine,          1-alpine,          true",
      "1,                 1,                 false",
      "01,                1,                 false",
      // MajorMinor
      "1.10,              1.9,               true",
      "1.9,               1.10,              false",
      "2.0,               1.99,              true",
      "1.13,              v1.12,             true",
      "1.12,              1.12,              false",
      "1.13-alpine,       1.12-alpine,       true",
      // MajorMinorPatch
      "1.12.10,           1.12.9,            true",
      "1.12.9,            1.12.10,           false",
      "1.13.0,            1.12.99,           true",
      "2.0.0,             1.99.99,           true",
      "1.12.5,            1.12.4,            true",
      "1.12.4,            1.12.4,            false",
      "v1.12.5,           1.12.4,            true",
      "1.12.5-alpine3.9,  1.12.4-alpine3.9,  true",
      // NameDate
      "stretch-20190401,  stretch-20190326,  true",
      "stretch-20190326,  stretch-20190401,  false",
      "stretch-20190326,  stretch-20190326,  false",
      "-20190401,         -20190326,         true",
      // Different distinctions are never greater
      "1.13,              1.12.4,            false",
      "1.12.4,            1.13,              false",
      "2,                 1.1,               false",
      "1.13-alpine,       1.12,              false",
      "1.12,              1.11-alpine,       false",
      "2-alpine,          1,                 false",
      "1.12.5-alpine3.10, 1.12.4-alpine3.9,  false",
      "buster-20190401,   stretch-20190326,  false",
      "stretch-20190401,  1.12,              false",
      // Static / Unknown are never greater
      "latest,            latest,            false",
      "latest,            stable,            false",
      "master,            1.12,              false",
      "edge,              edge,              false",
      "edge,              sha-abc123,        false",
      "1.12.4rc2,         1.12.4rc1,         false",
      "1.12,              latest,            false",
  })
  void comparesWithinDistinctionOnly(String a, String b, boolean greater) {
    assertThat(VersionClass.of(a).isGreaterThan(VersionClass.of(b))).isEqualTo(greater);
  }

  @Test
  void isGreaterThanNullIsFalse() {
    assertThat(VersionClass.of("1").isGreaterThan(null)).isFalse();
  }

  @ParameterizedTest(name = "latest({0}) = {1}")
  @CsvSource({
      "majorMinor,                   1.12",
      "majorMinorPatch,              1.12.5",
      "majorMinor-alpine,            1.13-alpine",
      "majorMinorPatch-alpine3.9,    1.12.10-alpine3.9",
      "major,                        1",
      "major-alpine,                 1-alpine",
      "nameDate-stretch,             stretch-20190401",
      "nameDate-,                    -20190202",
      "static-latest,                latest",
      "unknown-stretch,              stretch",
  })
  void latestOverGolangTags(String distinction, String expected) {
    assertThat(VersionClass.latest(GOLANG_TAGS, distinction)).contains(expected);
  }

  @Test
  void latestIsIndependentOfOrder() {
    List<String> reversed = new ArrayList<>(GOLANG_TAGS);
    java.util.Collections.reverse(reversed);
    assertThat(VersionClass.latest(reversed, "majorMinorPatch")).contains("1.12.5");
    assertThat(VersionClass.latest(reversed, "majorMinor")).contains("1.12");
    assertThat(VersionClass.latest(reversed, "nameDate-stretch")).contains("stretch-20190401");
  }

  @Test
  void latestMissingDistinctionIsEmpty() {
    assertThat(VersionClass.latest(GOLANG_TAGS, "static-stable")).isEmpty();
    assertThat(VersionClass.latest(GOLANG_TAGS, "unknown-edge")).isEmpty();
    assertThat(VersionClass.latest(GOLANG_TAGS, "nameDate-buster")).isEmpty();
    assertThat(VersionClass.latest(List.of(), "majorMinor")).isEmpty();
    assertThat(VersionClass.latest(null, "majorMinor")).isEmpty();
    assertThat(VersionClass.latest(GOLANG_TAGS, null)).isEmpty();
  }

  @Test
  void latestTiesKeepFirstSeen() {
    // 1.12 and v1.12 compare equal: the first seen wins.
    assertThat(VersionClass.latest(List.of("1.11", "v1.12", "1.12"), "majorMinor")).contains("v1.12");
    assertThat(VersionClass.latest(List.of("1.11", "1.12", "v1.12"), "majorMinor")).contains("1.12");
    assertThat(VersionClass.latest(List.of("1.12.04", "1.12.4"), "majorMinorPatch"))
        .contains("1.12.04");
  }

  @Test
  void latestIgnoresNullTags() {
    assertThat(VersionClass.latest(Arrays.asList(null, "1.1", null, "1.2"), "majorMinor"))
        .isEqualTo(Optional.of("1.2"));
  }

  @Test
  void hugeNumbersDoNotThrowAndCompareNumerically() {
    String huge = "99999999999999999999";
    String huger = "100000000000000000000";
    assertThatCode(() -> VersionClass.of(huge)).doesNotThrowAnyException();
    assertThat(VersionClass.of(huge).distinction()).isEqualTo("major");
    assertThat(VersionClass.of(huge).numbers()).containsExactly(new BigInteger(huge));
    assertThat(VersionClass.of(huger).isGreaterThan(VersionClass.of(huge))).isTrue();
    assertThat(VersionClass.of(huge).isGreaterThan(VersionClass.of(huger))).isFalse();
    assertThat(VersionClass.of(huge).isGreaterThan(VersionClass.of("9223372036854775807"))).isTrue();
    assertThat(VersionClass.of("1." + huge + ".0")
        .isGreaterThan(VersionClass.of("1." + huge.substring(1) + ".0"))).isTrue();
    assertThat(VersionClass.of("v" + huge + "." + huge + "." + huge + "-x").distinction())
        .isEqualTo("majorMinorPatch-x");
    assertThat(VersionClass.latest(List.of("1", huge, "2", huger, "3"), "major")).contains(huger);
  }
}
