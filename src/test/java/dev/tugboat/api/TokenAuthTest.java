package dev.tugboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenAuthTest {
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  private static byte[] sha256(String s) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
  }

  private static IllegalArgumentException malformed(String yaml) {
    IllegalArgumentException e = catchThrowableOfType(IllegalArgumentException.class, () -> TokenAuth.parse(yaml));
    assertThat(e).as("expected IllegalArgumentException for %s", yaml).isNotNull();
    return e;
  }

  @Test
  void imagelistFormat() throws Exception {
    List<byte[]> hashes = TokenAuth.parse("tokens:\n  - name: foo\n    token: 'abc'\n    is_disabled: false\n");
    assertThat(hashes).hasSize(1);
    assertThat(hashes.get(0)).isEqualTo(sha256("abc"));
  }

  @Test
  void severalTokensWithDescriptionAndDefaultEnabled() throws Exception {
    String yaml = """
        tokens:
          - name: ci
            token: 'tok-ci'
            description: used by CI
          - name: old
            token: 'tok-old'
            is_disabled: true
          - name: admin
            token: "tok-admin"
            is_disabled: false
        """;
    List<byte[]> hashes = TokenAuth.parse(yaml);
    assertThat(hashes).hasSize(2);
    assertThat(hashes.get(0)).isEqualTo(sha256("tok-ci"));
    assertThat(hashes.get(1)).isEqualTo(sha256("tok-admin"));
    assertThat(hashes).noneMatch(h -> {
      try {
        return MessageDigest.isEqual(h, sha256("tok-old"));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void tokenIsTrimmed() throws Exception {
    assertThat(TokenAuth.parse("tokens:\n  - token: '  spaced  '\n").get(0)).isEqualTo(sha256("spaced"));
  }

  @Test
  void emptyListMeansNoTokens() {
    assertThat(TokenAuth.parse("tokens: []\n")).isEmpty();
  }

  @Test
  void allDisabledMeansNoTokens() {
    assertThat(TokenAuth.parse("tokens:\n  - token: 'a'\n    is_disabled: true\n")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "other: 1\n", "tokens: 'abc-secret'\n", "tokens:\n  name: x\n  token: 'abc-secret'\n",
      "- token: 'abc-secret'\n", "tokens: {token: 'abc-secret'}\n"})
  void missingOrNonListTokens(String yaml) {
    IllegalArgumentException e = malformed(yaml);
    assertThat(e.getMessage()).contains("tokens").doesNotContain("abc-secret");
  }

  @Test
  void entryWithoutToken() {
    IllegalArgumentException e = malformed("tokens:\n  - name: ok\n    token: 'abc-secret'\n  - name: foo\n    is_disabled: false\n");
    assertThat(e.getMessage()).contains("tokens[1]").doesNotContain("abc-secret");
  }

  @Test
  void blankToken() {
    assertThat(malformed("tokens:\n  - token: '   '\n").getMessage()).contains("tokens[0]");
  }

  @Test
  void entryNotAMapping() {
    IllegalArgumentException e = malformed("tokens:\n  - 'abc-secret'\n");
    assertThat(e.getMessage()).contains("tokens[0]").doesNotContain("abc-secret");
  }

  @ParameterizedTest
  @ValueSource(strings = {"'false'", "'true'", "0", "maybe", "[true]"})
  void nonBooleanIsDisabled(String value) {
    IllegalArgumentException e = malformed("tokens:\n  - name: foo\n    token: 'abc-secret'\n    is_disabled: " + value + "\n");
    assertThat(e.getMessage()).contains("tokens[0].is_disabled").doesNotContain("abc-secret");
  }

  @Test
  void invalidYamlDoesNotEchoContent() {
    IllegalArgumentException e = malformed("tokens:\n  - token: 'abc-secret\n    is_disabled: [\n");
    assertThat(e.getMessage()).contains("not valid YAML").doesNotContain("abc-secret");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Bearer x", "Basic Zm9vOmJhcg==", "garbage"})
  void disabledAuthAcceptsEverything(String header) {
    TokenAuth auth = TokenAuth.disabled(vertx);
    assertThat(auth.enabled()).isFalse();
    assertThat(auth.accepts(header)).isTrue();
  }

  @Test
  void disabledAuthAcceptsMissingHeader() {
    assertThat(TokenAuth.disabled(vertx).accepts(null)).isTrue();
  }
}
