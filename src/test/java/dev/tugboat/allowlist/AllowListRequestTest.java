package dev.tugboat.allowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.JsonFields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AllowListRequestTest {

  private static JsonObject body() {
    return new JsonObject().put("id", "sha256:" + "ab".repeat(32)).put("name", "nginx")
        .put("tags", new JsonArray().add("1.25").add("latest"));
  }

  private static AllowListRequest from(JsonObject body) {
    return AllowListRequest.from(JsonFields.of(body, ""));
  }

  private static ApiError rejected(JsonObject body) {
    ApiError e = catchThrowableOfType(ApiError.class, () -> from(body));
    assertThat(e).as("expected ApiError for %s", body).isNotNull();
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.code()).isEqualTo("invalid_request");
    return e;
  }

  @Test
  void validBody() {
    AllowListRequest r = from(body().put("id", "  my-id  ").put("name", " quay.io/org/app "));
    assertThat(r.id()).isEqualTo("my-id");
    assertThat(r.name()).isEqualTo("quay.io/org/app");
    assertThat(r.nameKey()).isEqualTo("quay.io/org/app");
    assertThat(r.tags()).containsExactly("1.25", "latest");
  }

  @Test
  void nameKeyIsNormalised() {
    assertThat(from(body()).nameKey()).isEqualTo("docker.io/library/nginx");
    assertThat(from(body()).name()).isEqualTo("nginx");
  }

  @Test
  void missingId() {
    ApiError e = rejected(body().putNull("id"));
    assertThat(e.field()).isEqualTo("id");
    JsonObject b = body();
    b.remove("id");
    assertThat(rejected(b).field()).isEqualTo("id");
    assertThat(rejected(b).toJson().getJsonObject("error").getString("field")).isEqualTo("id");
  }

  @Test
  void badIds() {
    assertThat(rejected(body().put("id", "   ")).field()).isEqualTo("id");
    assertThat(rejected(body().put("id", 42)).field()).isEqualTo("id");
    assertThat(rejected(body().put("id", "a b")).field()).isEqualTo("id");
    assertThat(rejected(body().put("id", "a\u0001b")).field()).isEqualTo("id");
    assertThat(rejected(body().put("id", "x".repeat(513))).field()).isEqualTo("id");
    assertThat(from(body().put("id", "x".repeat(512))).id()).hasSize(512);
    assertThat(rejected(body().put("id", "\u00e9".repeat(513))).field()).as("code points, not bytes").isEqualTo("id");
    assertThat(from(body().put("id", "\u00e9".repeat(512))).id()).hasSize(512);
    assertThat(rejected(body().put("id", "a\u0000b")).field()).isEqualTo("id");
  }

  @Test
  void missingName() {
    JsonObject b = body();
    b.remove("name");
    assertThat(rejected(b).field()).isEqualTo("name");
    assertThat(rejected(body().put("name", "")).field()).isEqualTo("name");
  }

  @Test
  @DisplayName("names are checked against the column's length (550 characters: 400, not a database error)")
  void nameLength() {
    ApiError tooLong = rejected(body().put("name", "quay.io/" + "a".repeat(550)));
    assertThat(tooLong.field()).isEqualTo("name");
    assertThat(tooLong.getMessage()).contains("longer than " + AllowListStore.NAME_LENGTH);
    // the grammar allows a 300-character host and a 255-character repository: 256 + 1 + 255 fills the column
    String repository = "r".repeat(255);
    String host = "h".repeat(AllowListStore.NAME_LENGTH - repository.length() - 1 - ".example".length()) + ".example";
    assertThat(from(body().put("name", host + "/" + repository)).name()).hasSize(AllowListStore.NAME_LENGTH);
    ApiError oneMore = rejected(body().put("name", "h" + host + "/" + repository));
    assertThat(oneMore.field()).isEqualTo("name");
    assertThat(oneMore.getMessage()).contains("longer than " + AllowListStore.NAME_LENGTH);
  }

  @Test
  @DisplayName("wrong JSON types name the field")
  void wrongTypes() {
    assertThat(rejected(body().put("id", new JsonArray())).field()).isEqualTo("id");
    assertThat(rejected(body().put("name", 7)).field()).isEqualTo("name");
    assertThat(rejected(body().put("name", new JsonObject())).field()).isEqualTo("name");
    assertThat(rejected(body().put("tags", 1.5)).field()).isEqualTo("tags");
    assertThat(rejected(body().put("tags", true)).field()).isEqualTo("tags");
  }

  @ParameterizedTest
  @ValueSource(strings = {"nginx:1.25", "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "docker.io/Foo/bar", "a//b", "nginx:"})
  void nameMustBeAPlainImageName(String name) {
    assertThat(rejected(body().put("name", name)).field()).isEqualTo("name");
  }

  @Test
  void tagsMustBeAnArray() {
    assertThat(rejected(body().put("tags", "1.25")).field()).isEqualTo("tags");
    assertThat(rejected(body().put("tags", new JsonObject())).field()).isEqualTo("tags");
  }

  @Test
  void invalidTagIsNamedByIndex() {
    ApiError e = rejected(body().put("tags", new JsonArray().add("a").add("b").add(".bad").add("c")));
    assertThat(e.field()).isEqualTo("tags[2]");
    assertThat(e.getMessage()).contains("tags[2]");
    assertThat(rejected(body().put("tags", new JsonArray().add("a").add(7))).field()).isEqualTo("tags[1]");
    assertThat(rejected(body().put("tags", new JsonArray().addNull())).field()).isEqualTo("tags[0]");
    assertThat(rejected(body().put("tags", new JsonArray().add(""))).field()).isEqualTo("tags[0]");
  }

  @Test
  void tagLength() {
    String ok = "t".repeat(128);
    assertThat(from(body().put("tags", new JsonArray().add(ok))).tags()).containsExactly(ok);
    assertThat(rejected(body().put("tags", new JsonArray().add("t".repeat(129)))).field()).isEqualTo("tags[0]");
  }

  @Test
  void absentOrNullTagsAreNull() {
    JsonObject b = body();
    b.remove("tags");
    assertThat(from(b).tags()).isNull();
    assertThat(from(body().putNull("tags")).tags()).isNull();
  }

  @Test
  void emptyTagsAreEmpty() {
    assertThat(from(body().put("tags", new JsonArray())).tags()).isEmpty();
  }

  @Test
  void duplicatesRemovedKeepingOrder() {
    JsonArray tags = new JsonArray().add("b").add("a").add("b").add("c").add("a");
    assertThat(from(body().put("tags", tags)).tags()).containsExactly("b", "a", "c");
  }

  @Test
  void manyLongTagsAreFine() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      many.add("version-" + i + "-" + "x".repeat(100));
    }
    AllowListRequest r = from(body().put("tags", new JsonArray(many)));
    assertThat(r.tags()).hasSize(50).containsExactlyElementsOf(many);
    assertThat(String.join("", r.tags()).length()).isGreaterThan(100);
  }
}
