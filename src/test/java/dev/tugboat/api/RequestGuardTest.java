package dev.tugboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.RawHttp;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Malformed paths and queries are refused at the door with a 400 naming the field, on PostgreSQL. */
class RequestGuardTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(Vendor.POSTGRESQL, Map.of());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName("strict decoding: malformed escapes and invalid UTF-8 are null, '+' is a space only in queries")
  void decoding() {
    assertThat(RequestGuard.decode("a%2Fb", false)).isEqualTo("a/b");
    assertThat(RequestGuard.decode("a+b", false)).isEqualTo("a+b");
    assertThat(RequestGuard.decode("a+b", true)).isEqualTo("a b");
    assertThat(RequestGuard.decode("%zz", false)).isNull();
    assertThat(RequestGuard.decode("%4", false)).isNull();
    assertThat(RequestGuard.decode("%ff%fe", false)).isNull();
    assertThat(RequestGuard.decode("%C3%A9", false)).isEqualTo("é");
    assertThat(RequestGuard.problem("a%00b", false)).contains("NUL");
  }

  @ParameterizedTest(name = "{0} → 400 naming {1}")
  @CsvSource({
      "/images/a%00b, path",
      "/images/%zz, path",
      "/images?name=a%00b, name",
      "/images?name=%zz, name",
      "/api/v1/images?tag=a%00b, tag",
      "/api/distribute/image/a%00b, path",
      "/tags/a%00b, path",
      "/api/v1/deployments?repo=a%00b, repo",
      "/v2/images/a%ff, path",
  })
  void refused(String path, String field) {
    RawHttp.Response response = RawHttp.request(server.server().port(), "GET", path, null, null, 5000);
    assertThat(response.status()).as(response.body()).isEqualTo(400);
    assertThat(new JsonObject(response.body()).getJsonObject("error").getString("field")).isEqualTo(field);
  }
}
