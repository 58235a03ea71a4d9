package dev.tugboat.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;

/**
 * The embedded PostgreSQL used when {@code db.url} is empty: its files live under {@code db.embeddedDir}
 * and survive restarts (initdb runs only on an empty directory). Blocking: start and stop off the event loop.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
  static final String DATABASE = "tugboat";
  private final EmbeddedPostgres postgres;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  public static EmbeddedPostgresServer start(Path dataDirectory) throws IOException {
    Files.createDirectories(dataDirectory);
    EmbeddedPostgres postgres = EmbeddedPostgres.builder()
        .setDataDirectory(dataDirectory)
        .setCleanDataDirectory(false)
        .setServerConfig("listen_addresses", "127.0.0.1")
        .start();
    EmbeddedPostgresServer server = new EmbeddedPostgresServer(postgres);
    server.createDatabaseIfMissing();
    return server;
  }

  private void createDatabaseIfMissing() throws IOException {
    try (Connection c = postgres.getPostgresDatabase().getConnection();
         ResultSet rs = c.createStatement().executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
      if (!rs.next()) {
        c.createStatement().execute("CREATE DATABASE " + DATABASE);
      }
    } catch (java.sql.SQLException e) {
      throw new IOException("embedded PostgreSQL: cannot create database " + DATABASE, e);
    }
  }

  public DbUrl url() {
    return new DbUrl(Vendor.POSTGRESQL, "127.0.0.1", postgres.getPort(), DATABASE, "postgres", "");
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
