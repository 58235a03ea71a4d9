package dev.tugboat.allowlist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.Browser;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The Allow-list page in headless Chromium against a whole node (PostgreSQL) with a tokens file: an entry is
 * added and deleted (checked through imagelist's API), the admission check answers as {@code /imagepolicy}
 * does, and a refused token says so.
 */
class AllowListPageTest {
  static final String TOKEN = "allow-write-token";
  static final String IMAGE = "registry.example.com/team/nginx";
  static TestServer server;
  static Browser browser;
  static Path tokens;

  @BeforeAll
  static void start() throws Exception {
    tokens = Files.createTempFile("tugboat-allow-tokens", ".yaml");
    Files.writeString(tokens, "tokens:\n  - name: ui\n    token: " + TOKEN + "\n");
    server = TestServer.start(Vendor.POSTGRESQL, Map.of("auth.tokensFile", tokens.toString()));
    browser = Browser.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) {
      browser.close();
    }
    if (server != null) {
      server.close();
    }
    Files.deleteIfExists(tokens);
  }

  static void open() {
    browser.open(server.uri("/ui/?t=" + System.nanoTime() + "#/allowlist").toString());
    browser.script("sessionStorage.clear()");
    browser.ready("allowlist");
  }

  static void type(String id, String text) {
    WebElement input = browser.driver().findElement(By.id(id));
    input.clear();
    input.sendKeys(text);
  }

  static void addEntry(String id, String name, String tags) {
    browser.driver().findElement(By.cssSelector("details.add summary")).click();
    type("allow-id", id);
    type("allow-name", name);
    type("allow-tags", tags);
    browser.driver().findElement(By.cssSelector("form.add-entry button[type=submit]")).click();
  }

  static void enterToken(String token) {
    browser.visible(By.id("token-input")).sendKeys(token);
    browser.driver().findElement(By.id("token-submit")).click();
  }

  static String admission(String image) {
    type("admission-image", image);
    String before = browser.driver().findElement(By.id("admission-answer")).getText();
    browser.driver().findElement(By.cssSelector("form.admission button[type=submit]")).click();
    browser.waiting(Browser.PATIENCE).until(x -> {
      String now = browser.driver().findElement(By.id("admission-answer")).getText();
      return !now.isEmpty() && !now.equals(before) && !now.equals("Working…");
    });
    return browser.driver().findElement(By.id("admission-answer")).getText();
  }

  @Test
  @DisplayName("add an entry (token asked once), the admission check admits its tags and denies others with the reason, delete it (confirmed)")
  void addCheckDelete() {
    open();
    assertThat(admission(IMAGE + ":v1.0.0")).startsWith("Denied");

    addEntry("ui-nginx", IMAGE, "v1.0.0, v1.1.0");
    enterToken(TOKEN);
    browser.waiting(Browser.PATIENCE).until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("form.add-entry p.result"), "ui-nginx allowed"));
    WebElement row = browser.visible(By.cssSelector("tr.allow-row[data-id='ui-nginx']"));
    assertThat(row.findElement(By.cssSelector("td.image")).getText()).isEqualTo(IMAGE);
    assertThat(row.findElements(By.cssSelector("td.tags .tag"))).extracting(WebElement::getText)
        .containsExactly("v1.0.0", "v1.1.0");
    JsonObject stored = new JsonObject(server.get("/images/ui-nginx").body());
    assertThat(stored.getString("name")).isEqualTo(IMAGE);
    assertThat(stored.getJsonArray("tags").getList()).containsExactly("v1.0.0", "v1.1.0");

    assertThat(admission(IMAGE + ":v1.1.0")).startsWith("Admitted");
    String denied = admission(IMAGE + ":v9.9.9");
    assertThat(denied).startsWith("Denied:").contains(IMAGE);
    browser.screenshot("ui-allowlist");

    type("allow-search", "nginx");
    assertThat(browser.driver().findElements(By.cssSelector("tr.allow-row"))).hasSize(1);
    type("allow-search", "no-such-entry");
    assertThat(browser.driver().findElements(By.cssSelector("tr.allow-row"))).isEmpty();
    type("allow-search", "ui-");

    browser.visible(By.cssSelector("tr.allow-row[data-id='ui-nginx'] button.delete")).click();
    assertThat(browser.visible(By.id("confirm-text")).getText()).contains("ui-nginx");
    browser.driver().findElement(By.id("confirm-yes")).click(); // the token is remembered: no dialog
    browser.waiting(Browser.PATIENCE).until(ExpectedConditions.numberOfElementsToBe(
        By.cssSelector("tr.allow-row[data-id='ui-nginx']"), 0));
    assertThat(server.get("/images/ui-nginx").statusCode()).isEqualTo(404);
    assertThat(admission(IMAGE + ":v1.1.0")).startsWith("Denied");
    assertThat(browser.consoleErrors()).extracting(e -> e.getMessage()).allSatisfy(m -> assertThat(m).contains("401"));
  }

  @Test
  @DisplayName("a refused token: the dialog says so, cancelling leaves the entry unwritten and the page says the token was refused")
  void refusedToken() {
    open();
    addEntry("ui-refused", IMAGE, "v1");
    enterToken("wrong-token");
    browser.waiting(Browser.PATIENCE).until(ExpectedConditions.textToBePresentInElementLocated(By.id("token-reason"), "Refused"));
    browser.driver().findElement(By.id("token-cancel")).click();
    browser.waiting(Browser.PATIENCE).until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("form.add-entry p.result"), "The token was refused (401)"));
    assertThat(server.get("/images/ui-refused").statusCode()).isEqualTo(404);
    assertThat(browser.driver().getPageSource()).doesNotContain("wrong-token");
    assertThat(browser.consoleErrors()).extracting(e -> e.getMessage()).allSatisfy(m -> assertThat(m).contains("401"));
  }
}
