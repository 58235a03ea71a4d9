package dev.tugboat.allowlist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import dev.tugboat.testing.RawHttp;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** imagelist's routes, black-box over HTTP, on PostgreSQL and on MariaDB. */
@ParameterizedClass
@EnumSource(Vendor.class)
class AllowListApiTest {
  static final String DIGEST = "sha256:b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c";
  @Parameter Vendor vendor;
  static TestServer server;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) {
    server = TestServer.start(vendor, Map.of());
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
  }

  static HttpResponse<String> put(String id, String name, String tagsJson) {
    String body = "{\"id\":\"" + id + "\",\"name\":\"" + name + "\"" + (tagsJson == null ? "" : ",\"tags\":" + tagsJson) + "}";
    return server.send("PUT", "/images", body, null);
  }

  @Test
  @DisplayName("PUT creates an entry and answers 200 with it; GET by an id holding '/' and '@' finds it, raw or encoded")
  void createAndGetIdWithSlashes() {
    String id = "quay.io/foo/nginx@" + DIGEST;
    HttpResponse<String> created = put(id, "quay.io/foo/nginx", "[\"latest\",\"v1.0\"]");
    assertThat(created.statusCode()).isEqualTo(200);
    JsonObject entry = new JsonObject(created.body());
    assertThat(entry.getString("id")).isEqualTo(id);
    assertThat(entry.getString("name")).isEqualTo("quay.io/foo/nginx");
    assertThat(entry.getJsonArray("tags")).containsExactly("latest", "v1.0");
    assertThat(Instant.parse(entry.getString("created_at"))).isEqualTo(Instant.parse(entry.getString("updated_at")));

    HttpResponse<String> raw = server.get("/images/" + id);
    assertThat(raw.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(raw.body())).isEqualTo(entry);
    HttpResponse<String> encoded = server.get("/images/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
    assertThat(encoded.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(encoded.body()).getString("id")).isEqualTo(id);
  }

  @Test
  @DisplayName("PUT on an existing id only replaces tags and bumps updated_at; name and created_at stay")
  void updateOnlyTags() {
    String id = "registry.example.com/team/app@" + DIGEST;
    JsonObject first = new JsonObject(put(id, "registry.example.com/team/app", "[\"v1\"]").body());
    HttpResponse<String> second = put(id, "registry.example.com/other/name", "[\"v2\",\"v3\"]");
    assertThat(second.statusCode()).isEqualTo(200);
    JsonObject updated = new JsonObject(second.body());
    assertThat(updated.getString("name")).isEqualTo("registry.example.com/team/app");
    assertThat(updated.getJsonArray("tags")).containsExactly("v2", "v3");
    assertThat(updated.getString("created_at")).isEqualTo(first.getString("created_at"));
    assertThat(Instant.parse(updated.getString("updated_at"))).isAfter(Instant.parse(first.getString("updated_at")));

    JsonObject withoutTags = new JsonObject(put(id, "registry.example.com/team/app", null).body());
    assertThat(withoutTags.getJsonArray("tags")).containsExactly("v2", "v3");
    JsonObject cleared = new JsonObject(put(id, "registry.example.com/team/app", "[]").body());
    assertThat(cleared.getJsonArray("tags")).isEmpty();
  }

  @Test
  @DisplayName("tags have no 100-character cap: 40 tags of 100+ characters each are stored")
  void manyLongTags() {
    JsonArray tags = new JsonArray();
    for (int i = 0; i < 40; i++) {
      tags.add("release-" + i + "-" + "x".repeat(100));
    }
    HttpResponse<String> response = put("long/tags:id", "example.org/long/tags", tags.encode());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(server.get("/images/long/tags:id").body()).getJsonArray("tags")).isEqualTo(tags);
  }

  @Test
  @DisplayName("GET /images filters by exact name and sorts descending by the sort column, unknown sort → updated_at")
  void listFilterAndSort() {
    put("sort-b", "example.org/sort/list", "[\"1\"]");
    put("sort-a", "example.org/sort/list", "[\"2\"]");
    put("sort-c", "example.org/sort/list", "[\"3\"]");
    put("sort-b", "example.org/sort/list", "[\"4\"]"); // now the most recently updated
    put("other", "example.org/sort/other", "[\"1\"]");

    assertThat(ids("/images?name=example.org/sort/list&sort=id")).containsExactly("sort-c", "sort-b", "sort-a");
    assertThat(ids("/images?name=example.org/sort/list&sort=created_at")).containsExactly("sort-c", "sort-a", "sort-b");
    assertThat(ids("/images?name=example.org/sort/list")).containsExactly("sort-b", "sort-c", "sort-a");
    assertThat(ids("/images?name=example.org/sort/list&sort=nonsense")).containsExactly("sort-b", "sort-c", "sort-a");
    assertThat(ids("/images?name=example.org/sort/other")).containsExactly("other");
    assertThat(ids("/images?sort=name")).contains("other", "sort-a");
  }

  private static java.util.List<String> ids(String path) {
    HttpResponse<String> response = server.get(path);
    assertThat(response.statusCode()).isEqualTo(200);
    return new JsonArray(response.body()).stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }

  @Test
  @DisplayName("DELETE answers 204 and is idempotent; the entry is gone afterwards (id with '/')")
  void deleteIsIdempotent() {
    String id = "quay.io/bar/proxy@" + DIGEST;
    put(id, "quay.io/bar/proxy", "[\"v1.2.3\"]");
    assertThat(server.send("DELETE", "/images/" + id, null, null).statusCode()).isEqualTo(204);
    assertThat(server.get("/images/" + id).statusCode()).isEqualTo(404);
    assertThat(server.send("DELETE", "/images/" + id, null, null).statusCode()).isEqualTo(204);
  }

  @Test
  @DisplayName("unknown id → 404 with the JSON error shape")
  void unknownId() {
    HttpResponse<String> response = server.get("/images/does/not@exist");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(response.body()).getJsonObject("error").getString("code")).isEqualTo("not_found");
  }

  @Test
  @DisplayName("bad input → 400 naming the field, and nothing is stored")
  void badInput() {
    assertField(server.send("PUT", "/images", "{\"name\":\"a/b\"}", null), "id");
    assertField(server.send("PUT", "/images", "{\"id\":\"x1\"}", null), "name");
    assertField(server.send("PUT", "/images", "{\"id\":\"x1\",\"name\":\"a/b:tag\"}", null), "name");
    assertField(server.send("PUT", "/images", "{\"id\":\"x1\",\"name\":\"a/b\",\"tags\":\"v1\"}", null), "tags");
    assertField(server.send("PUT", "/images", "{\"id\":\"x1\",\"name\":\"a/b\",\"tags\":[\"ok\",\".bad\"]}", null), "tags[1]");
    assertField(server.send("PUT", "/images", "{\"id\":\"x1\",\"name\":\"a/b\",\"tags\":[\"" + "t".repeat(129) + "\"]}", null),
        "tags[0]");
    assertField(server.send("PUT", "/images", "not json", null), "body");
    assertThat(server.get("/images/x1").statusCode()).isEqualTo(404);
  }

  static void assertField(HttpResponse<String> response, String field) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).contains("json"));
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertThat(error.getString("field")).isEqualTo(field);
    assertThat(error.getString("message")).isNotBlank();
  }

  @Test
  @DisplayName("ids and tags are case-sensitive on both databases")
  void caseSensitive() {
    put("CaseId", "example.org/case/test", "[\"V1\"]");
    put("caseid", "example.org/case/test", "[\"v1\"]");
    assertThat(new JsonObject(server.get("/images/CaseId").body()).getJsonArray("tags")).containsExactly("V1");
    assertThat(new JsonObject(server.get("/images/caseid").body()).getJsonArray("tags")).containsExactly("v1");
  }

  @Test
  @DisplayName("lengths are the columns': a 550-character name or a 513-character id → 400 on both databases, 512 fits")
  void columnLengths() {
    assertField(put("len-1", "quay.io/" + "a".repeat(550), "[]"), "name");
    assertField(put("i".repeat(AllowListStore.ID_LENGTH + 1), "quay.io/len", "[]"), "id");
    String id = "\u00e9".repeat(AllowListStore.ID_LENGTH); // 512 characters, 1024 bytes: counted as the columns count
    String name = "h".repeat(AllowListStore.NAME_LENGTH - 264) + ".example/" + "r".repeat(255); // 256-character host
    HttpResponse<String> stored = put(id, name, "[\"v1\"]");
    assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
    assertThat(new JsonObject(stored.body()).getString("name")).isEqualTo(name);
    HttpResponse<String> read = server.get("/images/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
    assertThat(new JsonObject(read.body()).getString("id")).isEqualTo(id);
  }

  @ParameterizedTest(name = "{0} of a 513-character id → 400 naming id, before any database work")
  @CsvSource({"GET", "HEAD", "DELETE"})
  void idPathLength(String method) {
    int port = server.server().port();
    String e = "%C3%A9"; // é: code points are counted, as the column counts them
    RawHttp.Response answer = RawHttp.request(port, method, "/images/" + e.repeat(AllowListStore.ID_LENGTH + 1), null,
        null, 5000);
    assertThat(answer.status()).as(answer.body()).isEqualTo(400);
    if (!method.equals("HEAD")) {
      assertThat(new JsonObject(answer.body()).getJsonObject("error").getString("field")).isEqualTo("id");
    }
    assertThat(RawHttp.request(port, method, "/images/" + e.repeat(AllowListStore.ID_LENGTH), null, null, 5000)
        .status()).isEqualTo(method.equals("DELETE") ? 204 : 404);
  }

  @ParameterizedTest(name = "body {0} → 400 naming {1}")
  @CsvSource(delimiter = '|', value = {
      "[] | body", "\"x\" | body", "null | body", "1 | body",
      "{\"id\":[],\"name\":\"a/b\"} | id", "{\"id\":\"x\",\"name\":{}} | name",
      "{\"id\":\"x\",\"name\":\"a/b\",\"tags\":{}} | tags", "{\"id\":\"x\",\"name\":\"a/b\",\"tags\":[[]]} | tags[0]",
      "{\"id\":\"a\\u0000b\",\"name\":\"a/b\"} | id",
  })
  void wrongTypes(String body, String field) {
    assertField(server.send("PUT", "/images", body, null), field);
  }

  @ParameterizedTest(name = "{0} {1} → 400 naming {2}")
  @CsvSource({
      "GET, /images/a%00b, path", "DELETE, /images/a%00b, path", "GET, /images/%zz, path", "DELETE, /images/%zz, path",
      "GET, /images?name=a%00b, name", "GET, /images?name=%zz, name", "GET, /images/a%ff, path",
  })
  @DisplayName("NUL and malformed percent-encoding in ids and ?name= → 400 in the JSON shape (no database error)")
  void malformedIds(String method, String target, String field) {
    RawHttp.Response response = RawHttp.request(server.server().port(), method, target, null, null, 5000);
    assertThat(response.status()).as(response.body()).isEqualTo(400);
    assertThat(response.header("content-type")).contains("json");
    assertThat(new JsonObject(response.body()).getJsonObject("error").getString("field")).isEqualTo(field);
  }

  @Test
  @DisplayName("HEAD /images and HEAD /images/{id} answer as GET without a body (imagelist's routes, not 405)")
  void head() {
    put("head/id@" + DIGEST, "quay.io/head/id", "[\"v1\"]");
    for (String path : new String[] {"/images", "/images?name=quay.io/head/id", "/images/head/id@" + DIGEST}) {
      RawHttp.Response get = RawHttp.request(server.server().port(), "GET", path, null, null, 5000);
      RawHttp.Response head = RawHttp.request(server.server().port(), "HEAD", path, null, null, 5000);
      assertThat(head.status()).as(path).isEqualTo(200);
      assertThat(head.body()).as(path).isEmpty();
      assertThat(head.header("content-type")).as(path).isEqualTo(get.header("content-type"));
      assertThat(get.body()).as(path).isNotEmpty();
    }
    assertThat(RawHttp.request(server.server().port(), "HEAD", "/images/no/such", null, null, 5000).status())
        .isEqualTo(404);
  }
}
