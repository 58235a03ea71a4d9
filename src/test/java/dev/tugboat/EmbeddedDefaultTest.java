package dev.tugboat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Empty db.url: the server runs on embedded PostgreSQL under db.embeddedDir and keeps its data across a restart. */
class EmbeddedDefaultTest {
  @TempDir Path dataDir;
  final HttpClient http = HttpClient.newHttpClient();

  Server start() {
    return Server.start(TestServer.settings(Map.of("db.url", "", "db.embeddedDir", dataDir.toString(),
        "http.host", "127.0.0.1", "http.port", "0", "http.instances", "1"))).await();
  }

  HttpResponse<String> send(Server server, String method, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("an entry written before a restart is served after it")
  void keepsDataAcrossRestart() throws Exception {
    Server first = start();
    try {
      assertThat(first.services().db().url().host()).isEqualTo("127.0.0.1");
      assertThat(send(first, "PUT", "/images", "{\"id\":\"kept@sha256:" + "0".repeat(64)
          + "\",\"name\":\"example.org/kept\",\"tags\":[\"v1\"]}").statusCode()).isEqualTo(200);
    } finally {
      first.close().await();
    }
    assertThat(dataDir.resolve("PG_VERSION")).exists();

    Server second = start();
    try {
      HttpResponse<String> entry = send(second, "GET", "/images/kept@sha256:" + "0".repeat(64), null);
      assertThat(entry.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(entry.body()).getJsonArray("tags")).containsExactly("v1");
    } finally {
      second.close().await();
    }
  }
}
