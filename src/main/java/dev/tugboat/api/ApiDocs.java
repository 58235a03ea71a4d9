package dev.tugboat.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The API description as served: {@code openapi.yaml} from the classpath with the jar's version put into
 * {@code info.version}, as YAML (the file's own text) and as JSON, and where Swagger UI's files are in its webjar.
 * Read once per JVM: the resources cannot change while it runs.
 */
public record ApiDocs(String yaml, JsonObject json, String swaggerUiRoot) {
  public static final String RESOURCE = "openapi.yaml";
  /** What {@code openapi.yaml} holds where the version goes (the build's own property name, for readers). */
  static final String VERSION_TOKEN = "${project.version}";
  private static final String SWAGGER_UI = "META-INF/resources/webjars/swagger-ui/";
  private static final String SWAGGER_UI_POM = "META-INF/maven/org.webjars/swagger-ui/pom.properties";

  private static volatile ApiDocs loaded;

  /** The document, read off the event loop the first time. */
  public static Future<ApiDocs> load(Vertx vertx) {
    ApiDocs docs = loaded;
    return docs != null ? Future.succeededFuture(docs) : vertx.executeBlocking(ApiDocs::read);
  }

  /** Blocking: reads and parses the resources (start-up and tests). */
  public static ApiDocs read() {
    ApiDocs docs = loaded;
    if (docs == null) {
      String version = properties("tugboat-version.properties").getProperty("version", "unknown");
      String yaml = text(RESOURCE).replace(VERSION_TOKEN, version);
      Object parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
      if (!(parsed instanceof Map<?, ?> map)) {
        throw new IllegalStateException(RESOURCE + " is not a YAML mapping");
      }
      @SuppressWarnings("unchecked")
      JsonObject json = new JsonObject((Map<String, Object>) map);
      String uiVersion = properties(SWAGGER_UI_POM).getProperty("version");
      docs = new ApiDocs(yaml, new JsonObject(json.encode()), SWAGGER_UI + uiVersion);
      loaded = docs;
    }
    return docs;
  }

  public String version() {
    return json.getJsonObject("info").getString("version");
  }

  private static String text(String resource) {
    try (InputStream in = open(resource)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Properties properties(String resource) {
    Properties p = new Properties();
    try (InputStream in = open(resource)) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  private static InputStream open(String resource) {
    InputStream in = ApiDocs.class.getClassLoader().getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException(resource + " is not on the classpath");
    }
    return in;
  }
}
