package dev.tugboat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.api.ApiDocs;
import dev.tugboat.api.HttpApiVerticle;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.ApiDescription;
import dev.tugboat.testing.TestServer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The routes the router really has (built as every HTTP verticle builds it, from {@link Server#capabilities}) are
 * exactly the operations openapi.yaml describes: a route added, removed or given another method fails here, named.
 * Regex and wildcard routes are mapped to OpenAPI paths by {@link ApiDescription}'s tables.
 */
class OpenApiRoutesTest {
  private static final Set<String> OPENAPI_METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
  private static final Pattern PATH_PARAM = Pattern.compile(":([A-Za-z0-9_]+)");

  static TestServer server;
  static Router router;

  @BeforeAll
  static void build() {
    server = TestServer.start(Vendor.POSTGRESQL, Map.of());
    Server node = server.server();
    router = HttpApiVerticle.router(node.vertx(), node.services(), Server.capabilities(node.vertx(), node.services()),
        ApiDocs.read(), new java.util.concurrent.atomic.AtomicInteger());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName("every route of the router is an operation of openapi.yaml, and every operation a route")
  void routesAreOperations() {
    Set<String> routed = new TreeSet<>();
    List<String> unmapped = new ArrayList<>();
    Set<String> tableEntriesUsed = new HashSet<>();
    for (Route route : router.getRoutes()) {
      String path = route.getPath();
      boolean everyMethod = route.methods() == null || route.methods().isEmpty();
      String regex = path == null && route.isRegexPath() ? route.getName() : null;
      if (path == null && regex == null) {
        assertThat(everyMethod).as("a route without a path should be a handler for every request").isTrue();
        continue; // body handler, request guard, failure handler
      }
      String key = regex != null ? regex : path;
      if (everyMethod) {
        List<String> preflights = ApiDescription.PREFLIGHT_ROUTES.get(key);
        if (preflights == null) {
          unmapped.add("route for every method " + key + ": add what it answers to ApiDescription.PREFLIGHT_ROUTES");
        } else {
          tableEntriesUsed.add(key);
          preflights.forEach(p -> routed.add("OPTIONS " + p));
        }
        continue;
      }
      String template;
      if (regex != null) {
        template = ApiDescription.REGEX_ROUTES.get(regex);
        if (template == null) {
          unmapped.add("regex route " + route.methods() + " " + regex + ": add its OpenAPI path to ApiDescription.REGEX_ROUTES");
          continue;
        }
        tableEntriesUsed.add(regex);
      } else if (!route.isExactPath()) {
        template = ApiDescription.WILDCARD_ROUTES.get(path);
        if (template == null) {
          unmapped.add("wildcard route " + route.methods() + " " + path + "*: add its OpenAPI path to ApiDescription.WILDCARD_ROUTES");
          continue;
        }
        tableEntriesUsed.add(path);
      } else {
        template = PATH_PARAM.matcher(path).replaceAll(m -> Matcher.quoteReplacement("{" + m.group(1) + "}"));
      }
      for (HttpMethod method : route.methods()) {
        routed.add(method.name() + " " + template);
      }
    }

    Set<String> described = new TreeSet<>();
    JsonObject paths = ApiDocs.read().json().getJsonObject("paths");
    for (String template : paths.fieldNames()) {
      for (String method : paths.getJsonObject(template).fieldNames()) {
        if (OPENAPI_METHODS.contains(method)) {
          described.add(method.toUpperCase(Locale.ROOT) + " " + template);
        }
      }
    }

    Set<String> notDescribed = new TreeSet<>(routed);
    notDescribed.removeAll(described);
    Set<String> notRouted = new TreeSet<>(described);
    notRouted.removeAll(routed);
    Set<String> staleTable = new TreeSet<>();
    ApiDescription.REGEX_ROUTES.keySet().stream().filter(k -> !tableEntriesUsed.contains(k)).forEach(staleTable::add);
    ApiDescription.WILDCARD_ROUTES.keySet().stream().filter(k -> !tableEntriesUsed.contains(k)).forEach(staleTable::add);
    ApiDescription.PREFLIGHT_ROUTES.keySet().stream().filter(k -> !tableEntriesUsed.contains(k)).forEach(staleTable::add);

    assertThat(unmapped).as("routes ApiDescription's tables do not map").isEmpty();
    assertThat(notDescribed).as("routes the router has and openapi.yaml does not describe").isEmpty();
    assertThat(notRouted).as("operations openapi.yaml describes and the router does not have").isEmpty();
    assertThat(staleTable).as("ApiDescription table entries no route uses any more").isEmpty();
    assertThat(routed).hasSize(ApiDescription.get().operations());
  }

  @Test
  @DisplayName("every operation has an operationId of its own (the validator finds operations by it)")
  void operationsWellFormed() {
    JsonObject paths = ApiDocs.read().json().getJsonObject("paths");
    Set<String> ids = new HashSet<>();
    List<String> problems = new ArrayList<>();
    for (String template : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(template);
      for (String method : item.fieldNames()) {
        if (!OPENAPI_METHODS.contains(method)) {
          continue;
        }
        String id = item.getJsonObject(method).getString("operationId");
        if (id == null || !ids.add(id)) {
          problems.add(method + " " + template + ": operationId missing or repeated (" + id + ")");
        }
      }
    }
    assertThat(problems).isEmpty();
  }
}
