package dev.tugboat.watch;

import static dev.tugboat.watch.WatchFixture.appTask;
import static dev.tugboat.watch.WatchFixture.awaitBaseline;
import static dev.tugboat.watch.WatchFixture.awaitDeployment;
import static dev.tugboat.watch.WatchFixture.deployments;
import static dev.tugboat.watch.WatchFixture.watchState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.Browser;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The Watches page in headless Chromium against a whole node (PostgreSQL), a real registry and the fake Nomad,
 * with a tokens file (writes need the bearer token; the page asks for it once per tab). Each test has its own
 * configured watch and Nomad job; every action is checked through the API and in the fake Nomad.
 */
class WatchesPageTest {
  static final String TOKEN = "ui-write-token";
  static final String HOSTILE = "<img src=x onerror=alert(1)>";
  /** The same markup as a Nomad job name, which may not hold whitespace (the watch definition refuses it). */
  static final String HOSTILE_JOB = "<img/src=x/onerror=alert(1)>";
  static final String TOGGLE = "team/ui-toggle";
  static final String DEPLOY = "team/ui-deploy";
  static final String EVIL = "team/ui-hostile";
  static WatchFixture fixture;
  static TestServer server;
  static Browser browser;
  static Path tokens;

  @BeforeAll
  static void start() throws IOException {
    fixture = new WatchFixture();
    fixture.push(TOGGLE, "v1.0.0");
    fixture.push(DEPLOY, "v1.0.0");
    fixture.push(DEPLOY, "v1.1.0");
    String evilDigest = fixture.push(EVIL, "v1.0.0");
    plantTag(EVIL, HOSTILE, evilDigest); // a registry listing a tag no client could push
    // Nomad runs what the registry's newest tag is: the first checks take it as deployed, nothing is deployed
    fixture.nomad.putJob("default", WatchFixture.job(TOGGLE), Map.of("app", fixture.image(TOGGLE, "v1.0.0")), new JsonObject());
    fixture.nomad.putJob("default", WatchFixture.job(DEPLOY), Map.of("app", fixture.image(DEPLOY, "v1.1.0")), new JsonObject());
    fixture.nomad.putJob("default", HOSTILE_JOB, Map.of("app", fixture.image(EVIL, "v1.0.0")), new JsonObject());
    tokens = Files.createTempFile("tugboat-ui-tokens", ".yaml");
    Files.writeString(tokens, "tokens:\n  - name: ui\n    token: " + TOKEN + "\n");
    Map<String, String> settings = fixture.settings("1s");
    settings.put("auth.tokensFile", tokens.toString());
    // the inventory re-scan would HEAD the planted tag: the registry client puts it unencoded into a request line,
    // Netty refuses it and the request never ends, which also stalls the node's close (reported, not this test's subject)
    settings.put("inventory.rescanInterval", "0");
    settings.put("watch.repos", new JsonArray()
        .add(watch(TOGGLE, WatchFixture.job(TOGGLE)))
        .add(watch(DEPLOY, WatchFixture.job(DEPLOY)))
        .add(watch(EVIL, HOSTILE_JOB)).encode());
    server = TestServer.start(Vendor.POSTGRESQL, settings);
    awaitBaseline(server, TOGGLE, "v1.0.0");
    awaitBaseline(server, DEPLOY, "v1.1.0");
    awaitBaseline(server, EVIL, "v1.0.0");
    browser = Browser.start();
  }

  private static JsonObject watch(String repository, String job) {
    return new JsonObject().put("registry", fixture.registry.host()).put("repository", repository).put("job", job)
        .put("tasks", new JsonArray().add("app"));
  }

  /** Writes a tag into the registry's storage as distribution lays it out: tags/list then names it. */
  private static void plantTag(String repository, String tag, String digest) throws IOException {
    Path dir = fixture.registry.storageDir().resolve("docker/registry/v2/repositories/" + repository + "/_manifests/tags")
        .resolve(tag);
    Files.createDirectories(dir.resolve("current"));
    Files.writeString(dir.resolve("current/link"), digest);
    Path index = Files.createDirectories(dir.resolve("index/sha256/" + digest.substring(7)));
    Files.writeString(index.resolve("link"), digest);
  }

  @AfterAll
  static void stop() throws IOException {
    if (browser != null) {
      browser.close();
    }
    if (server != null) {
      server.close();
    }
    fixture.close();
    Files.deleteIfExists(tokens);
  }

  @BeforeEach
  void freshTab() {
    browser.size(1280, 900);
    browser.open(server.uri("/ui/?t=" + System.nanoTime() + "#/watches").toString());
    browser.script("sessionStorage.clear()");
    browser.ready("watches");
  }

