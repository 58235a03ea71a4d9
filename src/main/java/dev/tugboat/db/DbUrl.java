package dev.tugboat.db;

import dev.tugboat.config.ConfigException;
import io.vertx.mysqlclient.MySQLConnectOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.SqlConnectOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A parsed {@code db.url}: {@code postgresql://user:pass@host:5432/db} or {@code mysql://user:pass@host:3306/db}
 * ({@code postgres://}, {@code mariadb://} and a leading {@code jdbc:} are accepted too).
 * {@link #toString()} never shows the password.
 */
public record DbUrl(Vendor vendor, String host, int port, String database, String user, String password) {

  public static DbUrl parse(String key, String url) {
    String text = url.startsWith("jdbc:") ? url.substring(5) : url;
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new ConfigException(key, "not a database URL (expected postgresql://user:pass@host:5432/db or mysql://...)");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    Vendor vendor = switch (scheme) {
      case "postgresql", "postgres" -> Vendor.POSTGRESQL;
      case "mysql", "mariadb" -> Vendor.MYSQL;
      default -> throw new ConfigException(key, "unsupported scheme '" + scheme + "' (use postgresql:// or mysql://)");
    };
    if (uri.getHost() == null) {
      throw new ConfigException(key, "missing host");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceFirst("^/", "");
    if (path.isEmpty()) {
      throw new ConfigException(key, "missing database name");
    }
    String user = vendor == Vendor.POSTGRESQL ? "postgres" : "root";
    String password = "";
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : "";
    }
    int port = uri.getPort() > 0 ? uri.getPort() : vendor == Vendor.POSTGRESQL ? 5432 : 3306;
    return new DbUrl(vendor, uri.getHost(), port, decode(path), user, password);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  public String jdbcUrl() {
    return vendor == Vendor.POSTGRESQL
        ? "jdbc:postgresql://" + host + ":" + port + "/" + database
        : "jdbc:mariadb://" + host + ":" + port + "/" + database;
  }

  public SqlConnectOptions connectOptions() {
    SqlConnectOptions options = vendor == Vendor.POSTGRESQL
        ? new PgConnectOptions().setPipeliningLimit(16)
        : new MySQLConnectOptions().setCharset("utf8mb4");
    return options.setHost(host).setPort(port).setDatabase(database).setUser(user).setPassword(password)
        .setCachePreparedStatements(true);
  }

  /** The same URL pointing at another database on the same server (tests create one per class). */
  public DbUrl withDatabase(String name) {
    return new DbUrl(vendor, host, port, name, user, password);
  }

  public String redacted() {
    return (vendor == Vendor.POSTGRESQL ? "postgresql" : "mysql") + "://" + user
        + (password.isEmpty() ? "" : ":***") + "@" + host + ":" + port + "/" + database;
  }

  @Override
  public String toString() {
    return redacted();
  }
}
