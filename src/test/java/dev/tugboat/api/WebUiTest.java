package dev.tugboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.bus.Changes;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.Browser;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The web UI's shell against a whole node (PostgreSQL; the UI does not depend on the vendor): every page loads
 * in headless Chromium with no console error; the files are served gzipped with a strict CSP and cache headers,
 * and a first load stays under 200 KB over the wire; the event stream starts with a snapshot, relays change facts
 * and answers a reconnect with a fresh snapshot.
 */
class WebUiTest {
  static TestServer server;
  static Browser browser;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    server = TestServer.start(Vendor.POSTGRESQL, Map.of());
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    if (server != null) {
      server.close();
    }
  }

  static String url(String path) {
    return server.uri(path).toString();
  }

  @Test
  @DisplayName("every page loads in Chromium with no console error, the nav marks it, and a screenshot is written")
  void everyPageLoads() {
    browser.size(1280, 900);
    for (String page : List.of("watches", "transfers", "inventory", "allowlist", "node")) {
      browser.open(url("/ui/#/" + page));
      browser.ready(page);
      assertThat(browser.driver().findElement(By.cssSelector("#nav a[aria-current=page]")).getAttribute("data-page"))
          .isEqualTo(page);
      assertThat(browser.driver().findElement(By.tagName("h1")).getText()).isNotBlank();
      browser.waiting(Browser.PATIENCE).until(ExpectedConditions.textToBe(By.id("live"), "live"));
      browser.screenshot("ui-empty-" + page);
      assertThat(errors(List.of("/api/v1/cluster"))).as(page).isEmpty();
    }
  }

  @Test
  @DisplayName("a first load is under 200 KB over the wire (cold cache), and every file came gzipped")
  void pageWeight() {
    browser.driver().executeCdpCommand("Network.clearBrowserCache", Map.of());
    browser.open("about:blank");
    browser.open(url("/ui/?cold#/watches")); // a new document: its performance entries are this load's only
    browser.ready("watches");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> entries = (List<Map<String, Object>>) browser.script(
        "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            + ".map(e => ({name: e.name, transfer: e.transferSize, body: e.encodedBodySize, decoded: e.decodedBodySize}))");
    long transfer = entries.stream().mapToLong(e -> ((Number) e.get("transfer")).longValue()).sum();
    long decoded = entries.stream().mapToLong(e -> ((Number) e.get("decoded")).longValue()).sum();
    System.out.printf("[web-ui] first load of the Watches page: %d requests, %d bytes over the wire, %d bytes decoded%n",
        entries.size(), transfer, decoded);
    entries.forEach(e -> System.out.printf("[web-ui]   %7d B wire %7d B decoded  %s%n", ((Number) e.get("transfer")).longValue(),
        ((Number) e.get("decoded")).longValue(), e.get("name")));
    assertThat(transfer).isPositive().isLessThan(200 * 1024);
    assertThat(errors(List.of())).isEmpty();
  }

  @Test
  @DisplayName("/ui/ and its assets: gzip, strict CSP, nosniff, no-cache page, immutable content-hashed assets, 304 on ETag")
  void headers() throws Exception {
    HttpResponse<byte[]> redirect = raw("/ui", Map.of());
    assertThat(redirect.statusCode()).isEqualTo(302);
    assertThat(redirect.headers().firstValue("Location")).hasValue("/ui/");

    HttpResponse<byte[]> page = raw("/ui/", Map.of("Accept-Encoding", "gzip"));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Encoding")).hasValue("gzip");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("script-src 'self'", "default-src 'none'", "frame-ancestors 'none'").doesNotContain("unsafe");
    assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-cache");
    String html = gunzip(page.body());
    assertThat(html).doesNotContain("<script>").doesNotContain("{{assets}}").doesNotContain(" style=")
        .doesNotContainPattern("\\son[a-z]+="); // no inline handlers either
    Matcher app = Pattern.compile("src=\"(/ui/assets/[0-9a-f]{16}/js/app\\.js)\"").matcher(html);
    assertThat(app.find()).as(html).isTrue();

    HttpResponse<byte[]> js = raw(app.group(1), Map.of("Accept-Encoding", "gzip"));
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
    assertThat(js.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
    assertThat(gunzip(js.body())).contains("EventSource");
    String etag = js.headers().firstValue("ETag").orElseThrow();
    assertThat(raw(app.group(1), Map.of("If-None-Match", etag)).statusCode()).isEqualTo(304);

    HttpResponse<byte[]> plain = raw(app.group(1), Map.of());
    assertThat(plain.headers().firstValue("Content-Encoding").orElse("identity")).isEqualTo("identity");
    assertThat(new String(plain.body(), StandardCharsets.UTF_8)).isEqualTo(gunzip(js.body()));

    String stale = app.group(1).replaceFirst("assets/[0-9a-f]{16}/", "assets/0000000000000000/");
    assertThat(raw(stale, Map.of()).headers().firstValue("Cache-Control")).hasValue("no-cache");
    assertThat(raw("/ui/assets/x/js/none.js", Map.of()).statusCode()).isEqualTo(404);
    HttpResponse<byte[]> css = raw(html.replaceAll("(?s).*href=\"(/ui/assets/[^\"]+/vendor/pico\\.min\\.css)\".*", "$1"), Map.of());
    assertThat(css.statusCode()).isEqualTo(200);
    assertThat(css.headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
  }

  @Test
  @DisplayName("GET /api/v1/node: version, database (no password), auth, runtime")
  void node() {
    JsonObject node = new JsonObject(server.get("/api/v1/node").body());
    assertThat(node.getString("version")).isNotBlank().isNotEqualTo("unknown");
    assertThat(node.getJsonObject("database").getString("vendor")).isEqualTo("postgresql");
    assertThat(node.getJsonObject("database").getString("url")).doesNotContain(server.database().password().isEmpty()
        ? "\u0000" : server.database().password());
    assertThat(node.getJsonObject("auth").getBoolean("tokens")).isFalse();
    assertThat(node.getJsonObject("runtime").getString("vertx")).isEqualTo("5.0.10");
  }

  @Test
  @DisplayName("the event stream: a snapshot first, bus facts relayed as watch/deployment/transfer events, a fresh snapshot on reconnect")
  void eventStream() throws Exception {
    try (Stream first = Stream.open(null)) {
      Event snapshot = first.next();
      assertThat(snapshot.type()).isEqualTo("snapshot");
      assertThat(new JsonObject(snapshot.data()).getBoolean("reconnect")).isFalse();
      var bus = server.server().vertx().eventBus();
      Changes.watch(bus, "team/app");
      Changes.deployment(bus, "d-1", "team/app", "RUNNING");
      bus.publish(dev.tugboat.bus.Addresses.TRANSFER_PROGRESS, new JsonObject().put("id", "job-1"));
      bus.publish(dev.tugboat.bus.Addresses.WATCH_WAKE, null); // a wake-up is not a change: not relayed
      List<Event> facts = List.of(first.next(), first.next(), first.next());
      assertThat(facts).extracting(Event::type).containsExactlyInAnyOrder("watch", "deployment", "transfer");
      assertThat(facts).allSatisfy(e -> assertThat(e.id()).isNotBlank());
      assertThat(facts).filteredOn(e -> e.type().equals("deployment")).singleElement()
          .satisfies(e -> assertThat(new JsonObject(e.data()).getString("state")).isEqualTo("RUNNING"));

      try (Stream again = Stream.open(facts.get(2).id())) {
        Event fresh = again.next();
        assertThat(fresh.type()).isEqualTo("snapshot");
        assertThat(new JsonObject(fresh.data()).getBoolean("reconnect")).isTrue();
      }
    }
  }

  /** Console errors of the page, except network errors of routes that answer 404 or 401 on purpose. */
  static List<String> errors(List<String> expected) {
    List<String> out = new ArrayList<>();
    for (LogEntry e : browser.consoleErrors()) {
      String m = e.getMessage();
      if (expected.stream().noneMatch(m::contains)) {
        out.add(m);
      }
    }
    return out;
  }

  private static HttpResponse<byte[]> raw(String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(10));
    headers.forEach(request::header);
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String gunzip(byte[] bytes) throws IOException {
    try (InputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  record Event(String id, String type, String data) {}

  /** A raw Server-Sent Events reader over HttpClient (the browser's EventSource is tested by the page tests). */
  static final class Stream implements AutoCloseable {
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final InputStream body;

    private Stream(InputStream body) {
      this.body = body;
      Thread reader = new Thread(this::read, "sse-reader");
      reader.setDaemon(true);
      reader.start();
    }

    static Stream open(String lastEventId) throws Exception {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url(EventStream.PATH)))
          .header("Accept", "text/event-stream");
      if (lastEventId != null) {
        request.header("Last-Event-ID", lastEventId);
      }
      HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
      return new Stream(response.body());
    }

    private void read() {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        String id = null;
        String type = "message";
        StringBuilder data = new StringBuilder();
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          if (line.isEmpty()) {
            if (data.length() > 0) {
              events.add(new Event(id, type, data.toString()));
            }
            id = null;
            type = "message";
            data.setLength(0);
          } else if (line.startsWith("id: ")) {
            id = line.substring(4);
          } else if (line.startsWith("event: ")) {
            type = line.substring(7);
          } else if (line.startsWith("data: ")) {
            data.append(line.substring(6));
          }
        }
      } catch (IOException ignored) {
        // closed
      }
    }

    Event next() throws InterruptedException {
      Event e = events.poll(10, TimeUnit.SECONDS);
      assertThat(e).as("an event within 10 s").isNotNull();
      return e;
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }
}
