package dev.tugboat.testing;

import dev.tugboat.Server;
import dev.tugboat.config.ConfigLoader;
import dev.tugboat.config.Settings;
import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A whole Tugboat node for black-box HTTP tests: its own fresh database on the vendor's real server,
 * a free loopback port, settings loaded through the real {@link ConfigLoader} with {@code --set} overrides.
 */
public final class TestServer implements AutoCloseable {
  private final Server server;
  private final DbUrl database;
  private final boolean ownsDatabase;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private boolean stopped;

  private TestServer(Server server, DbUrl database, boolean ownsDatabase) {
    this.server = server;
    this.database = database;
    this.ownsDatabase = ownsDatabase;
  }

  public static TestServer start(Vendor vendor, Map<String, String> overrides) {
    DbUrl database = TestDatabases.fresh(vendor);
    return start(database, urlOf(database), overrides);
  }

  /** A node on {@code database} (fresh, dropped on close) reached through {@code dbUrl}, e.g. via a {@link TcpProxy}. */
  public static TestServer start(DbUrl database, String dbUrl, Map<String, String> overrides) {
    return new TestServer(Server.start(settings(dbUrl, overrides)).await(), database, true);
  }

  /** Another node on the database of {@code first} (a cluster sharing one database); it leaves the database alone. */
  public static TestServer join(TestServer first, Map<String, String> overrides) {
    return new TestServer(Server.start(settings(urlOf(first.database), overrides)).await(), first.database, false);
  }

  private static Settings settings(String dbUrl, Map<String, String> overrides) {
    Map<String, String> sets = new LinkedHashMap<>();
    sets.put("db.url", dbUrl);
    sets.put("http.host", "127.0.0.1");
    sets.put("http.port", "0");
    sets.put("http.instances", "2");
    sets.putAll(overrides);
    return settings(sets);
  }

  /** Settings as the CLI would build them from {@code --set} pairs (the process environment is ignored). */
  public static Settings settings(Map<String, String> sets) {
    Vertx vertx = Vertx.vertx();
    try {
      return new ConfigLoader(null, Map.of(), sets).load(vertx).await();
    } finally {
      vertx.close().await();
    }
  }

  public static String urlOf(DbUrl db) {
    return (db.vendor() == Vendor.POSTGRESQL ? "postgresql" : "mysql") + "://" + db.user()
        + (db.password().isEmpty() ? "" : ":" + db.password()) + "@" + db.host() + ":" + db.port() + "/" + db.database();
  }

  public Server server() {
    return server;
  }

  public DbUrl database() {
    return database;
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  public HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  public HttpResponse<String> send(String method, String path, String body, String bearer) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return send(request);
  }

  /** Sends {@code request}; the answer is checked against openapi.yaml ({@link ApiDescription}) before it is returned. */
  public HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      HttpRequest sent = request.timeout(Duration.ofSeconds(30)).build();
      HttpResponse<String> response = http.send(sent, HttpResponse.BodyHandlers.ofString());
      Map<String, String> headers = new LinkedHashMap<>();
      response.headers().map().forEach((name, values) -> headers.put(name, String.join(", ", values)));
      String target = sent.uri().getRawPath() + (sent.uri().getRawQuery() == null ? "" : "?" + sent.uri().getRawQuery());
      ApiDescription.check(sent.method(), target, response.statusCode(), headers, response.body());
      return response;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Stops the node as SIGTERM would, keeping its database for the nodes that joined it (failover tests). */
  public void stop() {
    if (!stopped) {
      stopped = true;
      server.close().await();
    }
  }

  @Override
  public void close() {
    stop();
    if (ownsDatabase) {
      TestDatabases.drop(database);
    }
  }
}
