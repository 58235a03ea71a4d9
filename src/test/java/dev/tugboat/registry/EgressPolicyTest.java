package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EgressPolicyTest {
  static final EgressPolicy DEFAULTS = EgressPolicy.of(List.of(), EgressPolicy.DEFAULT_DENY);

  @ParameterizedTest(name = "default policy refuses {0}")
  @ValueSource(strings = {"169.254.169.254", "169.254.169.254:80", "169.254.0.1", "[fe80::1]",
      "[fd00:ec2::254]:80", "::ffff:169.254.169.254", "[::ffff:a9fe:a9fe]"})
  void defaultDenials(String host) {
    assertThat(DEFAULTS.refusal(host)).contains("egress.deny");
  }

  @ParameterizedTest(name = "default policy allows {0}")
  @ValueSource(strings = {"registry-1.docker.io", "127.0.0.1:5000", "10.0.0.1", "[::1]:5000", "fd00:ec2::253",
      "169.253.255.255", "169.255.0.0", "quay.io"})
  void defaultAllows(String host) {
    assertThat(DEFAULTS.refusal(host)).isNull();
  }

  @Test
  @DisplayName("deny wins over allow; a non-empty allow list admits only what it names")
  void allowAndDeny() {
    EgressPolicy policy = EgressPolicy.of(List.of("*.example.com", "10.0.0.0/8", "registry.local"),
        List.of("bad.example.com", "10.9.0.0/16"));
    assertThat(policy.refusal("r.example.com:443")).isNull();
    assertThat(policy.refusal("a.b.example.com")).isNull();
    assertThat(policy.refusal("example.com")).contains("not in egress.allow");
    assertThat(policy.refusal("bad.example.com")).contains("denied");
    assertThat(policy.refusal("10.1.2.3")).isNull();
    assertThat(policy.refusal("10.9.2.3")).contains("10.9.0.0/16");
    assertThat(policy.refusal("registry.local.")).isNull();
    assertThat(policy.refusal("quay.io")).contains("not in egress.allow");
  }

  @Test
  @DisplayName("resolved addresses are checked against the deny blocks")
  void resolvedAddress() {
    assertThat(DEFAULTS.refusalOfAddress("169.254.169.254")).contains("169.254.0.0/16");
    assertThat(DEFAULTS.refusalOfAddress("127.0.0.1")).isNull();
    assertThat(EgressPolicy.of(List.of(), List.of("127.0.0.2")).refusalOfAddress("127.0.0.2")).contains("127.0.0.2");
  }

  @Test
  @DisplayName("URLs: the host is checked; unusable URLs are refused as such")
  void urls() {
    EgressPolicy policy = EgressPolicy.of(List.of(), List.of("127.0.0.2"));
    policy.check("http://127.0.0.1:5000/v2/");
    assertThatThrownBy(() -> policy.check("http://127.0.0.2:5000/v2/")).isInstanceOf(EgressPolicy.Denied.class)
        .hasMessageContaining("127.0.0.2");
    assertThatThrownBy(() -> policy.check("http://user@[::1")).isInstanceOf(EgressPolicy.Denied.class);
  }

  @ParameterizedTest(name = "pattern {0} is refused")
  @ValueSource(strings = {"10.0.0.0/33", "::/129", "bad_host!", "a/b", "10.0.0.0/x"})
  void badPatterns(String pattern) {
    assertThatThrownBy(() -> EgressPolicy.of(List.of(), List.of(pattern))).isInstanceOf(IllegalArgumentException.class);
  }
}
