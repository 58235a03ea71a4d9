package dev.tugboat.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.testing.TestDatabases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each vendor's migrations apply to an empty database, and a second run applies nothing. */
class MigrationsTest {
  @ParameterizedTest
  @EnumSource(Vendor.class)
  void migratesOnceThenNothing(Vendor vendor) {
    DbUrl url = TestDatabases.fresh(vendor);
    try {
      assertThat(Migrations.run(url).migrationsExecuted).isGreaterThanOrEqualTo(1);
      assertThat(Migrations.run(url).migrationsExecuted).isZero();
    } finally {
      TestDatabases.drop(url);
    }
  }
}
