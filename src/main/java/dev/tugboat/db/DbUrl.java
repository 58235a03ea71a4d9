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
 * The one query parameter understood is {@code sslmode} (PostgreSQL: disable|allow|prefer|require|verify-ca|
 * verify-full; MySQL: disabled|preferred|required|verify_ca|verify_identity); others are refused.
 * {@link #toString()} never shows the password.
 */
public record DbUrl(Vendor vendor, String host, int port, String database, String user, String password,
                    String sslMode) {

  public DbUrl(Vendor vendor, String host, int port, String database, String user, String password) {
    this(vendor, host, port, database, user, password, "");
  }

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
    return new DbUrl(vendor, uri.getHost(), port, decode(path), user, password, sslMode(key, vendor, uri.getRawQuery()));
  }

  private static String sslMode(String key, Vendor vendor, String query) {
    String mode = "";
    if (query == null || query.isEmpty()) {
      return mode;
    }
    for (String pair : query.split("&")) {
      String[] kv = pair.split("=", 2);
      if (!kv[0].equalsIgnoreCase("sslmode") || kv.length < 2) {
        throw new ConfigException(key, "unsupported URL parameter '" + kv[0] + "' (only sslmode is understood)");
      }
      mode = decode(kv[1]).toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
    java.util.Set<String> allowed = vendor == Vendor.POSTGRESQL
        ? java.util.Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
        : java.util.Set.of("disabled", "preferred", "required", "verify-ca", "verify-identity");
    if (!allowed.contains(mode)) {
      throw new ConfigException(key, "sslmode must be one of " + new java.util.TreeSet<>(allowed));
    }
    return mode;
  }

  /** Percent-decoding as RFC 3986 userinfo wants it: a '+' stays a '+' (URLDecoder is for form data). */
  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  public String jdbcUrl() {
    if (vendor == Vendor.POSTGRESQL) {
      return "jdbc:postgresql://" + host + ":" + port + "/" + database + (sslMode.isEmpty() ? "" : "?sslmode=" + sslMode);
    }
    String mariadbMode = switch (sslMode) {
      case "required" -> "trust";
      case "verify-ca" -> "verify-ca";
      case "verify-identity" -> "verify-full";
      default -> "disable";
    };
    return "jdbc:mariadb://" + host + ":" + port + "/" + database + (sslMode.isEmpty() ? "" : "?sslMode=" + mariadbMode);
  }

  public SqlConnectOptions connectOptions() {
    SqlConnectOptions options;
    if (vendor == Vendor.POSTGRESQL) {
      PgConnectOptions pg = new PgConnectOptions().setPipeliningLimit(16);
      if (!sslMode.isEmpty()) {
        pg.setSslMode(io.vertx.pgclient.SslMode.of(sslMode));
      }
      options = pg;
    } else {
      MySQLConnectOptions mysql = new MySQLConnectOptions().setCharset("utf8mb4");
      if (!sslMode.isEmpty()) {
        mysql.setSslMode(io.vertx.mysqlclient.SslMode.valueOf(sslMode.toUpperCase(java.util.Locale.ROOT).replace('-', '_')));
      }
      options = mysql;
    }
    return options.setHost(host).setPort(port).setDatabase(database).setUser(user).setPassword(password)
        .setCachePreparedStatements(true);
  }

  /** The same URL pointing at another database on the same server (tests create one per class). */
  public DbUrl withDatabase(String name) {
    return new DbUrl(vendor, host, port, name, user, password, sslMode);
  }

  public String redacted() {
    return (vendor == Vendor.POSTGRESQL ? "postgresql" : "mysql") + "://" + user
        + (password.isEmpty() ? "" : ":***") + "@" + host + ":" + port + "/" + database
        + (sslMode.isEmpty() ? "" : "?sslmode=" + sslMode);
  }

  @Override
  public String toString() {
    return redacted();
  }
}
