package dev.tugboat.testing;

import dev.tugboat.api.ApiDocs;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.RFC3986;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaValidationException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatableResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * {@code openapi.yaml} as the black-box tests hold it true: every answer {@link TestServer} and {@link RawHttp}
 * receive is {@link #check checked} against the document as served ({@link ApiDocs}) — status documented for the
 * operation, Content-Type one of its media types, JSON bodies and documented headers through vertx-openapi's
 * {@link ResponseValidator}, Server-Sent Events event by event against the media type's {@code x-events} schemas.
 * A path the document does not have must answer 404 (405 for a known path and another method) in Tugboat's error
 * shape. A mismatch fails the calling test with the operation, the status and why.
 *
 * <p>vertx-openapi 5.0.10 refuses contracts whose responses use media types it cannot parse (text/event-stream,
 * text/html, ...), so its contract is built from a copy with only the JSON ones ({@link #validatorView}); the others
 * are checked here. It also looks response headers up by lower-case name only, so the copy lower-cases them.
 */
public final class ApiDescription {
  /**
   * Router routes given as regular expressions (their parameter may hold {@code /}) and the OpenAPI path each serves:
   * the one table the route test ({@code OpenApiRoutesTest}) and the path matching here share.
   */
  public static final Map<String, String> REGEX_ROUTES = Map.ofEntries(
      Map.entry("/images/(?<id>.+)", "/images/{id}"),
      Map.entry("/v2/images/(?<ref>.+)/layers", "/v2/images/{ref}/layers"),
      Map.entry("/v2/images/(?<ref>.+)/children", "/v2/images/{ref}/children"),
      Map.entry("/v2/images/(?<ref>.+)", "/v2/images/{ref}"),
      Map.entry("/v2/layers/(?<digest>.+)", "/v2/layers/{digest}"),
      Map.entry("/tags/(?<repo>.+)/reset", "/tags/{repo}/reset"),
      Map.entry("/tags/(?<repo>.+)", "/tags/{repo}"),
      Map.entry("/api/v1/watches/(?<repo>.+)/plan", "/api/v1/watches/{repo}/plan"),
      Map.entry("/api/v1/watches/(?<repo>.+)", "/api/v1/watches/{repo}"),
      Map.entry("/api/v1/images/(?<ref>.+)", "/api/v1/images/{ref}"),
      Map.entry("/ui", "/ui"),
      Map.entry("/ui/assets/(?<version>[^/]+)/(?<file>.+)", "/ui/assets/{version}/{file}"));

  /** Path routes ending in {@code *} (their prefix as the router reports it) and the OpenAPI path each serves. */
  public static final Map<String, String> WILDCARD_ROUTES = Map.of("/api/docs/", "/api/docs/{file}");

  /**
   * Routes for every method that answer only {@code OPTIONS} themselves (registrywatcher's CORS preflight; other
   * methods pass on), by path or regex, and the OpenAPI paths whose {@code options} operation they are.
   */
  public static final Map<String, List<String>> PREFLIGHT_ROUTES = Map.of(
      "/ping", List.of("/ping"),
      "/ping/", List.of("/ping/"),
      "/repos", List.of("/repos"),
      "/debug/caches", List.of("/debug/caches"),
      "/tags/.+", List.of("/tags/{repo}", "/tags/{repo}/reset"));

  /**
   * Answers sent without a Content-Type although they have a body, by {@code operationId status}: a bug in the
   * code, reported; the body is still checked against the documented media type. Remove an entry when the code
   * sets the header (the Content-Type check then applies again).
   */
  static final Map<String, String> MISSING_CONTENT_TYPE = Map.of(); // addWatch 201 sets it now

  private static final Pattern TEMPLATE_PARAM = Pattern.compile("\\{[^}/]+}");
  private static volatile ApiDescription instance;

  private final JsonObject document;
  private final OpenAPIContract contract;
  private final ResponseValidator validator;
  private final List<PathMatcher> paths = new ArrayList<>();
  private final AtomicInteger validated = new AtomicInteger();
  private final AtomicInteger errorAnswers = new AtomicInteger();
  private final Map<String, Set<Integer>> seen = new ConcurrentSkipListMap<>();

  private record PathMatcher(String template, Pattern pattern, int literalChars) {}

  private ApiDescription(Vertx vertx, ApiDocs docs) {
    this.document = docs.json();
    this.contract = OpenAPIContract.from(vertx, validatorView(document)).await();
    this.validator = ResponseValidator.create(vertx, contract);
    for (String template : document.getJsonObject("paths").fieldNames()) {
      paths.add(new PathMatcher(template, pattern(template), TEMPLATE_PARAM.matcher(template).replaceAll("").length()));
    }
  }

  /** The document and its validator, built once per JVM on first use. */
  public static ApiDescription get() {
    ApiDescription d = instance;
    if (d == null) {
      synchronized (ApiDescription.class) {
        d = instance;
        if (d == null) {
          d = new ApiDescription(Vertx.vertx(), ApiDocs.read());
          instance = d;
        }
      }
    }
    return d;
  }

  /** The summary line when this JVM checked answers, else null (for {@link ApiDescriptionSummary}). */
  static String summaryIfUsed() {
    ApiDescription d = instance;
    return d == null ? null : d.summary();
  }

  /** The document as served (resolved {@code $ref}s are not inlined). */
  public JsonObject document() {
    return document;
  }

  /** vertx-openapi's contract of the document (see {@link #validatorView}). */
  public OpenAPIContract contract() {
    return contract;
  }

  /** Operations the document describes. */
  public int operations() {
    return contract.operations().size();
  }

  /**
   * Checks one answer: {@code method} and {@code rawTarget} (the path as sent, percent-encoding included, with or
   * without the query) of the request; throws an {@link AssertionError} saying what differs from the document.
   */
  public static void check(String method, String rawTarget, int status, Map<String, String> headers, String body) {
    ApiDescription d = get();
    d.record(d.verify(method, rawTarget, status, headers, body), status);
  }

  /** {@link #check} without counting the answer in the run's summary (for the checks' own tests). */
  static void checkUncounted(String method, String rawTarget, int status, Map<String, String> headers, String body) {
    get().verify(method, rawTarget, status, headers, body);
  }

  /** The operationId the answer was checked against (or why it was no operation); throws when it differs. */
  private String verify(String rawMethod, String rawTarget, int status, Map<String, String> rawHeaders, String rawBody) {
    String method = rawMethod.toUpperCase(Locale.ROOT);
    Map<String, String> headers = lowerCase(rawHeaders);
    String body = rawBody == null ? "" : rawBody;
    String path = normalized(rawTarget.contains("?") ? rawTarget.substring(0, rawTarget.indexOf('?')) : rawTarget);
    String request = method + " " + rawTarget + " → " + status;
    List<PathMatcher> matching = paths.stream().filter(p -> p.pattern.matcher(path).matches()).toList();
    PathMatcher best = matching.stream().filter(p -> pathItem(p.template).containsKey(method.toLowerCase(Locale.ROOT)))
        .max((a, b) -> Integer.compare(a.literalChars, b.literalChars)).orElse(null);
    try {
      if (best == null) {
        // not an operation: the router's 404 (unknown path) or 405 (known path), or the guard's 400
        int expected = matching.isEmpty() ? 404 : 405;
        check(status == expected || status == 400, "no operation in openapi.yaml for " + method + " " + path
            + (matching.isEmpty() ? "" : " (paths " + matching.stream().map(PathMatcher::template).toList() + " have other methods)")
            + ": the answer must be " + expected + " or 400, not " + status);
        if (!method.equals("HEAD")) { // a HEAD answer has the headers of the GET one, never a body
          check(mediaType(headers).equals("application/json"), "Content-Type " + headers.get("content-type") + ", expected application/json");
          validateSchema(componentSchema("Error"), parse(body), "body");
        }
        return matching.isEmpty() ? "(no route)" : "(method not allowed)";
      }
      JsonObject operation = pathItem(best.template).getJsonObject(method.toLowerCase(Locale.ROOT));
      String operationId = operation.getString("operationId");
      request += " (" + operationId + ")";
      JsonObject responses = operation.getJsonObject("responses");
      JsonObject response = deref(responses.getJsonObject(String.valueOf(status), responses.getJsonObject("default")));
      check(response != null, "status " + status + " is not documented for " + operationId + " (documented: "
          + responses.fieldNames() + "); body: " + abbreviate(body));
      if (method.equals("HEAD")) {
        check(body.isEmpty(), "a HEAD answer with a body");
        validate(operationId, ValidatableResponse.create(status, headers));
      } else {
        verifyContent(operationId, status, response, headers, body);
      }
      return operationId;
    } catch (AssertionError e) {
      throw new AssertionError("openapi.yaml: " + request + ": " + e.getMessage(), e.getCause());
    }
  }

  private void verifyContent(String operationId, int status, JsonObject response, Map<String, String> headers,
                             String body) {
    JsonObject content = response.getJsonObject("content", new JsonObject());
    String mediaType = mediaType(headers);
    if (content.isEmpty()) {
      check(body.isEmpty(), operationId + " " + status + " is documented without a body, but the answer has one: "
          + abbreviate(body));
      validate(operationId, ValidatableResponse.create(status, headers));
      return;
    }
    if (mediaType.isEmpty() && MISSING_CONTENT_TYPE.containsKey(operationId + " " + status)) {
      mediaType = content.fieldNames().iterator().next();
    }
    String actual = mediaType;
    String key = content.fieldNames().stream().filter(k -> matches(k, actual)).findFirst().orElse(null);
    check(key != null, "Content-Type '" + headers.get("content-type") + "' is not one of " + content.fieldNames()
        + " documented for " + operationId + " " + status);
    if (isJson(key)) {
      validate(operationId, ValidatableResponse.create(status, headers, Buffer.buffer(body), key));
    } else {
      validate(operationId, ValidatableResponse.create(status, headers));
      if (key.equals("text/event-stream")) {
        verifyEvents(operationId, content.getJsonObject(key), body);
      }
    }
  }

  /** Each event's data against the schema its name has in the media type's {@code x-events}. */
  private void verifyEvents(String operationId, JsonObject mediaType, String body) {
    JsonObject events = mediaType.getJsonObject("x-events");
    check(events != null, operationId + " streams events, but its text/event-stream has no x-events");
    String name = null;
    StringBuilder data = null;
    int count = 0;
    for (String line : (body + "\n\n").split("\r?\n", -1)) {
      if (line.isEmpty()) {
        if (data != null) {
          String event = name == null ? "message" : name;
          JsonObject ref = events.getJsonObject(event);
          check(ref != null, "event '" + event + "' is not in " + operationId + "'s x-events " + events.fieldNames());
          validateSchema(resolvedSchema(ref), parseOrText(data.toString()), "event " + event + " #" + count);
          count++;
        }
        name = null;
        data = null;
      } else if (line.startsWith("event:")) {
        name = line.substring(6).trim();
      } else if (line.startsWith("data:")) {
        String part = line.substring(line.startsWith("data: ") ? 6 : 5);
        data = data == null ? new StringBuilder(part) : data.append('\n').append(part);
      } else {
        check(line.startsWith(":") || line.startsWith("id:") || line.startsWith("retry:"),
            "not a Server-Sent Events line: " + abbreviate(line));
      }
    }
  }

  private void validate(String operationId, ValidatableResponse response) {
    try {
      validator.validate(response, operationId).await();
    } catch (SchemaValidationException e) {
      throw new AssertionError(e.getMessage() + errors(e.getOutputUnit()));
    } catch (RuntimeException e) {
      throw new AssertionError(e.getMessage());
    }
  }

  private void validateSchema(JsonObject schema, Object value, String what) {
    OutputUnit result = contract.getSchemaRepository().validator(JsonSchema.of(schema)).validate(value);
    try {
      result.checkValidity();
    } catch (JsonSchemaValidationException e) {
      throw new AssertionError(what + " does not match its schema: " + e.getMessage() + errors(result));
    }
  }

  private static String errors(OutputUnit unit) {
    if (unit == null || unit.getErrors() == null || unit.getErrors().isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    unit.getErrors().forEach(e -> out.append("\n  ").append(e.getInstanceLocation()).append(": ").append(e.getError()));
    return out.toString();
  }

  private void record(String operationId, int status) {
    validated.incrementAndGet();
    if (status >= 400) {
      errorAnswers.incrementAndGet();
    }
    seen.computeIfAbsent(operationId, k -> ConcurrentHashMap.newKeySet()).add(status);
  }

  /** One line for the run's end: operations described, answers validated, which operations no test reached. */
  String summary() {
    Set<String> all = new TreeSet<>();
    contract.operations().forEach(op -> all.add(op.getOperationId()));
    Set<String> untouched = new TreeSet<>(all);
    untouched.removeAll(seen.keySet());
    Map<String, Set<Integer>> statuses = new TreeMap<>();
    seen.forEach((op, codes) -> statuses.put(op, new TreeSet<>(codes)));
    return "openapi.yaml: " + all.size() + " operations described; " + validated.get() + " responses validated ("
        + errorAnswers.get() + " of them 4xx/5xx); " + (all.size() - untouched.size()) + " operations exercised; "
        + "not exercised by these tests: " + untouched + "; statuses seen: " + statuses;
  }

  // ---- the document

  private JsonObject pathItem(String template) {
    return document.getJsonObject("paths").getJsonObject(template);
  }

  /** Follows a local {@code $ref} ({@code #/components/...}) to what it names. */
  private JsonObject deref(JsonObject value) {
    return resolve(document, value);
  }

  /** A schema with its {@code $ref}s resolved, from vertx-openapi's resolved contract. */
  private JsonObject resolvedSchema(JsonObject refOrSchema) {
    String ref = refOrSchema.getString("$ref");
    return ref == null ? refOrSchema : componentSchema(ref.substring(ref.lastIndexOf('/') + 1));
  }

  private JsonObject componentSchema(String name) {
    JsonObject schema = contract.getRawContract().getJsonObject("components").getJsonObject("schemas").getJsonObject(name);
    check(schema != null, "openapi.yaml has no components.schemas." + name);
    return schema;
  }

  /**
   * The document as vertx-openapi 5.0.10 can take it: responses keep only their JSON media types (it refuses
   * text/event-stream, text/html, ... and cannot check a text/plain body against a schema; {@link #verifyContent}
   * checks those), and their headers are named in lower case (it looks them up so).
   */
  public static JsonObject validatorView(JsonObject document) {
    JsonObject view = document.copy();
    withoutHeadBodies(view);
    List<JsonObject> responses = new ArrayList<>();
    view.getJsonObject("components", new JsonObject()).getJsonObject("responses", new JsonObject())
        .forEach(e -> responses.add((JsonObject) e.getValue()));
    view.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).forEach(op -> {
      if (op.getValue() instanceof JsonObject operation && operation.containsKey("responses")) {
        operation.getJsonObject("responses").forEach(r -> responses.add((JsonObject) r.getValue()));
      }
    }));
    for (JsonObject response : responses) {
      JsonObject content = response.getJsonObject("content");
      if (content != null) {
        content.fieldNames().removeIf(type -> !isJson(type));
      }
      JsonObject headers = response.getJsonObject("headers");
      if (headers != null) {
        JsonObject lower = new JsonObject();
        headers.forEach(h -> lower.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
        response.put("headers", lower);
      }
    }
    return view;
  }

  /**
   * A {@code head} operation lists its GET's responses (RFC 9110: the same status and headers, no content); the
   * validator would ask a HEAD answer for their bodies, so in the view each is a copy without {@code content}.
   */
  private static void withoutHeadBodies(JsonObject view) {
    view.getJsonObject("paths").forEach(path -> {
      JsonObject head = ((JsonObject) path.getValue()).getJsonObject("head");
      JsonObject responses = head == null ? null : head.getJsonObject("responses");
      if (responses != null) {
        for (String status : responses.fieldNames()) {
          JsonObject response = resolve(view, responses.getJsonObject(status)).copy();
          response.remove("content");
          responses.put(status, response);
        }
      }
    });
  }

  /** Follows a local {@code $ref} ({@code #/components/...}) within {@code root} to what it names. */
  private static JsonObject resolve(JsonObject root, JsonObject value) {
    for (int hops = 0; value != null && value.containsKey("$ref") && hops < 10; hops++) {
      Object target = root;
      for (String part : value.getString("$ref").substring(2).split("/")) {
        target = target instanceof JsonObject o ? o.getValue(part) : null;
      }
      value = (JsonObject) target;
    }
    return value;
  }

  /** A template's regex: the router's own for {@link #REGEX_ROUTES}, else a parameter is one segment, as in Vert.x. */
  private static Pattern pattern(String template) {
    for (Map.Entry<String, String> route : REGEX_ROUTES.entrySet()) {
      if (route.getValue().equals(template)) {
        return Pattern.compile(route.getKey());
      }
    }
    for (Map.Entry<String, String> route : WILDCARD_ROUTES.entrySet()) {
      if (route.getValue().equals(template)) {
        return Pattern.compile(Pattern.quote(route.getKey()) + ".+");
      }
    }
    StringBuilder regex = new StringBuilder();
    var m = TEMPLATE_PARAM.matcher(template);
    int at = 0;
    while (m.find()) {
      regex.append(Pattern.quote(template.substring(at, m.start()))).append("[^/]+");
      at = m.end();
    }
    regex.append(Pattern.quote(template.substring(at)));
    if (!template.endsWith("/")) {
      regex.append("/?"); // Vert.x ignores a trailing slash unless the route's path has one
    }
    return Pattern.compile(regex.toString());
  }

  // ---- small helpers

  private static boolean matches(String documented, String actual) {
    if (documented.equals("*/*")) {
      return true;
    }
    if (documented.endsWith("/*")) {
      return actual.startsWith(documented.substring(0, documented.length() - 1));
    }
    return documented.equalsIgnoreCase(actual);
  }

  private static boolean isJson(String mediaType) {
    return mediaType.equals("application/json") || MediaType.isVendorSpecificJson(mediaType);
  }

  /** The Content-Type without parameters, lower case; "" when absent. */
  private static String mediaType(Map<String, String> headers) {
    String type = headers.getOrDefault("content-type", "");
    int semicolon = type.indexOf(';');
    return (semicolon < 0 ? type : type.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  /** The path as the router matches it (unreserved escapes decoded, dot segments removed); as sent if it cannot be. */
  private static String normalized(String rawPath) {
    try {
      return RFC3986.normalizePath(rawPath);
    } catch (RuntimeException e) {
      return rawPath; // undecodable: answered before the router
    }
  }

  private static Map<String, String> lowerCase(Map<String, String> headers) {
    Map<String, String> out = new LinkedHashMap<>();
    headers.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
    return out;
  }

  private static Object parse(String body) {
    try {
      return Json.decodeValue(body);
    } catch (DecodeException e) {
      throw new AssertionError("the body is not JSON: " + abbreviate(body));
    }
  }

  private static Object parseOrText(String data) {
    try {
      Object value = Json.decodeValue(data);
      return value instanceof JsonObject || value instanceof JsonArray ? value : data;
    } catch (DecodeException e) {
      return data;
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 300 ? text : text.substring(0, 300) + "…";
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }
}
