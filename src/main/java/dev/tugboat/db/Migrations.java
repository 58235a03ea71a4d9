package dev.tugboat.db;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Flyway over JDBC, one folder per vendor. Blocking: call it from {@code executeBlocking} or before Vert.x
 * starts. Flyway takes a database lock, so several nodes starting together migrate once.
 */
public final class Migrations {
  private Migrations() {}

  public static MigrateResult run(DbUrl url) {
    return Flyway.configure()
        .dataSource(url.jdbcUrl(), url.user(), url.password())
        .locations(url.vendor().migrations())
        .failOnMissingLocations(true)
        .load()
        .migrate();
  }
}
