package dev.tugboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class JsonFieldsTest {
  private static JsonFields of(String json) {
    return JsonFields.of(new JsonObject(json), "spec");
  }

  private static void refused(Runnable read, String field, String message) {
    assertThatThrownBy(read::run).isInstanceOfSatisfying(ApiError.class, e -> {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.field()).isEqualTo(field);
      assertThat(e.getMessage()).contains(message);
    });
  }

  @Test
  @DisplayName("text: required, typed, trimmed, checked before trimming (a trailing NUL is refused, not dropped)")
  void text() {
    assertThat(of("{\"a\":\" x \"}").text("a", 10)).isEqualTo("x");
    refused(() -> of("{}").text("a", 10), "spec.a", "Missing field: spec.a");
    refused(() -> of("{\"a\":1}").text("a", 10), "spec.a", "must be a string");
    refused(() -> of("{\"a\":\"  \"}").text("a", 10), "spec.a", "must not be empty");
    refused(() -> of("{\"a\":\"k\\u0000\"}").text("a", 10), "spec.a", "NUL");
    refused(() -> of("{\"a\":\"k\\u0001 \"}").text("a", 10), "spec.a", "control");
    refused(() -> of("{\"a\":\"\\ud800\"}").text("a", 10), "spec.a", "surrogate");
    refused(() -> of("{\"a\":\"abcdefghijk\"}").text("a", 10), "spec.a", "longer than 10");
    assertThat(of("{\"a\":\"\uD83D\uDE00\uD83D\uDE00\"}").text("a", 2)).hasSize(4); // code points, not UTF-16 units
    assertThat(of("{}").text("a", 10, "dflt")).isEqualTo("dflt");
  }

  @Test
  @DisplayName("integer: whole numbers in range; fractions, strings, booleans and out-of-range values refused")
  void integer() {
    assertThat(of("{\"n\":3}").integer("n", 0, 100, null)).isEqualTo(3L);
    assertThat(of("{\"n\":3.0}").integer("n", 0, 100, null)).isEqualTo(3L);
    assertThat(of("{}").integer("n", 0, 100, 7L)).isEqualTo(7L);
    refused(() -> of("{\"n\":2.5}").integer("n", 0, 100, null), "spec.n", "whole number");
    refused(() -> of("{\"n\":\"3\"}").integer("n", 0, 100, null), "spec.n", "whole number");
    refused(() -> of("{\"n\":true}").integer("n", 0, 100, null), "spec.n", "whole number");
    refused(() -> of("{\"n\":4294967297}").integer("n", 0, 100, null), "spec.n", "from 0 to 100");
    refused(() -> of("{\"n\":123456789012345678901234567890}").integer("n", 0, 100, null), "spec.n", "from 0 to 100");
    refused(() -> of("{\"n\":-1}").integer("n", 0, 100, null), "spec.n", "from 0 to 100");
  }

  @Test
  @DisplayName("objects and lists name each item's path; unknown keys are refused by name")
  void nested() {
    JsonFields spec = of("{\"containers\":[{\"image\":\"a\"},2],\"x\":{}}");
    refused(() -> spec.objects("containers", 10), "spec.containers[1]", "must be an object");
    refused(() -> of("{\"containers\":{}}").objects("containers", 10), "spec.containers", "must be a list");
    refused(() -> of("{\"t\":[\"a\",\"\"]}").texts("t", 10, 5), "spec.t[1]", "non-empty");
    refused(() -> of("{\"t\":[\"a\",\"b\"]}").texts("t", 1, 5), "spec.t", "at most 1");
    refused(() -> spec.allowOnly(Set.of("containers")), "spec.x", "unknown field 'spec.x'");
    assertThat(spec.optionalObject("x").path()).isEqualTo("spec.x");
    refused(() -> of("{\"o\":[]}").object("o"), "spec.o", "must be an object");
    refused(() -> of("{\"b\":\"true\"}").bool("b", null), "spec.b", "true or false");
  }
}
