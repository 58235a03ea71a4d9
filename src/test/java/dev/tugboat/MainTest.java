package dev.tugboat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestDatabases;
import dev.tugboat.testing.TestServer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line: help, version, migrate, and start-up refusing invalid configuration by key. */
class MainTest {
  static MainTestSupport.Run run(String... args) {
    return MainTestSupport.run(args);
  }

  @ParameterizedTest
  @ValueSource(strings = {"server", "migrate", "updater", "copy", "version"})
  @DisplayName("every command has --help naming its options")
  void helpOnEveryCommand(String command) {
    MainTestSupport.Run run = run(command, "--help");
    assertThat(run.code()).isZero();
    assertThat(run.out()).contains("Usage: tugboat " + command);
    if (!command.equals("version")) {
      assertThat(run.out()).contains("--config", "--set");
    }
  }

  @Test
  void version() {
    MainTestSupport.Run run = run("version");
    assertThat(run.code()).isZero();
    assertThat(run.out()).matches("(?s)tugboat \\d+\\.\\d+\\.\\d+.*");
  }

  @Test
  @DisplayName("invalid configuration stops start-up with one message naming the key")
  void invalidConfigurationNamesKey() {
    MainTestSupport.Run badPort = run("server", "--set", "http.port=eighty");
    assertThat(badPort.code()).isEqualTo(1);
    assertThat(badPort.err()).contains("invalid configuration", "http.port");
    MainTestSupport.Run unknown = run("server", "--set", "htp.port=1");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).contains("htp.port");
    MainTestSupport.Run badUrl = run("server", "--set", "db.url=oracle://x/y", "--set", "http.port=0");
    assertThat(badUrl.code()).isEqualTo(1);
    assertThat(badUrl.err()).contains("db.url");
  }

  @ParameterizedTest
  @EnumSource(Vendor.class)
  @DisplayName("tugboat migrate applies the schema to an empty database, then nothing")
  void migrate(Vendor vendor) throws java.io.IOException {
    long migrations;
    try (var files = java.nio.file.Files.list(java.nio.file.Path.of("src/main/resources/db/migration",
        vendor == Vendor.POSTGRESQL ? "postgresql" : "mysql"))) {
      migrations = files.filter(f -> f.getFileName().toString().matches("V\\d+__.*\\.sql")).count();
    }
    assertThat(migrations).isPositive();
    DbUrl url = TestDatabases.fresh(vendor);
    try {
      MainTestSupport.Run first = run("migrate", "--set", "db.url=" + TestServer.urlOf(url));
      assertThat(first.code()).as(first.err()).isZero();
      assertThat(first.out()).contains(migrations + " migration(s) applied");
      MainTestSupport.Run second = run("migrate", "--set", "db.url=" + TestServer.urlOf(url));
      assertThat(second.out()).contains("0 migration(s) applied");
    } finally {
      TestDatabases.drop(url);
    }
  }
}