  @AfterEach
  void noConsoleErrors() {
    // 401s are the token dialog's cue; a removed watch named by the stream is re-read once and answers 404
    assertThat(browser.consoleErrors()).extracting(e -> e.getMessage())
        .allSatisfy(m -> assertThat(m).containsAnyOf("status of 401", "/api/v1/watches/ui-added - Failed to load resource: "
            + "the server responded with a status of 404"));
    assertThatThrownBy(() -> browser.driver().switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
  }

  static WebElement card(String name) {
    return browser.visible(By.cssSelector("article.watch-card[data-name='" + name + "']"));
  }

  /** An element of a watch's card, by CSS (found again on every use: live cards are rebuilt when they change). */
  static By in(String name, String css) {
    return By.cssSelector("article.watch-card[data-name='" + name + "'] " + css);
  }

  static String status(String name) {
    return card(name).findElement(By.cssSelector("p.result")).getText();
  }

  static void awaitStatus(String name, String text) {
    browser.waiting(Browser.PATIENCE).until(d -> status(name).contains(text));
  }

  /** The token dialog is open: enter {@code token}. */
  static void enterToken(String token) {
    WebElement input = browser.visible(By.id("token-input"));
    input.sendKeys(token);
    browser.driver().findElement(By.id("token-submit")).click();
  }

  static void confirmDialog() {
    browser.visible(By.id("confirm-yes")).click();
  }

  static String lastState(String name) {
    List<WebElement> badges = card(name).findElements(By.cssSelector(".last-state .badge"));
    return badges.isEmpty() ? "" : badges.get(0).getText().toLowerCase();
  }

  @Test
  @DisplayName("auto_deploy toggled off and on (token asked once): stored, a tag pushed meanwhile is deployed when on, and the card's deployment state follows live")
  void toggleAutoDeploy() {
    assertThat(card(TOGGLE).findElement(By.cssSelector("input[role=switch]")).isSelected()).isTrue();
    browser.click(in(TOGGLE, "input[role=switch]"));
    enterToken(TOKEN);
    awaitStatus(TOGGLE, "Auto deployment set to false");
    assertThat(watchState(server, TOGGLE).getBoolean("auto_deploy")).isFalse();

    fixture.push(TOGGLE, "v1.2.0");
    WatchFixture.awaitChecks(server, TOGGLE, 2);
    assertThat(deployments(server, TOGGLE)).isEmpty();
    assertThat(fixture.nomad.registrations(WatchFixture.job(TOGGLE))).isEmpty();
    browser.waiting(Browser.PATIENCE).until(d -> card(TOGGLE).findElement(By.cssSelector(".newest")).getText().equals("v1.2.0"));

    browser.click(in(TOGGLE, "input[role=switch]")); // the token is remembered: no dialog
    awaitStatus(TOGGLE, "Auto deployment set to true");
    assertThat(browser.driver().findElement(By.id("token-dialog")).isDisplayed()).isFalse();
    JsonObject d = awaitDeployment(server, TOGGLE, 1, "SUCCESSFUL");
    assertThat(d.getJsonObject("to").getString("tag")).isEqualTo("v1.2.0");
    assertThat(appTask(fixture.nomad.job(WatchFixture.job(TOGGLE))).getJsonObject("Config").getString("image"))
        .isEqualTo(fixture.image(TOGGLE, "v1.2.0") + "@" + d.getJsonObject("to").getString("digest"));
    // pushed by the event stream (the page's fallback poll runs only while the stream is down)
    browser.waiting(Browser.PATIENCE).until(x -> lastState(TOGGLE).equals("successful"));
    browser.waiting(Browser.PATIENCE).until(x -> card(TOGGLE).findElement(By.cssSelector(".deployed-tag")).getText()
        .equals("v1.2.0"));
    assertThat(browser.driver().findElement(By.id("live")).getText()).isEqualTo("live");
  }

  @Test
  @DisplayName("deploy a chosen tag (confirmed; the button is disabled while the request is in flight), then Reset: each checked through the API and in Nomad; the deployed tag is highlighted in the picker")
  void deployThenReset() throws Exception {
    WebElement picker = card(DEPLOY).findElement(By.cssSelector("select"));
    assertThat(new Select(picker).getFirstSelectedOption().getText()).startsWith("v1.1.0").contains("deployed");
    assertThat(card(DEPLOY).findElement(By.cssSelector("button.deploy")).getText()).isEqualTo("Redeploy v1.1.0");
    new Select(picker).selectByValue("v1.0.0");
    assertThat(card(DEPLOY).findElement(By.cssSelector("button.deploy")).getText()).isEqualTo("Deploy v1.0.0");
    browser.click(in(DEPLOY, "button.deploy"));
    assertThat(browser.visible(By.id("confirm-text")).getText()).contains("v1.0.0").contains(WatchFixture.job(DEPLOY));
    try (Browser.Hold hold = browser.hold("*/tags/*")) {
      confirmDialog();
      String held = hold.next(); // the first try, without a token
      assertThat(held).startsWith("POST ").endsWith("/tags/team/ui-deploy");
      WebElement button = card(DEPLOY).findElement(By.cssSelector("button.deploy"));
      assertThat(button.isEnabled()).as("disabled while in flight").isFalse();
      assertThat(button.getAttribute("aria-busy")).isEqualTo("true");
      assertThat(status(DEPLOY)).isEqualTo("Working…");
      browser.script("arguments[0].click()", button); // a second click while in flight sends nothing
      hold.release();
      enterToken(TOKEN);
      assertThat(hold.next()).isEqualTo(held); // the retry with the token
      hold.release();
    }
    awaitStatus(DEPLOY, "Deploying to v1.0.0");
    JsonObject manual = awaitDeployment(server, DEPLOY, 1, "SUCCESSFUL");
    assertThat(manual.getString("reason")).isEqualTo("manual");
    assertThat(manual.getJsonObject("to").getString("tag")).isEqualTo("v1.0.0");
    assertThat(deployments(server, DEPLOY)).hasSize(1);
    assertThat(watchState(server, DEPLOY).getString("pinned_tag")).isEqualTo("v1.0.0");
    assertThat(appTask(fixture.nomad.job(WatchFixture.job(DEPLOY))).getJsonObject("Config").getString("image"))
        .isEqualTo(fixture.image(DEPLOY, "v1.0.0") + "@" + manual.getJsonObject("to").getString("digest"));
    browser.waiting(Browser.PATIENCE).until(x -> lastState(DEPLOY).equals("successful")
        && new Select(card(DEPLOY).findElement(By.cssSelector("select"))).getFirstSelectedOption().getText()
        .matches("v1\\.0\\.0\\s+✓ deployed"));
    assertThat(card(DEPLOY).findElement(By.cssSelector("option.deployed")).getAttribute("value")).isEqualTo("v1.0.0");
    assertThat(card(DEPLOY).findElement(By.cssSelector(".pin")).getText()).isEqualTo("v1.0.0");
    browser.click(in(DEPLOY, "details.history summary"));
    assertThat(card(DEPLOY).findElement(By.cssSelector("li.deployment")).getText()).contains("v1.1.0 → v1.0.0")
        .contains("(manual)").containsIgnoringCase("successful");

    browser.click(in(DEPLOY, "button.reset"));
    confirmDialog();
    awaitStatus(DEPLOY, "Deploying to");
    JsonObject reset = awaitDeployment(server, DEPLOY, 2, "SUCCESSFUL");
    assertThat(reset.getJsonObject("to").getString("tag")).isEqualTo("v1.1.0");
    assertThat(watchState(server, DEPLOY).getString("pinned_tag")).isEmpty();
    assertThat(watchState(server, DEPLOY).getBoolean("auto_deploy")).isTrue();
    assertThat(appTask(fixture.nomad.job(WatchFixture.job(DEPLOY))).getJsonObject("Config").getString("image"))
        .isEqualTo(fixture.image(DEPLOY, "v1.1.0") + "@" + reset.getJsonObject("to").getString("digest"));
    browser.waiting(Browser.PATIENCE).until(x -> card(DEPLOY).findElement(By.cssSelector(".deployed-tag")).getText()
        .equals("v1.1.0") && lastState(DEPLOY).equals("successful"));
    browser.screenshot("ui-watches");
  }

  @Test
  @DisplayName("a refused token says so, the switch shows the stored value again, and nothing changed")
  void refusedToken() {
    boolean before = watchState(server, TOGGLE).getBoolean("auto_deploy");
    browser.click(in(TOGGLE, "input[role=switch]"));
    enterToken("not-the-token");
    browser.waiting(Browser.PATIENCE).until(ExpectedConditions.textToBePresentInElementLocated(By.id("token-reason"),
        "Refused"));
    assertThat(browser.driver().findElement(By.id("token-reason")).getText()).contains("401");
    browser.driver().findElement(By.id("token-cancel")).click();
    awaitStatus(TOGGLE, "The token was refused (401)");
    assertThat(card(TOGGLE).findElement(By.cssSelector("input[role=switch]")).isSelected()).isEqualTo(before);
    assertThat(watchState(server, TOGGLE).getBoolean("auto_deploy")).isEqualTo(before);
    assertThat(browser.script("return sessionStorage.getItem('tugboat.token')")).isNull();
    assertThat(browser.driver().getPageSource()).doesNotContain("not-the-token");
  }

  @Test
  @DisplayName("hostile names: a deployment message holding <img src=x onerror=alert(1)> and a job named <img/src=x/onerror=alert(1)> render as text; a registry's hostile tag is not listed")
  void hostileNamesAreText() {
    fixture.nomad.nextOutcome(HOSTILE_JOB, "successful", HOSTILE);
    fixture.push(EVIL, "v1.0.1");
    JsonObject d = awaitDeployment(server, EVIL, 1, "SUCCESSFUL");
    assertThat(d.getString("message")).contains(HOSTILE);
    assertThat(d.getString("job")).isEqualTo(HOSTILE_JOB);
    // the registry lists the planted tag; the watch leaves a name no registry accepts out of its tags
    assertThat(watchState(server, EVIL).getJsonArray("tags").getList()).doesNotContain(HOSTILE);

    browser.waiting(Browser.PATIENCE).until(x -> lastState(EVIL).equals("successful"));
    assertThat(card(EVIL).findElement(By.cssSelector(".job")).getText()).isEqualTo(HOSTILE_JOB);
    assertThat(card(EVIL).findElements(By.cssSelector("select option"))).extracting(WebElement::getText)
        .noneMatch(t -> t.contains("onerror")); // a hostile tag's rendering: InventoryPageTest (a forged notification)
    browser.click(in(EVIL, "details.history summary"));
    browser.waiting(Browser.PATIENCE).until(x -> card(EVIL).findElement(By.cssSelector("li.deployment .message")).getText()
        .contains(HOSTILE));
    assertThat(browser.script("return document.querySelectorAll('img[src=\"x\"], [onerror]').length")).isEqualTo(0L);

    browser.click(in(EVIL, "select")); // opening the picker renders the options too
    browser.driver().findElement(By.id("watch-search")).sendKeys("onerror");
    browser.waiting(Browser.PATIENCE).until(x -> browser.driver().findElement(By.id("watch-count")).getText()
        .equals("1 of 3 watches"));
    assertThat(card(EVIL).isDisplayed()).isTrue();
    assertThat(browser.driver().getCurrentUrl()).endsWith("#/watches?q=onerror");
  }

  @Test
  @DisplayName("a watch is added and removed from the page (POST and DELETE /api/v1/watches); the card comes and goes")
  void addAndRemove() throws IOException {
    browser.driver().findElement(By.cssSelector("details.add summary")).click();
    browser.driver().findElement(By.id("add-watch-registry")).sendKeys(fixture.registry.host());
    browser.driver().findElement(By.id("add-watch-repository")).sendKeys(TOGGLE);
    browser.driver().findElement(By.id("add-watch-job")).sendKeys(WatchFixture.job(TOGGLE));
    browser.driver().findElement(By.id("add-watch-tasks")).sendKeys("app");
    browser.driver().findElement(By.id("add-watch-name")).sendKeys("ui-added");
    browser.driver().findElement(By.cssSelector("form.add-watch button[type=submit]")).click();
    enterToken(TOKEN);
    browser.waiting(Browser.PATIENCE).until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("form.add-watch p.result"), "ui-added is watched"));
    browser.waiting(Browser.PATIENCE).until(x -> card("ui-added").findElement(By.cssSelector("h3")).getText()
        .equals("ui-added"));
    assertThat(server.get("/api/v1/watches/ui-added").statusCode()).isEqualTo(200);

