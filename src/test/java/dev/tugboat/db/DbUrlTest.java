package dev.tugboat.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tugboat.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DbUrlTest {

  @Test
  void sslModeIsUnderstoodAndOtherParametersRefused() {
    DbUrl pg = DbUrl.parse("db.url", "postgresql://u:p@h:5432/db?sslmode=verify-full");
    assertThat(pg.sslMode()).isEqualTo("verify-full");
    assertThat(pg.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/db?sslmode=verify-full");
    assertThat(((io.vertx.pgclient.PgConnectOptions) pg.connectOptions()).getSslMode())
        .isEqualTo(io.vertx.pgclient.SslMode.VERIFY_FULL);
    DbUrl my = DbUrl.parse("db.url", "mysql://u:p@h/db?sslmode=REQUIRED");
    assertThat(((io.vertx.mysqlclient.MySQLConnectOptions) my.connectOptions()).getSslMode())
        .isEqualTo(io.vertx.mysqlclient.SslMode.REQUIRED);
    assertThat(DbUrl.parse("db.url", "postgresql://h/db").sslMode()).isEmpty();
    ConfigException unknown = catchThrowableOfType(ConfigException.class,
        () -> DbUrl.parse("db.url", "postgresql://h/db?connect_timeout=5"));
    assertThat(unknown.key()).isEqualTo("db.url");
    assertThat(unknown.getMessage()).contains("connect_timeout");
    ConfigException badMode = catchThrowableOfType(ConfigException.class,
        () -> DbUrl.parse("db.url", "postgresql://h/db?sslmode=maybe"));
    assertThat(badMode.getMessage()).contains("sslmode");
  }

  @Test
  void postgresqlWithEncodedPassword() {
    DbUrl u = DbUrl.parse("db.url", "postgresql://u:p%40ss@h:5433/db");
    assertThat(u.vendor()).isEqualTo(Vendor.POSTGRESQL);
    assertThat(u.host()).isEqualTo("h");
    assertThat(u.port()).isEqualTo(5433);
    assertThat(u.database()).isEqualTo("db");
    assertThat(u.user()).isEqualTo("u");
    assertThat(u.password()).isEqualTo("p@ss");
    assertThat(u.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5433/db");
  }

  @ParameterizedTest
  @CsvSource({
      "postgres://u:p@h/db,POSTGRESQL,5432,u",
      "postgresql://h/db,POSTGRESQL,5432,postgres",
      "jdbc:postgresql://h:6000/db,POSTGRESQL,6000,postgres",
      "mysql://h/db,MYSQL,3306,root",
      "mariadb://me:pw@h:3307/db,MYSQL,3307,me",
      "jdbc:mysql://h/db,MYSQL,3306,root"})
  void schemesPortsAndUsers(String url, Vendor vendor, int port, String user) {
    DbUrl u = DbUrl.parse("db.url", url);
    assertThat(u.vendor()).isEqualTo(vendor);
    assertThat(u.port()).isEqualTo(port);
    assertThat(u.user()).isEqualTo(user);
    assertThat(u.host()).isEqualTo("h");
    assertThat(u.database()).isEqualTo("db");
  }

  @Test
  void userWithoutPassword() {
    DbUrl u = DbUrl.parse("db.url", "postgresql://alice@h/db");
    assertThat(u.user()).isEqualTo("alice");
    assertThat(u.password()).isEmpty();
    assertThat(u.redacted()).isEqualTo("postgresql://alice@h:5432/db");
  }

  @Test
  void mysqlJdbcUrlUsesMariadbDriver() {
    assertThat(DbUrl.parse("db.url", "mysql://u:p@h:3306/app").jdbcUrl()).isEqualTo("jdbc:mariadb://h:3306/app");
  }

  @Test
  void passwordColonAndPercentEncodingDecoded() {
    DbUrl u = DbUrl.parse("db.url", "postgresql://u%2Bx:a:b%2Fc@h/db");
    assertThat(u.user()).isEqualTo("u+x");
    assertThat(u.password()).isEqualTo("a:b/c");
  }

  /** In a URL's user info '+' is a literal plus (RFC 3986, libpq): it is not form-encoding for a space. */
  @Test
  void plusInPasswordIsLiteral() {
    assertThat(DbUrl.parse("db.url", "postgresql://u:a+b@h/db").password()).isEqualTo("a+b");
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql://h:5432", "postgresql://h:5432/", "sqlite:///tmp/x.db", "oracle://h/db", "h:5432/db",
      "not a url", "postgresql:///db", "", "jdbc:"})
  void invalidUrlsNameTheKey(String url) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> DbUrl.parse("db.url", url));
    assertThat(e).as("expected ConfigException for '%s'", url).isNotNull();
    assertThat(e.key()).isEqualTo("db.url");
    assertThat(e.getMessage()).startsWith("db.url: ");
  }

  @Test
  void unknownSchemeIsNamed() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> DbUrl.parse("db.url", "oracle://h/db"));
    assertThat(e.getMessage()).contains("oracle");
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql://u:Sup3r-S3cret@h:5433/db", "mysql://u:Sup3r-S3cret@h/db",
      "postgresql://u:Sup3r%2DS3cret@h/db"})
  void redactedNeverShowsThePassword(String url) {
    DbUrl u = DbUrl.parse("db.url", url);
    assertThat(u.password()).isEqualTo("Sup3r-S3cret");
    assertThat(u.toString()).doesNotContain("Sup3r").contains(":***@").contains("u");
    assertThat(u.redacted()).isEqualTo(u.toString());
    assertThat(u.jdbcUrl()).doesNotContain("Sup3r");
  }

  @Test
  void redactedForm() {
    assertThat(DbUrl.parse("db.url", "postgres://u:pw@h/db").redacted()).isEqualTo("postgresql://u:***@h:5432/db");
    assertThat(DbUrl.parse("db.url", "mariadb://u:pw@h/db").redacted()).isEqualTo("mysql://u:***@h:3306/db");
  }

  @Test
  void withDatabaseKeepsTheRest() {
    DbUrl u = DbUrl.parse("db.url", "postgresql://u:pw@h:5433/db").withDatabase("other");
    assertThat(u).isEqualTo(new DbUrl(Vendor.POSTGRESQL, "h", 5433, "other", "u", "pw"));
  }

  @Test
  void connectOptions() {
    var o = DbUrl.parse("db.url", "postgresql://u:p%40ss@h:5433/db").connectOptions();
    assertThat(o).isInstanceOf(io.vertx.pgclient.PgConnectOptions.class);
    assertThat(o.getHost()).isEqualTo("h");
    assertThat(o.getPort()).isEqualTo(5433);
    assertThat(o.getDatabase()).isEqualTo("db");
    assertThat(o.getUser()).isEqualTo("u");
    assertThat(o.getPassword()).isEqualTo("p@ss");
    assertThat(DbUrl.parse("db.url", "mysql://u@h/db").connectOptions()).isInstanceOf(io.vertx.mysqlclient.MySQLConnectOptions.class);
  }
}
