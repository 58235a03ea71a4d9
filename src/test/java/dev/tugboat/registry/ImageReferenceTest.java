package dev.tugboat.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {
  private static final String SHA = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  @Test
  void officialImageIsNormalisedToDockerHubLibrary() {
    ImageReference ref = ImageReference.parse("golang");
    assertThat(ref.registry()).isEqualTo("docker.io");
    assertThat(ref.repository()).isEqualTo("library/golang");
    assertThat(ref.name()).isEqualTo("docker.io/library/golang");
    assertThat(ref.apiHost()).isEqualTo("registry-1.docker.io");
    assertThat(ref.tag()).isNull();
    assertThat(ref.digest()).isNull();
    assertThat(ref).hasToString("docker.io/library/golang");
  }

  @ParameterizedTest
  @ValueSource(strings = {"index.docker.io/library/golang", "index.docker.io/golang", "registry-1.docker.io/library/golang",
      "docker.io/golang", "docker.io/library/golang", "  golang  "})
  void dockerHubAliasesNormalise(String text) {
    ImageReference ref = ImageReference.parse(text);
    assertThat(ref.registry()).isEqualTo("docker.io");
    assertThat(ref.repository()).isEqualTo("library/golang");
    assertThat(ref.apiHost()).isEqualTo("registry-1.docker.io");
  }

  @Test
  void userRepositoryWithTag() {
    ImageReference ref = ImageReference.parse("myorg/app:1.0");
    assertThat(ref.registry()).isEqualTo("docker.io");
    assertThat(ref.repository()).isEqualTo("myorg/app");
    assertThat(ref.tag()).isEqualTo("1.0");
    assertThat(ref.digest()).isNull();
    assertThat(ref.name()).isEqualTo("docker.io/myorg/app");
  }

  @Test
  void otherRegistryWithDigest() {
    ImageReference ref = ImageReference.parse("quay.io/foo/nginx@" + SHA);
    assertThat(ref.registry()).isEqualTo("quay.io");
    assertThat(ref.repository()).isEqualTo("foo/nginx");
    assertThat(ref.tag()).isNull();
    assertThat(ref.digest()).isEqualTo(SHA);
    assertThat(ref.apiHost()).isEqualTo("quay.io");
  }

  @Test
  void localhostWithPortTagAndDigest() {
    ImageReference ref = ImageReference.parse("localhost:5000/a/b:tag@" + SHA);
    assertThat(ref.registry()).isEqualTo("localhost:5000");
    assertThat(ref.repository()).isEqualTo("a/b");
    assertThat(ref.tag()).isEqualTo("tag");
    assertThat(ref.digest()).isEqualTo(SHA);
    assertThat(ref.apiHost()).isEqualTo("localhost:5000");
  }

  @Test
  void bareLocalhostIsARegistry() {
    ImageReference ref = ImageReference.parse("localhost/x");
    assertThat(ref.registry()).isEqualTo("localhost");
    assertThat(ref.repository()).isEqualTo("x");
  }

  @Test
  void ipv4RegistryWithPortAndSingleComponentRepositoryIsNotPrefixedWithLibrary() {
    ImageReference ref = ImageReference.parse("127.0.0.1:5000/x");
    assertThat(ref.registry()).isEqualTo("127.0.0.1:5000");
    assertThat(ref.repository()).isEqualTo("x");
    assertThat(ref.tag()).isNull();
  }

  @Test
  void ipv6Registry() {
    ImageReference ref = ImageReference.parse("[::1]:5000/x:y");
    assertThat(ref.registry()).isEqualTo("[::1]:5000");
    assertThat(ref.repository()).isEqualTo("x");
    assertThat(ref.tag()).isEqualTo("y");
    assertThat(ref.name()).isEqualTo("[::1]:5000/x");
  }

  @Test
  void ipv6RegistryWithoutTag() {
    ImageReference ref = ImageReference.parse("[::1]:5000/x");
    assertThat(ref.registry()).isEqualTo("[::1]:5000");
    assertThat(ref.repository()).isEqualTo("x");
    assertThat(ref.tag()).isNull();
  }

  @Test
  void deepRepositoryWithSemverTag() {
    ImageReference ref = ImageReference.parse("registry.example.com/a/b/c:v1.2.3");
    assertThat(ref.registry()).isEqualTo("registry.example.com");
    assertThat(ref.repository()).isEqualTo("a/b/c");
    assertThat(ref.tag()).isEqualTo("v1.2.3");
  }

  @Test
  void uppercaseFirstComponentIsTreatedAsRegistryHost() {
    // like docker: a first component with uppercase letters can only be a host
    ImageReference ref = ImageReference.parse("Foo/bar");
    assertThat(ref.registry()).isEqualTo("Foo");
    assertThat(ref.repository()).isEqualTo("bar");
    assertThat(ref.name()).isEqualTo("Foo/bar");
  }

  @ParameterizedTest
  @ValueSource(strings = {"golang", "golang:1.22", "myorg/app:1.0", "quay.io/foo/nginx@" + SHA,
      "localhost:5000/a/b:tag@" + SHA, "127.0.0.1:5000/x", "[::1]:5000/x:y", "registry.example.com/a/b/c:v1.2.3",
      "a.b-c/x_y__z.w-v:Tag_1"})
  void toStringRoundTrips(String text) {
    ImageReference ref = ImageReference.parse(text);
    assertThat(ImageReference.parse(ref.toString())).isEqualTo(ref);
    assertThat(ref.toString()).endsWith(text.substring(text.lastIndexOf('/') + 1));
  }

  @Test
  void withTagKeepsTheRest() {
    ImageReference ref = ImageReference.parse("quay.io/foo/nginx@" + SHA).withTag("1.25");
    assertThat(ref).hasToString("quay.io/foo/nginx:1.25@" + SHA);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "docker.io/Foo/bar", "quay.io/Foo/bar", "nginx:", "a//b", "/a", "a/", "nginx@sha256:abc",
      "nginx@sha256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", "nginx@md5:abcd",
      "nginx:.hidden", "nginx:-dash", "nginx:a b", "-nginx", "nginx-", "ng..inx", "bad_host.io:abc/x",
      "exa mple.com/x", "nginx@"})
  void invalidReferencesAreRejected(String text) {
    assertThatThrownBy(() -> ImageReference.parse(text)).isInstanceOf(InvalidReferenceException.class);
  }

  @Test
  void nullIsRejected() {
    assertThatThrownBy(() -> ImageReference.parse(null)).isInstanceOf(InvalidReferenceException.class)
        .hasMessageContaining("empty");
  }

  @Test
  void tagLengthLimit() {
    String ok = "a".repeat(128);
    assertThat(ImageReference.parse("nginx:" + ok).tag()).isEqualTo(ok);
    assertThatThrownBy(() -> ImageReference.parse("nginx:" + "a".repeat(129)))
        .isInstanceOf(InvalidReferenceException.class).hasMessageContaining("invalid tag");
  }

  @Test
  void overlongReferenceIsRejected() {
    assertThatThrownBy(() -> ImageReference.parse("a".repeat(4097)))
        .isInstanceOf(InvalidReferenceException.class).hasMessageContaining("4096");
    assertThatThrownBy(() -> ImageReference.parse("a/".repeat(128) + "a"))
        .isInstanceOf(InvalidReferenceException.class).hasMessageContaining("255");
  }

  @ParameterizedTest
  @CsvSource({"latest,true", "1.25.3,true", "_x,true", "A-b.C_d,true", ".x,false", "-x,false", "'',false",
      "a:b,false", "a/b,false", "a b,false"})
  void isValidTag(String tag, boolean valid) {
    assertThat(ImageReference.isValidTag(tag)).isEqualTo(valid);
  }

  @Test
  void isValidTagLengthAndNull() {
    assertThat(ImageReference.isValidTag("x".repeat(128))).isTrue();
    assertThat(ImageReference.isValidTag("x".repeat(129))).isFalse();
    assertThat(ImageReference.isValidTag(null)).isFalse();
    assertThatThrownBy(() -> ImageReference.requireTag(null)).isInstanceOf(InvalidReferenceException.class);
  }

  @Test
  void isValidDigest() {
    assertThat(ImageReference.isValidDigest(SHA)).isTrue();
    assertThat(ImageReference.isValidDigest("sha512:" + "ab".repeat(64))).isTrue();
    assertThat(ImageReference.isValidDigest("sha256:abc")).isFalse();
    assertThat(ImageReference.isValidDigest(SHA + "0")).isFalse();
    assertThat(ImageReference.isValidDigest(SHA.toUpperCase())).isFalse();
    assertThat(ImageReference.isValidDigest("sha512:" + "ab".repeat(32))).isFalse();
    assertThat(ImageReference.isValidDigest("0123456789abcdef".repeat(4))).isFalse();
    assertThat(ImageReference.isValidDigest(null)).isFalse();
    assertThatThrownBy(() -> ImageReference.requireDigest("sha256:abc"))
        .isInstanceOf(InvalidReferenceException.class).hasMessageContaining("sha256:abc");
  }

  @Test
  @org.junit.jupiter.api.DisplayName("onRegistry: explicit host (single label, prefix, port), Docker Hub aliases normalised")
  void onRegistry() {
    assertThat(Repository.on("docker.io", "nginx")).isEqualTo(new Repository("docker.io", "library/nginx"));
    assertThat(Repository.on("index.docker.io", "library/nginx")).isEqualTo(new Repository("docker.io", "library/nginx"));
    assertThat(Repository.on("registry-1.docker.io", "acme/app")).isEqualTo(new Repository("docker.io", "acme/app"));
    assertThat(Repository.on("registry", "app")).isEqualTo(new Repository("registry", "app"));
    assertThat(Repository.on("127.0.0.1:5000", "team/app")).isEqualTo(new Repository("127.0.0.1:5000", "team/app"));
    assertThat(Repository.on("quay.io/acme", "app")).isEqualTo(new Repository("quay.io", "acme/app"));
    assertThatThrownBy(() -> Repository.on("docker.io", "Nginx")).isInstanceOf(InvalidReferenceException.class)
        .hasMessageContaining("Nginx");
    assertThatThrownBy(() -> Repository.on("bad host", "app")).isInstanceOf(InvalidReferenceException.class)
        .hasMessageContaining("bad host");
    assertThatThrownBy(() -> Repository.on("", "app")).isInstanceOf(InvalidReferenceException.class);
    assertThatThrownBy(() -> Repository.on("host:99999", "app")).isInstanceOf(InvalidReferenceException.class);
  }
}
