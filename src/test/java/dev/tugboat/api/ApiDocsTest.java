package dev.tugboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.ApiDescription;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.JsonSchemaValidationException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.OpenAPIVersion;
import io.vertx.openapi.contract.Operation;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** openapi.yaml itself: valid OpenAPI 3.1, examples true to their schemas, served as YAML, JSON and Swagger UI. */
class ApiDocsTest {
  static Vertx vertx;
  static ApiDocs docs;

  @BeforeAll
  static void read() {
    vertx = Vertx.vertx();
    docs = ApiDocs.read();
  }

  @AfterAll
  static void close() {
    vertx.close().await();
  }

  @Test
  @DisplayName("the document validates against the OpenAPI 3.1 schema, and vertx-openapi builds a 3.1 contract of it")
  void openApi31() {
    OpenAPIVersion version = OpenAPIVersion.fromContract(docs.json());
    assertThat(version).isEqualTo(OpenAPIVersion.V3_1);
    SchemaRepository repository = version.getRepository(vertx, "app://").await();
    OutputUnit result = version.validateContract(vertx, repository, docs.json()).await();
    List<String> errors = new ArrayList<>();
    if (result.getErrors() != null) {
      result.getErrors().forEach(e -> errors.add(e.getInstanceLocation() + ": " + e.getError()));
    }
    assertThat(result.getValid()).as("OpenAPI 3.1 schema errors: %s", errors).isTrue();
    OpenAPIContract contract = OpenAPIContract.from(vertx, ApiDescription.validatorView(docs.json())).await();
    assertThat(contract.getVersion()).isEqualTo(OpenAPIVersion.V3_1);
    assertThat(contract.operations()).hasSize(ApiDescription.get().operations()).hasSizeGreaterThan(40);
    // parameters are written out (YAML aliases of components.parameters): Swagger UI showed $ref'd ones without a name
    JsonObject paths = docs.json().getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      assertThat(paths.getJsonObject(path).encode()).as("parameters of %s", path).doesNotContain("#/components/parameters/");
    }
    for (Operation op : contract.operations()) {
      assertThat(op.getOpenAPIModel().getString("summary")).as("summary of %s", op.getOperationId()).isNotBlank();
      assertThat(op.getTags()).as("tags of %s", op.getOperationId()).isNotEmpty();
    }
  }

  @Test
  @DisplayName("info.version is the jar's version, and the YAML and JSON forms are the same document")
  void versionAndForms() throws Exception {
    Properties p = new Properties();
    try (InputStream in = ApiDocs.class.getClassLoader().getResourceAsStream("tugboat-version.properties")) {
      p.load(in);
    }
    assertThat(p.getProperty("version")).doesNotContain("${");
    assertThat(docs.version()).isEqualTo(p.getProperty("version"));
    assertThat(docs.yaml()).doesNotContain(ApiDocs.VERSION_TOKEN);
    // a plain YAML reader sees the same document (unquoted dates or numbers would differ)
    Object plain = new Yaml().load(docs.yaml());
    @SuppressWarnings("unchecked")
    JsonObject json = new JsonObject((Map<String, Object>) plain);
    assertThat(new JsonObject(json.encode())).isEqualTo(docs.json());
  }

  @Test
  @DisplayName("every JSON example in the document (seeds' examples included) matches its schema")
  void examples() {
    OpenAPIContract contract = ApiDescription.get().contract();
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (Operation op : contract.operations()) {
      List<Map.Entry<String, MediaType>> media = new ArrayList<>();
      if (op.getRequestBody() != null) {
        op.getRequestBody().getContent().forEach((type, m) -> media.add(Map.entry(op.getOperationId() + " request " + type, m)));
      }
      for (String status : op.getOpenAPIModel().getJsonObject("responses").fieldNames()) {
        if (!status.matches("\\d{3}")) {
          continue; // resolver annotations
        }
        op.getResponse(Integer.parseInt(status)).getContent()
            .forEach((type, m) -> media.add(Map.entry(op.getOperationId() + " " + status + " " + type, m)));
      }
      for (Map.Entry<String, MediaType> entry : media) {
        JsonObject model = entry.getValue().getOpenAPIModel();
        Map<String, Object> examples = new java.util.LinkedHashMap<>();
        examples.put(entry.getKey(), model.getValue("example"));
        model.getJsonObject("examples", new JsonObject()).forEach(named -> { // named examples: their value
          if (named.getValue() instanceof JsonObject example) {
            examples.put(entry.getKey() + " example " + named.getKey(), example.getValue("value"));
          }
        });
        for (Map.Entry<String, Object> example : examples.entrySet()) {
          Object value = withoutAnnotations(example.getValue());
          if (value == null || entry.getValue().getSchema() == null) {
            continue;
          }
          checked++;
          OutputUnit result = contract.getSchemaRepository().validator(entry.getValue().getSchema()).validate(value);
          try {
            result.checkValidity();
          } catch (JsonSchemaValidationException e) {
            failures.add(example.getKey() + ": " + e.getMessage() + " " + result.getErrors());
          }
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(checked).isGreaterThan(15);
  }

  /** The example as written: the resolver marks the objects it visits with {@code __absolute_uri__}. */
  private static Object withoutAnnotations(Object value) {
    if (value instanceof JsonObject o) {
      JsonObject out = new JsonObject();
      o.forEach(e -> {
        if (!e.getKey().equals("__absolute_uri__")) {
          out.put(e.getKey(), withoutAnnotations(e.getValue()));
        }
      });
      return out;
    }
    if (value instanceof io.vertx.core.json.JsonArray a) {
      io.vertx.core.json.JsonArray out = new io.vertx.core.json.JsonArray();
      a.forEach(v -> out.add(withoutAnnotations(v)));
      return out;
    }
    return value;
  }

  @Test
  @DisplayName("GET /openapi.yaml and /openapi.json serve the document; /api/docs is Swagger UI from the jar on /openapi.json")
  void served() {
    try (TestServer server = TestServer.start(Vendor.POSTGRESQL, Map.of())) {
      HttpResponse<String> yaml = server.get("/openapi.yaml");
      assertThat(yaml.statusCode()).isEqualTo(200);
      assertThat(yaml.headers().firstValue("Content-Type").orElse("")).startsWith("application/yaml");
      assertThat(yaml.body()).isEqualTo(docs.yaml());
      HttpResponse<String> json = server.get("/openapi.json");
      assertThat(json.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(json.body())).isEqualTo(docs.json());

      HttpResponse<String> page = server.get("/api/docs");
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
      Matcher refs = Pattern.compile("(?:src|href)=\"([^\"]+)\"").matcher(page.body());
      List<String> assets = new ArrayList<>();
      while (refs.find()) {
        assets.add(refs.group(1));
      }
      assertThat(assets).contains("/api/docs/swagger-ui-bundle.js", "/api/docs/swagger-ui.css",
          "/api/docs/swagger-initializer.js").allMatch(a -> a.startsWith("/api/docs/")); // nothing from a CDN
      for (String asset : assets) {
        HttpResponse<String> file = server.get(asset);
        assertThat(file.statusCode()).as(asset).isEqualTo(200);
        assertThat(file.body()).as(asset).isNotEmpty();
      }
      String init = server.get("/api/docs/swagger-initializer.js").body();
      assertThat(init).contains("url: \"/openapi.json\"", "validatorUrl: null").doesNotContain("petstore", "http");
      assertThat(server.get("/api/docs/index.html").body()).isEqualTo(page.body());
      assertThat(server.get("/api/docs/").body()).isEqualTo(page.body());
      assertThat(server.get("/api/docs/no-such-file.js").statusCode()).isEqualTo(404);
    }
  }

  @Test
  @DisplayName("a transfer's Server-Sent Events stream is text/event-stream whose events match the document's x-events")
  void serverSentEvents() {
    try (RegistryFixture source = RegistryFixture.start(); RegistryFixture target = RegistryFixture.start();
         TestServer server = TestServer.start(Vendor.POSTGRESQL, Map.of())) {
      TestImages.pushSmallImage(source, "docs/app", List.of("v1"), 7L);
      JsonObject job = new JsonObject()
          .put("source", new JsonObject().put("endpoint", source.baseUrl() + "/v2").put("image", "docs/app").put("ref", "v1"))
          .put("targets", new io.vertx.core.json.JsonArray().add(new JsonObject().put("endpoint", target.baseUrl() + "/v2")));
      HttpResponse<String> created = server.send("POST", "/api/distribute/image", job.encode(), null);
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      String id = new JsonObject(created.body()).getString("id");
      // read whole (the stream ends with the job), and checked event by event by TestServer's answer check
      HttpResponse<String> events = server.get("/api/distribute/image/" + id + "/events");
      assertThat(events.statusCode()).isEqualTo(200);
      assertThat(events.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
      assertThat(events.body()).contains("event: progress\ndata: {", "event: end\ndata: FINISHED");
    }
  }

  @Test
  @DisplayName("with the database down, the 500 and 503 answers of every route shape are documented")
  void databaseDown() throws Exception {
    int deadPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      deadPort = socket.getLocalPort();
    }
    dev.tugboat.Server down = dev.tugboat.Server.start(TestServer.settings(Map.of(
        "db.url", "postgresql://postgres@127.0.0.1:" + deadPort + "/none", "db.migrate", "false",
        "http.host", "127.0.0.1", "http.port", "0", "http.instances", "1"))).await();
    try {
      java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
      Map<String, Integer> expected = Map.of("/health/ping", 500, "/health/ready", 503, "/images", 500,
          "/repos", 500, "/api/distribute/image/x", 500, "/api/v1/watches", 500, "/v2/layers/sha256:" + "a".repeat(64), 500);
      for (Map.Entry<String, Integer> route : expected.entrySet()) {
        HttpResponse<String> answer = client.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + down.port() + route.getKey())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(route.getKey()).isEqualTo(route.getValue());
        Map<String, String> headers = new java.util.HashMap<>();
        answer.headers().map().forEach((k, v) -> headers.put(k, String.join(", ", v)));
        ApiDescription.check("GET", route.getKey(), answer.statusCode(), headers, answer.body());
      }
    } finally {
      down.close().await();
    }
  }
}
