package dev.tugboat.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VendorTest {
  @Test
  void postgresqlNumbersPlaceholdersOutsideLiterals() {
    assertThat(Vendor.POSTGRESQL.sql("a = ? AND b = '?' AND c = ?")).isEqualTo("a = $1 AND b = '?' AND c = $2");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "SELECT 1|SELECT 1",
      "?|$1",
      "? ? ? ? ? ? ? ? ? ? ?|$1 $2 $3 $4 $5 $6 $7 $8 $9 $10 $11",
      "x = 'it''s ?' AND y = ?|x = 'it''s ?' AND y = $1",
      "INSERT INTO t VALUES (?, ?, '?', ?)|INSERT INTO t VALUES ($1, $2, '?', $3)"})
  void postgresqlRewrites(String in, String out) {
    assertThat(Vendor.POSTGRESQL.sql(in)).isEqualTo(out);
  }

  @Test
  void mysqlUnchanged() {
    String s = "a = ? AND b = '?' AND c = ?";
    assertThat(Vendor.MYSQL.sql(s)).isEqualTo(s);
  }

  @Test
  void migrationsFolders() {
    assertThat(Vendor.POSTGRESQL.migrations()).isEqualTo("classpath:db/migration/postgresql");
    assertThat(Vendor.MYSQL.migrations()).isEqualTo("classpath:db/migration/mysql");
  }

  @Test
  void timestamps() {
    Instant t = Instant.parse("2024-05-06T07:08:09.123456Z");
    assertThat(Vendor.POSTGRESQL.timestamp(t)).isEqualTo(OffsetDateTime.of(2024, 5, 6, 7, 8, 9, 123456000, ZoneOffset.UTC));
    assertThat(Vendor.MYSQL.timestamp(t)).isEqualTo(LocalDateTime.of(2024, 5, 6, 7, 8, 9, 123456000));
  }
}
