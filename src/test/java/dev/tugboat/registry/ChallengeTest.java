package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChallengeTest {
  @Test
  void bearerWithQuotedCommasAndSeveralScopes() {
    Challenge c = Challenge.parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
        + "scope=\"repository:samalba/my-app:pull,push repository:other/app:pull\",error=\"insufficient_scope\"");
    assertThat(c.isBearer()).isTrue();
    assertThat(c.realm()).isEqualTo("https://auth.docker.io/token");
    assertThat(c.service()).isEqualTo("registry.docker.io");
    assertThat(c.scopes()).containsExactly("repository:samalba/my-app:pull,push", "repository:other/app:pull");
    assertThat(c.params()).containsEntry("error", "insufficient_scope");
  }

  @Test
  void basicAndUnquotedAndEscapes() {
    Challenge basic = Challenge.parse("Basic realm=\"Registry Realm\"");
    assertThat(basic.isBasic()).isTrue();
    assertThat(basic.realm()).isEqualTo("Registry Realm");
    Challenge unquoted = Challenge.parse("bearer realm=http://127.0.0.1:5001/token, service=reg");
    assertThat(unquoted.isBearer()).isTrue();
    assertThat(unquoted.realm()).isEqualTo("http://127.0.0.1:5001/token");
    assertThat(unquoted.service()).isEqualTo("reg");
    assertThat(unquoted.scopes()).isEmpty();
    assertThat(Challenge.parse("Bearer realm=\"a\\\"b\"").realm()).isEqualTo("a\"b");
  }

  @Test
  void bearerPreferredAmongSeveralChallenges() {
    Challenge c = Challenge.parse("Basic realm=\"x\", Bearer realm=\"https://t/token\",service=\"s\"");
    assertThat(c.isBearer()).isTrue();
    assertThat(c.realm()).isEqualTo("https://t/token");
    assertThat(Challenge.parse(null)).isNull();
    assertThat(Challenge.parse("Negotiate abc")).isNull();
  }

  @Test
  void scopesMergeNewFirstWithUnionOfActions() {
    assertThat(Scopes.merge(List.of("repository:a/b:push"), List.of("repository:a/b:pull", "repository:c/d:pull")))
        .containsExactly("repository:a/b:push,pull", "repository:c/d:pull");
    assertThat(Scopes.merge(List.of("registry:catalog:*"), List.of("registry:catalog:*")))
        .containsExactly("registry:catalog:*");
  }
}
