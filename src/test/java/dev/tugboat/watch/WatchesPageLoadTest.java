package dev.tugboat.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.Browser;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * The Watches page with 500 watched repositories in headless Chromium: how long until the cards are there and
 * painted (cold cache), and how long a search takes to narrow them. Measured and printed, not asserted (speed
 * is a benchmark's business); the test asserts that all 500 cards render and the search finds the one asked for.
 */
class WatchesPageLoadTest {
  static final int WATCHES = 500;
  static WatchFixture fixture;
  static TestServer server;
  static Browser browser;

  @BeforeAll
  static void start() {
    fixture = new WatchFixture();
    fixture.push("team/load", "v1.0.0", "v1.1.0", "latest");
    fixture.nomad.putJob("default", "load", Map.of("app", fixture.image("team/load", "v1.1.0")), new JsonObject());
    JsonArray repos = new JsonArray();
    for (int i = 0; i < WATCHES; i++) {
      repos.add(new JsonObject().put("name", String.format("load-%03d", i)).put("registry", fixture.registry.host())
          .put("repository", "team/load").put("job", "load").put("tasks", new JsonArray().add("app")));
    }
    Map<String, String> settings = fixture.settings("10m"); // checked once at start, then quiet while measured
    settings.put("watch.repos", repos.encode());
    server = TestServer.start(Vendor.POSTGRESQL, settings);
    await().atMost(Duration.ofSeconds(120)).until(() -> new JsonArray(server.get("/api/v1/watches").body()).stream()
        .map(JsonObject.class::cast).filter(w -> w.getString("checked_at") != null).count() == WATCHES);
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
    fixture.close();
  }

  /** Loads the page in a new document; answers {ready, painted} in ms since navigation start. */
  static double[] load(String query) {
    browser.open("about:blank");
    browser.open(server.uri("/ui/?" + query + "#/watches").toString());
    browser.ready("watches");
    Number ready = (Number) browser.script("return performance.getEntriesByName('tugboat:watches-ready')[0].startTime");
    Number painted = (Number) browser.driver().executeAsyncScript("const done = arguments[0];"
        + " requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now())));");
    return new double[] {ready.doubleValue(), painted.doubleValue()};
  }

  @Test
  @DisplayName("500 watched repositories: every card renders, searching narrows to one; load and search times printed")
  void fiveHundredRepositories() {
    browser.driver().executeCdpCommand("Network.clearBrowserCache", Map.of());
    double[] cold = load("cold");
    assertThat(browser.driver().findElements(By.cssSelector("article.watch-card"))).hasSize(WATCHES);
    assertThat(browser.driver().findElement(By.id("watch-count")).getText()).isEqualTo(WATCHES + " watches");
    double[] warm = load("warm");
    Number json = (Number) browser.script("return performance.getEntriesByType('resource')"
        + ".filter(e => e.name.endsWith('/api/v1/watches')).map(e => e.transferSize)[0] || 0");

    Number search = (Number) browser.driver().executeAsyncScript("const done = arguments[0];"
        + " const input = document.getElementById('watch-search'); const count = document.getElementById('watch-count');"
        + " const t0 = performance.now();"
        + " new MutationObserver((m, o) => { if (count.textContent.startsWith('1 of')) { o.disconnect();"
        + "   requestAnimationFrame(() => done(performance.now() - t0)); } })"
        + "   .observe(count, {childList: true, characterData: true, subtree: true});"
        + " input.value = 'load-499'; input.dispatchEvent(new Event('input'));");
    assertThat(browser.driver().findElement(By.id("watch-count")).getText()).isEqualTo("1 of " + WATCHES + " watches");
    assertThat(browser.driver().findElements(By.cssSelector("article.watch-card:not([hidden])")))
        .singleElement().satisfies(c -> assertThat(c.getAttribute("data-name")).isEqualTo("load-499"));
    browser.screenshot("ui-watches-500");
    System.out.printf("[web-ui] Watches page, %d repositories, headless Chromium: cold cache ready %.0f ms, painted %.0f ms;"
        + " warm cache ready %.0f ms, painted %.0f ms; /api/v1/watches %d bytes over the wire; search to one card %.0f ms"
        + " (120 ms of it is the input debounce)%n", WATCHES, cold[0], cold[1], warm[0], warm[1], json.longValue(),
        search.doubleValue());
    assertThat(browser.consoleErrors()).isEmpty();
  }
}
