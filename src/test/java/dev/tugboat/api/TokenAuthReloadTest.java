package dev.tugboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokens file guards PUT and DELETE and is reloaded without a restart: in-place writes, replacement by
 * rename, deletion, Kubernetes ConfigMap symlink swaps, and a broken file that keeps the last good tokens.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TokenAuthReloadTest {
  static final Duration RELOAD = Duration.ofSeconds(5);
  @TempDir static Path dir;
  static Path tokensFile;
  static TestServer server;

  @BeforeAll
  static void start() throws IOException {
    tokensFile = dir.resolve("tokens.yaml");
    write(tokensFile, "good-token", "disabled-token");
    server = TestServer.start(Vendor.POSTGRESQL, Map.of("auth.tokensFile", tokensFile.toString(),
        "auth.reloadInterval", "100ms"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static void write(Path file, String enabled, String disabled) throws IOException {
    Files.writeString(file, "tokens:\n"
        + "  - name: ci\n    token: '" + enabled + "'\n    is_disabled: false\n    description: CI pipeline\n"
        + (disabled == null ? "" : "  - name: old\n    token: '" + disabled + "'\n    is_disabled: true\n"));
  }

  static int put(String token) {
    return server.send("PUT", "/images", "{\"id\":\"auth-test\",\"name\":\"example.org/auth/test\",\"tags\":[\"v1\"]}",
        token).statusCode();
  }

  static void awaitAccepted(String token) {
    await().atMost(RELOAD).untilAsserted(() -> assertThat(put(token)).isEqualTo(200));
  }

  static void awaitRefused(String token) {
    await().atMost(RELOAD).untilAsserted(() -> assertThat(put(token)).isEqualTo(401));
  }

  @Test
  @Order(1)
  @DisplayName("PUT and DELETE need a known, enabled bearer token; GETs stay open")
  void guardsMutatingRoutes() {
    assertThat(put("good-token")).isEqualTo(200);
    assertThat(put(null)).isEqualTo(401);
    assertThat(put("disabled-token")).isEqualTo(401);
    assertThat(put("good-token-but-longer")).isEqualTo(401);
    assertThat(server.send("PUT", "/images", "{}", null).body()).contains("unauthorized").doesNotContain("good-token");
    assertThat(server.send("DELETE", "/images/auth-test", null, "wrong").statusCode()).isEqualTo(401);
    assertThat(server.get("/images/auth-test").statusCode()).isEqualTo(200);
    assertThat(server.send("DELETE", "/images/auth-test", null, "good-token").statusCode()).isEqualTo(204);
    assertThat(server.send("GET", "/images", null, null).statusCode()).isEqualTo(200);
  }

  @Test
  @Order(2)
  @DisplayName("an in-place write is picked up: the new token works, the old one stops working")
  void inPlaceWrite() throws IOException {
    write(tokensFile, "second-token", null);
    awaitAccepted("second-token");
    assertThat(put("good-token")).isEqualTo(401);
  }

  @Test
  @Order(3)
  @DisplayName("replacement by rename is picked up")
  void replacedByRename() throws IOException {
    Path staged = dir.resolve("tokens.yaml.new");
    write(staged, "third-token", null);
    Files.move(staged, tokensFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    awaitAccepted("third-token");
    assertThat(put("second-token")).isEqualTo(401);
  }

  @Test
  @Order(4)
  @DisplayName("a file that fails to parse keeps the last good tokens")
  void brokenFileKeepsTokens() throws IOException {
    Files.writeString(tokensFile, "tokens: [ {token: 'x'\n  - broken");
    // the broken file must have been read at least once: wait for a reload cycle by watching a later good write
    await().pollDelay(Duration.ofMillis(300)).atMost(RELOAD).untilAsserted(() -> assertThat(put("third-token")).isEqualTo(200));
    Files.writeString(tokensFile, "tokens: \"not a list\"\n");
    await().pollDelay(Duration.ofMillis(300)).atMost(RELOAD).untilAsserted(() -> assertThat(put("third-token")).isEqualTo(200));
  }

  @Test
  @Order(5)
  @DisplayName("deleting the file refuses every token until it comes back")
  void deletedThenRecreated() throws IOException {
    Files.delete(tokensFile);
    awaitRefused("third-token");
    write(tokensFile, "fourth-token", null);
    awaitAccepted("fourth-token");
  }

  @Test
  @Order(6)
  @DisplayName("a Kubernetes ConfigMap symlink swap (..data → new timestamped dir) is picked up")
  void configMapSymlinkSwap() throws IOException {
    Path mount = Files.createDirectory(dir.resolve("configmap"));
    Path first = Files.createDirectory(mount.resolve("..2026_11_23_10_00_00.000000001"));
    write(first.resolve("tokens.yaml"), "cm-token-1", null);
    Files.createSymbolicLink(mount.resolve("..data"), first.getFileName());
    Path link = mount.resolve("tokens.yaml");
    Files.createSymbolicLink(link, Path.of("..data/tokens.yaml"));
    // point the running server at the mounted file through the old path: replace tokens.yaml by a symlink to it
    Path swapLink = dir.resolve("tokens.yaml.link");
    Files.createSymbolicLink(swapLink, link);
    Files.move(swapLink, tokensFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    awaitAccepted("cm-token-1");

    Path second = Files.createDirectory(mount.resolve("..2026_11_23_10_05_00.000000002"));
    write(second.resolve("tokens.yaml"), "cm-token-2", null);
    Path dataTmp = mount.resolve("..data_tmp");
    Files.createSymbolicLink(dataTmp, second.getFileName());
    Files.move(dataTmp, mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    awaitAccepted("cm-token-2");
    assertThat(put("cm-token-1")).isEqualTo(401);
  }
}
