package dev.tugboat.testing;

import dev.tugboat.db.DbUrl;
import dev.tugboat.db.EmbeddedPostgresServer;
import dev.tugboat.db.Vendor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.mariadb.MariaDBContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Real database servers for tests (DESIGN "Real services in tests"): {@code TEST_PG_URL} /
 * {@code TEST_MYSQL_URL}, else a server on 127.0.0.1:5432 / :3306, else Testcontainers when a Docker engine
 * answers, else (PostgreSQL only) embedded PostgreSQL. {@link #fresh(Vendor)} hands each test class its own
 * new database; {@link #drop(DbUrl)} removes it.
 */
public final class TestDatabases {
  private static final Map<Vendor, DbUrl> SERVERS = new EnumMap<>(Vendor.class);

  private TestDatabases() {}

  /** A new, empty database on the vendor's test server (not migrated). */
  public static synchronized DbUrl fresh(Vendor vendor) {
    DbUrl server = server(vendor);
    String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    execute(server, vendor == Vendor.POSTGRESQL
        ? "CREATE DATABASE " + name
        : "CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
    return server.withDatabase(name);
  }

  public static void drop(DbUrl database) {
    DbUrl server = SERVERS.get(database.vendor());
    execute(server, database.vendor() == Vendor.POSTGRESQL
        ? "DROP DATABASE IF EXISTS " + database.database() + " WITH (FORCE)"
        : "DROP DATABASE IF EXISTS " + database.database());
  }

  private static void execute(DbUrl server, String sql) {
    try (Connection c = DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password())) {
      c.createStatement().execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + " failed on " + server + ": " + e.getMessage(), e);
    }
  }

  private static DbUrl server(Vendor vendor) {
    return SERVERS.computeIfAbsent(vendor, TestDatabases::locate);
  }

  private static DbUrl locate(Vendor vendor) {
    boolean pg = vendor == Vendor.POSTGRESQL;
    String configured = setting(pg ? "TEST_PG_URL" : "TEST_MYSQL_URL");
    if (configured != null) {
      return DbUrl.parse(pg ? "TEST_PG_URL" : "TEST_MYSQL_URL", configured);
    }
    int port = pg ? 5432 : 3306;
    if (listening(port)) {
      return pg ? new DbUrl(vendor, "127.0.0.1", port, "test", "postgres", "")
          : new DbUrl(vendor, "127.0.0.1", port, "test", "root", "");
    }
    if (DockerClientFactory.instance().isDockerAvailable()) {
      return pg ? fromContainer(new PostgreSQLContainer("postgres:16-alpine"), vendor)
          : fromContainer(new MariaDBContainer("mariadb:11"), vendor);
    }
    if (pg) {
      return embedded();
    }
    Assumptions.abort("no MySQL/MariaDB: set TEST_MYSQL_URL, run one on 127.0.0.1:3306 (make test does), or start Docker");
    return null;
  }

  private static DbUrl fromContainer(org.testcontainers.containers.JdbcDatabaseContainer<?> container, Vendor vendor) {
    container.start();
    Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
    // the root/postgres user may create databases
    return new DbUrl(vendor, container.getHost(), container.getFirstMappedPort(), container.getDatabaseName(),
        vendor == Vendor.POSTGRESQL ? container.getUsername() : "root", container.getPassword());
  }

  private static DbUrl embedded() {
    try {
      EmbeddedPostgresServer server = EmbeddedPostgresServer.start(Files.createTempDirectory("tugboat-test-pg"));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          server.close();
        } catch (IOException ignored) {
          // the JVM is exiting
        }
      }));
      return server.url();
    } catch (IOException e) {
      throw new IllegalStateException("embedded PostgreSQL did not start", e);
    }
  }

  private static String setting(String name) {
    String value = System.getProperty(name.toLowerCase(Locale.ROOT).replace('_', '.'), System.getenv(name));
    return value == null || value.isBlank() ? null : value;
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 250);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
