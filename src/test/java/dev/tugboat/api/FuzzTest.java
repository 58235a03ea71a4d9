package dev.tugboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.HostileValues;
import dev.tugboat.testing.JsonMutator;
import dev.tugboat.testing.RawHttp;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.ServerProcess;
import dev.tugboat.testing.TestDatabases;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The seeded fuzz test of issue 10: several thousand generated requests over every route of every capability
 * (the catalogue below mirrors each {@code *Routes.mount} and {@code OpsRoutes}), each checked against the oracle:
 * a documented 2xx, or a 4xx in the route's error shape, answered within 5 s, no secret echoed, no stack trace in
 * the node's log; and the node is still ready afterwards. The node is its own process (its log is read), on a
 * fresh database, with {@code egress.allow=127.0.0.1}; every host the generators name is a loopback address (a
 * real registry, closed ports), so no traffic leaves loopback.
 *
 * <p>The seed is printed; {@code -Dfuzz.seed=N} replays a run, {@code -Dfuzz.only=I} (with the seed) sends only
 * request I, {@code -Dfuzz.requests=N} changes the run's length.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class FuzzTest {
  private static final long SEED = Long.getLong("fuzz.seed", new SecureRandom().nextLong());
  private static final int REQUESTS = Integer.getInteger("fuzz.requests", 3000);
  /** The oracle's "within 5 s", plus what a loaded two-core machine adds between socket and stopwatch. */
  private static final long ANSWER_WITHIN_MS = 5_000 + 500;
  private static final Pattern STACK_LINE = Pattern.compile("(?m)^\\s+at \\S+\\(|^Caused by: ");
  /** Connections sending at once (each request is made from the seed and its index alone, so order does not matter). */
  private static final int CLIENTS = 3;
  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO");

  @Parameter Vendor vendor;

  /** The error shape of a route's 4xx answers. */
  enum Shape {
    /** {@code {"error": {code, message, field?}}}. */
    TUGBOAT,
    /** Tugboat's, with the transfer service's {@code status: "error"} and {@code msg} next to it. */
    TRANSFER,
    /** registrywatcher's {@code {"message": ...}}, or Tugboat's. */
    SEED_MESSAGE
  }

  /**
   * One route: method, path template ({@code {id}} and the like are filled per request), error shape, the 2xx it
   * documents, other statuses it documents (a registry failure), query parameters, a sample body (null: none) and
   * the body paths whose strings must stay loopback hosts (a node calls them).
   */
  record Route(String method, String template, Shape shape, Set<Integer> ok, Set<Integer> documented,
               List<String> query, String sample, Predicate<String> hostPaths) {
    String key() {
      return method + " " + template;
    }
  }

  /** A request as sent, for the report. */
  record Sent(int index, Route route, String method, String target, String headers, byte[] body, String how) {
    String describe() {
      return "#" + index + " " + method + " " + clip(target, 300) + (headers.isEmpty() ? "" : " [" + headers.trim()
          .replace("\r\n", "; ") + "]") + (body == null ? "" : " body(" + body.length + " bytes, " + how + ")="
          + clip(new String(body, StandardCharsets.UTF_8), 300));
    }
  }

  record Failure(String route, String reason, String request, String answer) {}

  private static Route route(String method, String template, Shape shape, Set<Integer> ok, List<String> query) {
    return new Route(method, template, shape, ok, Set.of(), query, null, path -> false);
  }

  private static Route body(String method, String template, Shape shape, Set<Integer> ok, String sample,
                            Predicate<String> hostPaths) {
    return new Route(method, template, shape, ok, Set.of(), List.of(), sample, hostPaths);
  }

  /** Every route of every capability, as mounted on a node; ${...} in samples are filled per request. */
  static List<Route> catalogue() {
    Shape t = Shape.TUGBOAT;
    Set<Integer> ok200 = Set.of(200);
    Predicate<String> none = path -> false;
    List<Route> routes = new ArrayList<>();
    // api/OpsRoutes
    routes.add(route("GET", "/health/ping", t, ok200, List.of()));
    routes.add(route("GET", "/health/live", t, ok200, List.of()));
    routes.add(route("GET", "/health/ready", t, ok200, List.of()));
    routes.add(route("GET", "/metrics", t, ok200, List.of()));
    // api/ClusterRoutes
    routes.add(route("GET", "/api/v1/cluster", t, ok200, List.of()));
    // allowlist/AllowListRoutes
    routes.add(route("GET", "/images", t, ok200, List.of("name", "sort")));
    routes.add(route("HEAD", "/images", t, ok200, List.of("name", "sort")));
    routes.add(route("GET", "/images/{id}", t, ok200, List.of()));
    routes.add(route("HEAD", "/images/{id}", t, ok200, List.of()));
    routes.add(body("PUT", "/images", t, ok200,
        "{\"id\":\"fuzz-${n}\",\"name\":\"quay.io/fuzz/app${n}\",\"tags\":[\"v1\",\"latest\"]}", none));
    routes.add(route("DELETE", "/images/{id}", t, Set.of(204), List.of()));
    // allowlist/AdmissionRoutes
    routes.add(body("POST", "/imagepolicy", t, ok200, "{\"apiVersion\":\"imagepolicy.k8s.io/v1alpha1\",\"kind\":"
        + "\"ImageReview\",\"spec\":{\"containers\":[{\"image\":\"quay.io/fuzz/app1:v1\"},{\"image\":\"nginx@sha256:"
        + "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c\"}],\"annotations\":"
        + "{\"a.image-policy.k8s.io/x\":\"y\"},\"namespace\":\"default\"}}", none));
    routes.add(body("POST", "/admission", t, ok200, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":"
        + "\"AdmissionReview\",\"request\":{\"uid\":\"uid-${n}\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":"
        + "\"Pod\"},\"operation\":\"CREATE\",\"namespace\":\"default\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
        + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"quay.io/fuzz/app1:v1\"}],\"initContainers\":"
        + "[{\"name\":\"i\",\"image\":\"busybox:1.36\"}],\"ephemeralContainers\":[]}}}}", none));
    // inventory/WebhookRoutes: the hosts of events are called by the ingestion
    Predicate<String> eventHosts = path -> path.matches("events\\[\\d+]\\.(request\\.host|target\\.url)");
    for (String path : List.of("/dockerRegistry/event", "/registry/event")) {
      routes.add(body("POST", path, t, ok200, "{\"events\":[{\"id\":\"ev-${n}\",\"timestamp\":\"2026-01-01T00:00:00Z\","
          + "\"action\":\"push\",\"target\":{\"mediaType\":\"${mediaType}\",\"size\":527,\"digest\":\"${digest}\","
          + "\"length\":527,\"repository\":\"fuzz/app\",\"url\":\"http://${registry}/v2/fuzz/app/manifests/${digest}\","
          + "\"tag\":\"1.0\"},\"request\":{\"id\":\"r\",\"addr\":\"127.0.0.1:1\",\"host\":\"${registry}\",\"method\":"
          + "\"PUT\",\"useragent\":\"fuzz\"},\"actor\":{},\"source\":{\"addr\":\"127.0.0.1:5000\",\"instanceID\":\"i\"}},"
          + "{\"id\":\"ev-${n}-layer\",\"action\":\"push\",\"target\":{\"mediaType\":"
          + "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"${digest}\",\"size\":1,\"repository\":"
          + "\"fuzz/app\",\"url\":\"http://${registry}/v2/fuzz/app/blobs/${digest}\"},\"request\":{\"host\":"
          + "\"${registry}\"}}]}", eventHosts));
    }
    // inventory/InventoryRoutes: every read answers HEAD as well
    for (String method : List.of("GET", "HEAD")) {
      routes.add(route(method, "/v2/images/{ref}/layers", t, ok200, List.of("arch", "os", "os_version", "variant")));
      routes.add(route(method, "/v2/images/{ref}/children", t, ok200, List.of("arch", "os", "os_version", "variant")));
      routes.add(route(method, "/v2/images/{ref}", t, ok200, List.of()));
      routes.add(route(method, "/v2/layers/{digest}", t, ok200, List.of()));
      routes.add(route(method, "/api/v1/images", t, ok200,
          List.of("repository", "tag", "digest", "platform", "page", "per_page")));
    }
    routes.add(new Route("POST", "/v2/images/{ref}", t, Set.of(201), Set.of(502), List.of(), null, none));
    // inventory/ImageDetailRoutes
    routes.add(route("GET", "/api/v1/images/{ref}", t, ok200, List.of()));
    routes.add(route("GET", "/api/v1/repositories", t, ok200, List.of()));
    // transfer/TransferRoutes
    Shape tr = Shape.TRANSFER;
    Predicate<String> endpoints = path -> path.endsWith("endpoint") || path.endsWith("auth.url");
    routes.add(new Route("POST", "/api/distribute/image", tr, Set.of(201), Set.of(502), List.of(), "{\"source\":{\"endpoint\":\"http://${registry}\","
        + "\"image\":\"fuzz/app\",\"ref\":\"1.0\",\"verify_tls\":false},\"targets\":[{\"endpoint\":\"http://${closed}\","
        + "\"overwrite\":true,\"verify_tls\":\"false\",\"auth\":{\"basicauth\":{\"user\":\"u\",\"password\":\""
        + HostileValues.SECRET + "\"}}},{\"endpoint\":\"http://${closed2}/v2\",\"auth\":{\"url\":\"http://${closed}/token\","
        + "\"header\":{\"X-Key\":\"" + HostileValues.SECRET + "\"},\"json\":{\"k\":1}}}],\"issuer\":\"fuzz\","
        + "\"retries_left\":1}", endpoints)); // 502: the source registry cannot be asked (README)
    routes.add(route("GET", "/api/distribute/image", tr, ok200, List.of("state", "limit")));
    routes.add(route("GET", "/api/distribute/image/{job}", tr, ok200, List.of()));
    routes.add(route("DELETE", "/api/distribute/image/{job}", tr, Set.of(202), List.of()));
    routes.add(route("GET", "/api/distribute/image/{unknownJob}/events", tr, ok200, List.of())); // a stream for known jobs
    // watch/WatchRoutes
    Shape seed = Shape.SEED_MESSAGE;
    for (String path : List.of("/ping", "/ping/", "/repos", "/debug/caches")) {
      routes.add(route("GET", path, seed, ok200, List.of()));
      routes.add(route("HEAD", path, seed, ok200, List.of()));
      routes.add(route("OPTIONS", path, seed, Set.of(204), List.of()));
    }
    routes.add(route("GET", "/tags/{repo}", seed, ok200, List.of()));
    routes.add(route("HEAD", "/tags/{repo}", seed, ok200, List.of()));
    routes.add(route("OPTIONS", "/tags/{repo}", seed, Set.of(204), List.of()));
    routes.add(body("POST", "/tags/{repo}", seed, ok200, "{\"pinned_tag\":\"1.0\",\"auto_deploy\":false}", none));
    routes.add(route("POST", "/tags/{repo}/reset", seed, ok200, List.of()));
    routes.add(route("GET", "/api/v1/watches", t, ok200, List.of()));
    routes.add(body("POST", "/api/v1/watches", t, Set.of(201), "{\"name\":\"w-${n}\",\"registry\":\"${registry}\","
        + "\"repository\":\"fuzz/app\",\"job\":\"job-${n}\",\"tasks\":[\"app\"],\"policy\":\"semver:>=1.0\","
        + "\"namespace\":\"default\"}", path -> path.equals("registry")));
    routes.add(route("DELETE", "/api/v1/watches/{repo}", t, Set.of(204), List.of()));
    routes.add(route("POST", "/api/v1/watches/{repo}/plan", t, ok200, List.of()));
    routes.add(route("GET", "/api/v1/deployments", t, ok200, List.of("repo", "limit")));
    // watch/WatchBoardRoutes
    routes.add(route("GET", "/api/v1/watches/{repo}", t, ok200, List.of()));
    routes.add(route("GET", "/api/v1/deployments/recent", t, ok200, List.of("per_repo")));
    return routes;
  }

  /**
   * What the generators fill in: loopback hosts, the pushed image, and entries made before the run (allow-list ids,
   * watches, transfer jobs), so requests reach existing entries without depending on earlier answers: request i is
   * made from (seed, vendor, i) alone, which lets requests run in parallel and {@code -Dfuzz.only=i} replay one.
   */
  static final class Known {
    final String registry;
    final String closed;
    final String closed2;
    final String digest;
    final String mediaType;
    final List<String> imageIds = List.of("quay.io/fuzz/app@sha256:" + "ab".repeat(32), "fuzz-plain", "sha256:" + "cd".repeat(32),
        "registry.example.com:5000/team/app@sha256:" + "ef".repeat(32), "Ünïcode-id");
    final List<String> names = List.of("quay.io/fuzz/app", "nginx", "registry.example.com:5000/team/app");
    final List<String> watches = List.of("fuzz-watch", "team/app", "pinned");
    final List<String> jobs = new ArrayList<>();
    final List<String> refs;

    Known(String registry, String closed, String closed2, String digest, String mediaType) {
      this.registry = registry;
      this.closed = closed;
      this.closed2 = closed2;
      this.digest = digest;
      this.mediaType = mediaType;
      this.refs = List.of(registry + "/fuzz/app:1.0", registry + "/fuzz/app@" + digest, registry + "/fuzz/app",
          registry + "/fuzz/nope:1", closed + "/fuzz/app:1.0", "[::1]:" + closed.substring(closed.indexOf(':') + 1)
          + "/fuzz/app:1.0");
    }

    String fill(String sample, int index) {
      return sample.replace("${n}", String.valueOf(index)).replace("${registry}", registry)
          .replace("${closed}", closed).replace("${closed2}", closed2).replace("${digest}", digest)
          .replace("${mediaType}", mediaType);
    }
  }

  @Test
  @DisplayName("seeded fuzz over every route: documented 2xx or a 4xx in the route's shape, within 5 s, no stack trace")
  void fuzzEveryRoute() throws Exception {
    System.out.printf("[fuzz %s] seed=%d requests=%d (replay: -Dfuzz.seed=%d)%n", vendor, SEED, REQUESTS, SEED);
    DbUrl db = TestDatabases.fresh(vendor);
    Path work = Files.createTempDirectory("fuzz-");
    try (RegistryFixture registry = RegistryFixture.start()) {
      TestImages.Layout image = TestImages.single(work.resolve("image"), "1.0", List.of(2000L), "linux", "amd64");
      TestImages.push(image, registry, "fuzz/app", "1.0");
      String closed = "127.0.0.1:" + freePort();
      String closed2 = "127.0.0.2:" + freePort();
      Known known = new Known(registry.host(), closed, closed2, image.digest(), image.mediaType());
      try (ServerProcess node = ServerProcess.start("fuzz-" + vendor, Map.of("db.url", TestServer.urlOf(db),
          "http.instances", "2", "egress.allow", "127.0.0.1,127.0.0.2,::1", "inventory.rescanInterval", "0",
          "transfer.retries", "1", "deploy.nomad.address", "http://" + closed, "deploy.dryRun", "false"),
          List.of("-Xmx384m"), Duration.ofSeconds(90))) {
        run(node, known);
      }
    } finally {
      TestDatabases.drop(db);
    }
  }

  private void run(ServerProcess node, Known known) throws Exception {
    int port = node.port();
    for (int i = 0; i < known.imageIds.size(); i++) {
      send(port, "PUT", "/images", "{\"id\":\"" + known.imageIds.get(i) + "\",\"name\":\"" + known.names.get(i % known.names.size())
          + "\",\"tags\":[\"v1\",\"latest\"]}");
    }
    for (String watch : known.watches) {
      send(port, "POST", "/api/v1/watches", "{\"name\":\"" + watch + "\",\"registry\":\"" + known.registry + "\","
          + "\"repository\":\"fuzz/app\",\"job\":\"job-" + watch.replace('/', '-') + "\",\"tasks\":[\"app\"],"
          + "\"policy\":\"semver:>=1.0\"}");
    }
    for (int i = 0; i < 3; i++) {
      known.jobs.add(new JsonObject(send(port, "POST", "/api/distribute/image", "{\"source\":{\"endpoint\":\"http://"
          + known.registry + "\",\"image\":\"fuzz/app\",\"ref\":\"1.0\"},\"targets\":[{\"endpoint\":\"http://"
          + known.closed + "\"}]}").body()).getString("id"));
    }

    List<Route> routes = catalogue();
    List<Failure> failures = Collections.synchronizedList(new ArrayList<>());
    Map<String, Integer> statuses = new ConcurrentSkipListMap<>();
    Map<String, Long> time = new ConcurrentSkipListMap<>();
    long[] logOffset = {logLength(node)};
    Integer only = Integer.getInteger("fuzz.only");
    AtomicInteger next = new AtomicInteger(only == null ? 0 : only);
    int last = only == null ? REQUESTS : only + 1;
    long start = System.nanoTime();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      running.add(clients.submit(() -> {
        for (int i = next.getAndIncrement(); i < last; i = next.getAndIncrement()) {
          HostileValues values = new HostileValues(new Random(SEED * 1_000_003L + vendor.ordinal() * 7_919L + i),
              List.of(known.registry, known.closed, known.closed2));
          Route route = values.pick(routes);
          Sent sent = request(i, route, values, known);
          RawHttp.Response answer;
          try {
            answer = RawHttp.send(port, sent.method() + " " + sent.target() + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + sent.headers(), sent.body(), (int) ANSWER_WITHIN_MS);
          } catch (AssertionError | UncheckedIOException e) {
            failures.add(new Failure(route.key(), "no answer: " + e.getMessage(), sent.describe(), ""));
            continue;
          }
          statuses.merge(answer.status() / 100 + "xx", 1, Integer::sum);
          time.merge(route.key(), answer.millis(), Long::sum);
          String problem = check(served(routes, route, sent.method()), sent, answer);
          if (problem != null) {
            failures.add(new Failure(route.key(), problem, sent.describe(),
                answer.status() + " " + clip(answer.body(), 400)));
          }
          String added = newLog(node, logOffset);
          Matcher stack = STACK_LINE.matcher(added);
          if (stack.find()) { // may come from background work (ingestion, transfer, watch) started by any request
            int record = Math.max(0, added.lastIndexOf("\n20", stack.start()) + 1);
            String first = added.substring(record, stack.start()).trim();
            String exception = first.substring(first.lastIndexOf('\n') + 1);
            failures.add(new Failure("(node log)", "stack trace: " + clip(exception.replaceAll("[0-9a-f]{64}|@[0-9a-f]+",
                "…"), 140), "last request before it: " + sent.describe(), clip(first, 600)));
          }
        }
        return null;
      }));
    }
    for (Future<?> client : running) {
      client.get();
    }
    clients.shutdown();
    long millis = (System.nanoTime() - start) / 1_000_000;
    RawHttp.Response ready = RawHttp.request(port, "GET", "/health/ready", null, null, 5000);
    List<String> stackLines = node.stackTraceLines();
    report(failures, statuses, millis, last - (only == null ? 0 : only));
    time.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
        .forEach(e -> System.out.printf("[fuzz %s] time in %s: %d ms%n", vendor, e.getKey(), e.getValue()));
    assertThat(ready.status()).as("ready after the run: " + ready.body()).isEqualTo(200);
    assertThat(failures).as("fuzz failures (seed " + SEED + ", log " + node.logFile().toAbsolutePath() + ")").isEmpty();
    assertThat(stackLines).as("stack trace lines in the node's log").isEmpty();
  }

  /** What the node logged since the last call (callers share {@code offset}). */
  private static synchronized String newLog(ServerProcess node, long[] offset) throws IOException {
    long length = logLength(node);
    if (length <= offset[0]) {
      return "";
    }
    String added = readLog(node, offset[0], length);
    offset[0] = length;
    return added;
  }

  /**
   * The catalogue's route that serves {@code method} on {@code route}'s path: its own, or another one the
   * router matches (POST on {@code /v2/images/{ref}/layers} is a scrape of {@code {ref}/layers}); else {@code route}.
   */
  private static Route served(List<Route> routes, Route route, String method) {
    if (method.equals(route.method())) {
      return route;
    }
    for (Route other : routes) {
      if (other.method().equals(method) && other.template().equals(route.template())) {
        return other;
      }
    }
    for (Route other : routes) {
      String pattern = Pattern.quote(other.template()).replaceAll("\\{(job|unknownJob)}", "\\\\E[^/]+\\\\Q")
          .replaceAll("\\{[a-zA-Z]+}", "\\\\E.+\\\\Q");
      if (other.method().equals(method) && route.template().matches(pattern)) {
        return other;
      }
    }
    return route;
  }

  /** One generated request for {@code route}: sometimes another method, hostile path values, queries and bodies. */
  private static Sent request(int index, Route route, HostileValues values, Known known) {
    String method = route.method();
    if (values.chance(0.08)) {
      method = values.pick(METHODS);
    }
    StringBuilder target = new StringBuilder(fillPath(route.template(), values, known));
    if (!route.query().isEmpty() || values.chance(0.05)) {
      List<String> parts = new ArrayList<>();
      for (String param : route.query()) {
        if (values.chance(0.5)) {
          parts.add(param + "=" + values.queryValue(usualQuery(param, known, values)));
        }
      }
      if (values.chance(0.1)) {
        parts.add(values.pick(List.of("unknown=1", "%zz=1", "a%00=b", "name=a&name=b", "=x", "&&", "per_page=")));
      }
      if (!parts.isEmpty()) {
        target.append('?').append(String.join("&", parts));
      }
    }
    byte[] body = null;
    String how = "";
    if (route.sample() != null || values.chance(0.05)) {
      JsonObject sample = new JsonObject(known.fill(route.sample() == null ? "{\"k\":\"v\"}" : route.sample(), index));
      Predicate<String> hosts = route.hostPaths();
      JsonMutator.Body made = new JsonMutator(values, hosts, () -> route.template().endsWith("/event") ? eventHost(values, known) : hostValue(values)).body(sample);
      body = made.bytes();
      how = made.description();
    }
    StringBuilder headers = new StringBuilder();
    if (body != null) {
      headers.append("\r\nContent-Type: ").append(values.chance(0.9) ? "application/json"
          : values.pick(List.of("text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1",
              "multipart/form-data; boundary=x", "")));
      if (values.chance(0.1)) { // chunked, well-formed
        headers.append("\r\nTransfer-Encoding: chunked");
        body = chunked(body, values);
        how += ", chunked";
      } else if (values.chance(0.02)) {
        headers.append("\r\nContent-Length: ").append(values.pick(List.of("abc", "-1", "1e3", "99999999999999999999")));
        how += ", bad Content-Length";
      } else {
        headers.append("\r\nContent-Length: ").append(body.length);
      }
    }
    if (values.chance(0.05)) {
      headers.append("\r\n").append(values.pick(List.of("Authorization: Bearer " + HostileValues.SECRET,
          "Content-Encoding: gzip", "Expect: 100-continue", "X-Forwarded-For: 127.0.0.1", "Accept: */*",
          "Authorization: Basic " + HostileValues.SECRET)));
    }
    return new Sent(index, route, method, target.toString(), headers.toString(), body, how);
  }

  /** A host of a registry event: scraped by the ingestion as given, so only loopback ones, plain. */
  private static String eventHost(HostileValues values, Known known) {
    return values.chance(0.5) ? values.host() : "http://" + values.host() + "/v2/fuzz/app/manifests/" + known.digest;
  }

  /** A value for a body field a node calls: a loopback host or URL, sometimes with credentials in it. */
  private static String hostValue(HostileValues values) {
    String host = values.host();
    return switch (values.nextInt(4)) {
      case 0 -> host;
      case 1 -> "http://user:" + HostileValues.SECRET + "@" + host + (values.chance(0.5) ? " x" : "");
      default -> "http://" + host;
    };
  }

  private static byte[] chunked(byte[] body, HostileValues values) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    String text = new String(body, StandardCharsets.ISO_8859_1);
    while (at < text.length()) {
      int n = Math.min(text.length() - at, 1 + values.nextInt(4096));
      out.append(Integer.toHexString(n)).append("\r\n").append(text, at, at + n).append("\r\n");
      at += n;
    }
    return out.append("0\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String fillPath(String template, HostileValues values, Known known) {
    String path = template;
    if (path.contains("{id}")) {
      path = path.replace("{id}", values.pathSegment(values.chance(0.7) ? values.pick(known.imageIds)
          : HostileValues.encode(values.pick(known.imageIds))));
    }
    if (path.contains("{ref}")) {
      path = path.replace("{ref}", values.pathSegment(values.chance(0.5) ? values.pick(known.refs) : values.reference()));
    }
    if (path.contains("{digest}")) {
      path = path.replace("{digest}", values.pathSegment(values.chance(0.5) ? known.digest : values.digest()));
    }
    if (path.contains("{job}")) {
      String job = values.chance(0.3) ? new UUID(values.random().nextLong(), values.random().nextLong()).toString()
          : values.pick(known.jobs);
      path = path.replace("{job}", values.pathSegment(job));
    }
    if (path.contains("{unknownJob}")) {
      path = path.replace("{unknownJob}", values.pathSegment(new UUID(values.random().nextLong(),
          values.random().nextLong()).toString()));
    }
    if (path.contains("{repo}")) {
      path = path.replace("{repo}", values.pathSegment(values.chance(0.7) ? values.pick(known.watches) : "not-watched"));
    }
    return path;
  }

  private static String usualQuery(String param, Known known, HostileValues values) {
    return switch (param) {
      case "name" -> values.pick(known.names);
      case "sort" -> values.pick(List.of("created_at", "updated_at", "name", "id", "bogus"));
      case "arch" -> values.pick(List.of("amd64", "arm64", "s390x"));
      case "os" -> values.pick(List.of("linux", "windows"));
      case "os_version", "variant" -> values.pick(List.of("", "v8", "10.0.17763"));
      case "repository" -> values.pick(List.of(known.registry + "/fuzz/app", "fuzz/app", "nginx"));
      case "tag" -> values.pick(List.of("1.0", "latest"));
      case "digest" -> values.chance(0.5) ? known.digest : values.digest();
      case "platform" -> values.pick(List.of("linux/amd64", "linux/arm64/v8", "linux", "a/b/c/d"));
      case "page", "per_page", "limit", "per_repo" -> String.valueOf(values.pick(List.of(1, 2, 5, 20, 50, 100, 500, 1000, 0, -1)));
      case "state" -> values.pick(List.of("QUEUED", "running", "FINISHED", "FAILED", "nope"));
      case "repo" -> values.pick(known.watches);
      default -> "x";
    };
  }

  /** The oracle for one answer; null when it holds. */
  private static String check(Route route, Sent sent, RawHttp.Response answer) {
    int status = answer.status();
    if (answer.millis() > ANSWER_WITHIN_MS) {
      return "answered after " + answer.millis() + " ms";
    }
    if (answer.body().contains(HostileValues.SECRET) && !sent.target().contains(HostileValues.SECRET)) {
      return "the answer echoes a secret from the request's headers or body";
    }
    boolean documentedMethod = sent.method().equals(route.method());
    boolean head = sent.method().equals("HEAD");
    if (status >= 200 && status < 300) {
      boolean ok = documentedMethod ? route.ok().contains(status)
          : sent.method().equals("OPTIONS") && status == 204 || head && status == 200 && route.method().equals("GET");
      if (!ok) {
        return "undocumented " + status + " for " + sent.method();
      }
      String type = answer.header("content-type");
      if (!head && type != null && type.contains("json")) {
        try {
          Json.decodeValue(answer.body());
        } catch (DecodeException e) {
          return "2xx with a body that is not JSON";
        }
      }
      return null;
    }
    if (status >= 400 && status < 500) {
      return head ? null : shape(route.shape(), answer);
    }
    if (documentedMethod && route.documented().contains(status)) {
      return shape(route.shape(), answer);
    }
    return status >= 500 ? status + " (a 5xx)" : "unexpected status " + status;
  }

  /** Null when the body is in the route's error shape (parser-level answers are always Tugboat's). */
  private static String shape(Shape shape, RawHttp.Response answer) {
    String type = answer.header("content-type");
    if (type == null || !type.contains("json")) {
      return "error answer is not JSON (Content-Type " + type + ")";
    }
    JsonObject body;
    try {
      body = new JsonObject(answer.body());
    } catch (DecodeException | ClassCastException e) {
      return "error answer is not a JSON object";
    }
    Object error = body.getValue("error");
    if (error instanceof JsonObject e && e.getValue("code") instanceof String code && !code.isBlank()
        && e.getValue("message") instanceof String message && !message.isBlank()
        && (e.getValue("field") == null || e.getValue("field") instanceof String)) {
      if (shape == Shape.TRANSFER && (body.getValue("status") != null || body.getValue("msg") != null)
          && !("error".equals(body.getValue("status")) && body.getValue("msg") instanceof String)) {
        return "transfer error with a malformed status/msg";
      }
      return null;
    }
    if (shape == Shape.SEED_MESSAGE && body.getValue("message") instanceof String) {
      return null;
    }
    return "error answer not in the route's shape";
  }

  private void report(List<Failure> failures, Map<String, Integer> statuses, long millis, int requests) {
    System.out.printf("[fuzz %s] seed=%d: %d requests in %d ms on %d connections (%s); %d failure(s)%n", vendor, SEED,
        requests, millis, CLIENTS, statuses, failures.size());
    Map<String, List<Failure>> byKind = new TreeMap<>();
    for (Failure f : List.copyOf(failures)) {
      byKind.computeIfAbsent(f.route() + " — " + f.reason().replaceAll("\\d+ ms", "N ms"), k -> new ArrayList<>()).add(f);
    }
    byKind.forEach((kind, list) -> {
      System.out.printf("[fuzz %s] FAILURE x%d %s%n", vendor, list.size(), kind);
      for (Failure f : list.subList(0, Math.min(3, list.size()))) {
        System.out.printf("    request: %s%n    answer:  %s%n", f.request(), f.answer());
      }
    });
  }

  private static RawHttp.Response send(int port, String method, String path, String json) {
    RawHttp.Response response = RawHttp.request(port, method, path, "application/json",
        json.getBytes(StandardCharsets.UTF_8), 10_000);
    assertThat(response.status()).as(method + " " + path + ": " + response.body()).isBetween(200, 299);
    return response;
  }

  private static long logLength(ServerProcess node) throws IOException {
    return node.logFile().toFile().length();
  }

  private static String readLog(ServerProcess node, long from, long to) throws IOException {
    try (RandomAccessFile file = new RandomAccessFile(node.logFile().toFile(), "r")) {
      byte[] bytes = new byte[(int) Math.min(to - from, 1 << 20)];
      file.seek(from);
      file.readFully(bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static String clip(String text, int max) {
    String line = text.length() > max ? text.substring(0, max) + "..." : text;
    StringBuilder out = new StringBuilder();
    line.codePoints().forEach(c -> {
      if (c < 0x20 || c == 0x7f || c >= 0xd800 && c <= 0xdfff) {
        out.append(String.format("\\u%04x", c));
      } else {
        out.appendCodePoint(c);
      }
    });
    return out.toString();
  }
}
