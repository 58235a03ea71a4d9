package dev.tugboat.db;

import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The two database families Tugboat runs on, and the few places their SQL differs. Statements are
 * written once with {@code ?} placeholders; {@link #sql(String)} rewrites them for PostgreSQL.
 */
public enum Vendor {
  POSTGRESQL("postgresql"),
  MYSQL("mysql");

  private final String folder;

  Vendor(String folder) {
    this.folder = folder;
  }

  /** Flyway location of this vendor's migrations. */
  public String migrations() {
    return "classpath:db/migration/" + folder;
  }

  /**
   * Statement run on every new pooled connection, or null. MySQL/MariaDB sessions get strict SQL mode whatever
   * the server's default: an over-long value or an invalid date is then an error, never silently truncated or
   * zeroed (STRICT_ALL_TABLES also covers non-transactional tables and later rows of multi-row inserts).
   * {@code INSERT IGNORE} would still turn such errors into warnings, so inserts use {@link #insertIfAbsent}.
   */
  public String sessionSetup() {
    return this == MYSQL
        ? "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"
        : null;
  }

  /**
   * Runs {@code insert} (an {@code INSERT INTO table (...) VALUES (...)} with {@code ?} placeholders) unless a
   * row with the same key exists; answers whether a row was added. PostgreSQL: {@code ON CONFLICT DO NOTHING}.
   * MySQL: a plain INSERT whose duplicate-key error (1062) means "not added" — not {@code INSERT IGNORE}, which
   * would also turn an over-long value into a warning and store it truncated, strict mode or not.
   */
  public io.vertx.core.Future<Boolean> insertIfAbsent(io.vertx.sqlclient.SqlClient client, String insert,
                                                       io.vertx.sqlclient.Tuple params) {
    if (this == POSTGRESQL) {
      return client.preparedQuery(sql(insert + " ON CONFLICT DO NOTHING")).execute(params)
          .map(rows -> rows.rowCount() == 1);
    }
    return client.preparedQuery(insert).execute(params).map(rows -> true)
        .recover(failure -> failure instanceof io.vertx.sqlclient.DatabaseException e && e.getErrorCode() == 1062
            ? io.vertx.core.Future.succeededFuture(false) : io.vertx.core.Future.failedFuture(failure));
  }

  /** {@code ?} → {@code $1, $2, ...} for PostgreSQL (outside quoted literals); unchanged for MySQL. */
  public String sql(String statement) {
    if (this == MYSQL) {
      return statement;
    }
    StringBuilder out = new StringBuilder(statement.length() + 16);
    int n = 0;
    boolean quoted = false;
    for (char ch : statement.toCharArray()) {
      if (ch == '\'') {
        quoted = !quoted;
      }
      if (ch == '?' && !quoted) {
        out.append('$').append(++n);
      } else {
        out.append(ch);
      }
    }
    return out.toString();
  }

  /** The database's clock plus a number of milliseconds given as the next parameter. */
  public String nowPlusMillisParam() {
    return this == POSTGRESQL
        ? "(clock_timestamp() + ? * interval '1 millisecond')"
        : "TIMESTAMPADD(MICROSECOND, ? * 1000, NOW(6))";
  }

  /** The database's clock (lease comparisons use it, so nodes with skewed clocks still agree). */
  public String now() {
    return this == POSTGRESQL ? "clock_timestamp()" : "NOW(6)";
  }

  /** A value for a timestamp column: timestamptz on PostgreSQL, DATETIME(6) holding UTC on MySQL. */
  public Object timestamp(Instant instant) {
    return this == POSTGRESQL
        ? OffsetDateTime.ofInstant(instant, ZoneOffset.UTC)
        : LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
  }

  /** A boolean column: BOOLEAN on PostgreSQL, TINYINT(1) on MySQL. */
  public boolean bool(Row row, String column) {
    Object value = row.getValue(column);
    return value instanceof Boolean b ? b : value instanceof Number n && n.intValue() != 0;
  }

  public Instant instant(Row row, String column) {
    Object value = row.getValue(column);
    if (value instanceof OffsetDateTime odt) {
      return odt.toInstant();
    }
    if (value instanceof LocalDateTime ldt) {
      return ldt.toInstant(ZoneOffset.UTC);
    }
    return value == null ? null : Instant.parse(value.toString());
  }
}
