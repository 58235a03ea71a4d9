package dev.tugboat.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.Browser;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The Inventory page in headless Chromium against a whole node (PostgreSQL) fed by a real registry's
 * notifications: filter, an image's page (tags, version class, platform, layers in order, config digest, build
 * time) and its lineage (built on / children, each a link); a tag from a forged notification renders as text.
 */
class InventoryPageTest {
  static final String HOSTILE = "<img src=x onerror=alert(1)>";
  static TestServer server;
  static RegistryFixture registry;
  static Browser browser;
  static TestImages.Layout base;
  static TestImages.Layout app;

  @BeforeAll
  static void start() throws Exception {
    Path work = Files.createTempDirectory("inventory-page-");
    server = TestServer.start(Vendor.POSTGRESQL, Map.of("inventory.sweepInterval", "500ms", "inventory.rescanInterval", "0"));
    registry = RegistryFixture.builder().notifications(server.uri("/dockerRegistry/event").toString(), Map.of()).start();
    base = TestImages.single(work.resolve("base"), "1.0", List.of(1200L, 2200L), TestImages.Platform.LINUX_AMD64,
        TestImages.Options.defaults().seed(31));
    app = TestImages.single(work.resolve("app"), "2.1.0", List.of(1200L, 2200L, 3200L), TestImages.Platform.LINUX_AMD64,
        TestImages.Options.defaults().seed(31)); // same seed: the first two layers are the base's
    TestImages.push(base, registry, "base", "1.0");
    TestImages.push(app, registry, "team/app", "2.1.0");
    await().atMost(Duration.ofSeconds(20)).until(() -> server.get("/v2/images/" + registry.host() + "/team/app:2.1.0")
        .statusCode() == 200 && server.get("/v2/images/" + registry.host() + "/base:1.0").statusCode() == 200);
    // a forged notification: the app's digest under a tag no registry would accept
    JsonObject target = new JsonObject().put("mediaType", TestImages.OCI_MANIFEST).put("digest", app.image().digest())
        .put("repository", "team/app").put("tag", HOSTILE)
        .put("url", registry.baseUrl() + "/v2/team/app/manifests/" + app.image().digest());
    JsonObject event = new JsonObject().put("id", UUID.randomUUID().toString()).put("action", "push").put("target", target)
        .put("request", new JsonObject().put("host", registry.host()));
    HttpResponse<String> forged = server.send("POST", "/dockerRegistry/event",
        new JsonObject().put("events", new JsonArray().add(event)).encode(), null);
    assertThat(forged.statusCode()).isEqualTo(200); // refused at the door: the registry must not send it again
    assertThat(new JsonObject(forged.body()).getJsonArray("rejected")).hasSize(1);
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    registry.close();
    if (server != null) {
      server.close();
    }
  }

  @Test
  @DisplayName("filter by repository, open an image: tags with version class and latest, platform, layers in order, config digest, built on the base; the base's page lists it as a child")
  void imageAndLineage() {
    String appName = registry.host() + "/team/app";
    browser.open(server.uri("/ui/?t=" + System.nanoTime() + "#/inventory").toString());
    browser.ready("inventory");
    assertThat(browser.driver().findElements(By.cssSelector("tr.image-row"))).hasSize(2);
    WebElement repo = browser.driver().findElement(By.id("inventory-repository"));
    repo.sendKeys(appName);
    browser.driver().findElement(By.cssSelector("form.filters button[type=submit]")).click();
    browser.waiting(Browser.PATIENCE).until(x -> browser.driver().findElements(By.cssSelector("tr.image-row")).size() == 1);
    assertThat(browser.driver().getCurrentUrl()).contains("repository=");
    browser.screenshot("ui-inventory");
    browser.driver().findElement(By.cssSelector("tr.image-row a")).click();
    browser.visible(By.cssSelector("#image-detail h1"));

    assertThat(browser.driver().findElement(By.cssSelector("#image-detail h1")).getText()).isEqualTo(appName);
    List<WebElement> tags = browser.driver().findElements(By.cssSelector("ul.tag-list li"));
    assertThat(tags).extracting(WebElement::getText).anySatisfy(t -> assertThat(t).startsWith("2.1.0")
        .contains("latest of its class"));
    assertThat(browser.driver().findElements(By.cssSelector("ul.tag-list .tag"))).as("the forged tag never got in")
        .extracting(WebElement::getText).containsExactly("2.1.0");
    assertThat(browser.script("return document.querySelectorAll('img[src=\"x\"], [onerror]').length")).isEqualTo(0L);
    assertThat(browser.driver().findElement(By.cssSelector(".platform-detail h2")).getText()).isEqualTo("linux/amd64");
    List<WebElement> layers = browser.driver().findElements(By.cssSelector("ol.layers li"));
    assertThat(layers).hasSize(3);
    assertThat(layers.get(0).findElement(By.cssSelector("code")).getAttribute("title"))
        .isEqualTo(app.image().layerDigests().get(0));
    assertThat(layers.get(0).getText()).contains("from").contains(registry.host() + "/base");
    assertThat(layers.get(2).getText()).doesNotContain("from");
    String config = browser.driver().findElements(By.cssSelector(".platform-detail dl.facts code")).get(1).getAttribute("title");
    assertThat(config).isEqualTo(app.image().config().digest());
    browser.screenshot("ui-inventory-image");

    List<WebElement> builtOn = browser.driver().findElements(By.xpath("//h2[text()='Built on']/following-sibling::ul[1]/li/a"));
    assertThat(builtOn).hasSize(1);
    builtOn.get(0).click();
    browser.waiting(Browser.PATIENCE).until(x -> browser.driver().findElement(By.cssSelector("#image-detail h1")).getText()
        .equals(registry.host() + "/base"));
    List<WebElement> children = browser.driver().findElements(By.xpath("//h3[text()='Children']/following-sibling::ul[1]/li/a"));
    assertThat(children).extracting(WebElement::getText).singleElement().satisfies(t -> assertThat(t).startsWith(appName));
    assertThat(browser.consoleErrors()).isEmpty();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> browser.driver().switchTo().alert())
        .isInstanceOf(org.openqa.selenium.NoAlertPresentException.class);
  }

  @Test
  @DisplayName("a hostile filter in the page's address is shown as text in its input and never run")
  void hostileFilter() {
    browser.open(server.uri("/ui/?t=" + System.nanoTime() + "#/inventory?repository="
        + URLEncoder.encode(HOSTILE, StandardCharsets.UTF_8).replace("+", "%20")).toString());
    browser.ready("inventory");
    assertThat(browser.driver().findElement(By.id("inventory-repository")).getAttribute("value")).isEqualTo(HOSTILE);
    browser.waiting(Browser.PATIENCE).until(x -> browser.driver().findElements(By.cssSelector("tr.image-row")).isEmpty());
    assertThat(browser.script("return document.querySelectorAll('img[src=\"x\"], [onerror]').length")).isEqualTo(0L);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> browser.driver().switchTo().alert())
        .isInstanceOf(org.openqa.selenium.NoAlertPresentException.class);
    assertThat(browser.consoleErrors()).as("only the API's refusal of the filter").isNotEmpty()
        .allSatisfy(entry -> assertThat(entry.getMessage()).contains("/api/v1/images?", "status of 400"));
  }
}
