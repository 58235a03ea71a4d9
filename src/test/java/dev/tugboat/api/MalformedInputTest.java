package dev.tugboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.ApiDescription;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every operation of openapi.yaml, driven from the document, given input no client should send: never a 5xx, and
 * (through TestServer's answer check) always an answer the document describes, in the route's error shape.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class MalformedInputTest {
  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options");
  /** Bodies of every wrong kind: not JSON, JSON that is not an object, objects with wrong types, NUL, deep nesting. */
  private static final List<String> BODIES = List.of("", "{", "[]", "\"text\"", "42", "null", "{}",
      "{\"id\":1,\"name\":[],\"tags\":\"x\",\"kind\":7,\"events\":{},\"source\":\"s\",\"targets\":{},"
          + "\"pinned_tag\":3,\"auto_deploy\":\"yes\",\"registry\":false,\"tasks\":\"t\"}",
      "{\"id\":\"a\\u0000b\",\"name\":\"n\\u0000\",\"registry\":\"r\\u0000\",\"repository\":\"x\",\"job\":\"j\",\"tasks\":[\"t\"]}",
      "{\"id\":\"a\\u0000b\",\"name\":\"n\\u0001m\",\"registry\":\"r\\u0000s\",\"repository\":\"x\\u0000y\",\"job\":\"j\\u0000k\","
          + "\"tasks\":[\"t\\u0000u\"],\"pinned_tag\":\"v\\u0000\",\"kind\":\"ImageReview\",\"spec\":{\"containers\":[{\"image\":\"a\\u0000b\"}]}}",
      "[".repeat(200) + "]".repeat(200));
  /** Path parameter values: dot segments, encoded slashes, a lone high surrogate's UTF-8 encoding is refused earlier. */
  private static final List<String> PATH_VALUES = List.of("x", "%2e%2e", "a%2Fb", "-", "sha256:zz", "@", "a:b@c");
  private static final List<String> QUERIES = List.of("", "?limit=abc", "?limit=-1", "?page=0&per_page=9999999999",
      "?state=NOPE", "?sort=%27;drop", "?platform=linux", "?digest=sha256:12", "?repository=UPPER/Case");

  /**
   * 5xx answers to bad input that are bugs of the routes (reported, outside the API description's area), by
   * operation: they must still happen, so a fix shows up here as an entry to remove.
   */
  private static final Map<String, String> KNOWN_BUGS = Map.of(); // addWatch's 500 for a non-object body: fixed

  @Parameter Vendor vendor;
  static TestServer server;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) {
    // references such as "x" name Docker Hub: only loopback may be called, so nothing leaves the machine
    server = TestServer.start(vendor, Map.of("egress.allow", "127.0.0.0/8,localhost"));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName("malformed bodies, path values and query values never get a 5xx, and every answer is documented")
  void neverServerErrors() {
    JsonObject paths = ApiDescription.get().document().getJsonObject("paths");
    List<String> serverErrors = new ArrayList<>();
    Set<String> knownSeen = new java.util.TreeSet<>();
    int sent = 0;
    for (String template : paths.fieldNames()) {
      for (String method : paths.getJsonObject(template).fieldNames()) {
        if (!METHODS.contains(method)) {
          continue;
        }
        JsonObject operation = paths.getJsonObject(template).getJsonObject(method);
        if (endlessStream(template, operation)) {
          continue; // its 200 never ends (the client would wait forever) and it reads no path value or body
        }
        boolean hasBody = operation.containsKey("requestBody");
        for (String value : template.contains("{") ? PATH_VALUES : List.of("")) {
          String path = template.replaceAll("\\{[^}]+}", value);
          for (String query : method.equals("get") ? QUERIES : List.of("")) {
            for (String body : hasBody ? BODIES : List.of("")) {
              HttpResponse<String> answer = server.send(method.toUpperCase(Locale.ROOT), path + query,
                  hasBody ? body : null, null);
              sent++;
              String key = method.toUpperCase(Locale.ROOT) + " " + template;
              // 502: the image's registry could not be asked (here: egress refused), a documented answer
              if (answer.statusCode() >= 500 && answer.statusCode() != 502 && KNOWN_BUGS.containsKey(key)) {
                knownSeen.add(key);
              } else if (answer.statusCode() >= 500 && answer.statusCode() != 502) {
                serverErrors.add(method.toUpperCase(Locale.ROOT) + " " + path + query + " " + abbreviate(body) + " → "
                    + answer.statusCode() + " " + abbreviate(answer.body()));
              }
            }
          }
        }
      }
    }
    assertThat(serverErrors).as("5xx answers to bad input").isEmpty();
    assertThat(knownSeen).as("known bugs still there (remove the fixed ones from KNOWN_BUGS)")
        .isEqualTo(new java.util.TreeSet<>(KNOWN_BUGS.keySet()));
    assertThat(sent).isGreaterThan(300);
  }

  /** An event stream without a path parameter ({@code /api/v1/events}): every request opens a stream that stays open. */
  private static boolean endlessStream(String template, JsonObject operation) {
    JsonObject ok = operation.getJsonObject("responses").getJsonObject("200");
    return !template.contains("{") && ok != null
        && ok.getJsonObject("content", new JsonObject()).containsKey("text/event-stream");
  }

  private static String abbreviate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 80) + "…";
  }
}