    browser.click(in("ui-added", "button.remove"));
    confirmDialog();
    browser.waiting(Browser.PATIENCE).until(ExpectedConditions.numberOfElementsToBe(
        By.cssSelector("article.watch-card[data-name='ui-added']"), 0));
    assertThat(server.get("/api/v1/watches/ui-added").statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("readable at 360 px and in dark mode; keyboard: Tab reaches the search box and the first card's controls")
  void smallScreenDarkAndKeyboard() {
    browser.size(360, 800);
    browser.screenshot("ui-watches-360");
    Number overflow = (Number) browser.script("return document.documentElement.scrollWidth - document.documentElement.clientWidth");
    assertThat(overflow.intValue()).as("no horizontal scrolling at 360 px").isLessThanOrEqualTo(0);
    browser.size(1280, 900);
    browser.driver().executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
        List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
    try {
      String background = (String) browser.script("return getComputedStyle(document.body).backgroundColor");
      assertThat(background).as("dark background").isNotEqualTo("rgb(255, 255, 255)");
      browser.screenshot("ui-watches-dark");
    } finally {
      browser.driver().executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features", List.of()));
    }
    browser.driver().findElement(By.tagName("body")).sendKeys(""); // focus the document
    boolean reached = false;
    for (int i = 0; i < 40 && !reached; i++) {
      browser.driver().switchTo().activeElement().sendKeys(org.openqa.selenium.Keys.TAB);
      reached = "watch-search".equals(browser.driver().switchTo().activeElement().getAttribute("id"));
    }
    assertThat(reached).as("Tab reaches the search box").isTrue();
    assertThat(browser.script("return [...document.querySelectorAll('select, input')].filter(e => !e.labels || e.labels.length === 0).map(e => e.outerHTML)"))
        .as("every control has a label").isEqualTo(List.of());
  }
}
