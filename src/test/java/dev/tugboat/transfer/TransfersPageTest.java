package dev.tugboat.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.Browser;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The Transfers page in headless Chromium against a whole node (PostgreSQL) and real registries: a job started
 * from the form copies to two targets and both bars reach 100 % live; a job that cannot finish is cancelled from
 * its card; credentials typed into the form are never shown again.
 */
class TransfersPageTest {
  static final String PASSWORD = "wrong-Pw-0815";
  static TestServer server;
  static RegistryFixture source;
  static RegistryFixture refusing;
  static List<RegistryFixture> targets;
  static Browser browser;
  static TestImages.Layout image;

  @BeforeAll
  static void start() throws Exception {
    source = RegistryFixture.start();
    refusing = RegistryFixture.builder().htpasswd("alice", "the-right-one").start();
    targets = List.of(RegistryFixture.start(), RegistryFixture.start());
    Path work = Files.createTempDirectory("transfers-page-");
    image = TestImages.single(work.resolve("img"), "v1", List.of(6_000_000L, 3_000_000L, 4_000L), "linux", "amd64");
    TestImages.push(image, source, "team/app", "v1");
    server = TestServer.start(Vendor.POSTGRESQL, Map.of("transfer.retries", "100", "transfer.retryBackoff", "500ms",
        "transfer.progressInterval", "100ms", "transfer.sweepInterval", "500ms"));
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
    source.close();
    refusing.close();
    targets.forEach(RegistryFixture::close);
  }

  static void fill(String id, String text) {
    WebElement input = browser.driver().findElement(By.id(id));
    input.clear();
    input.sendKeys(text);
  }

  /** Fills the start form and submits it; answers the new job's id from the page's result line. */
  static String startFromForm(String targetsText, String targetUser, String targetPassword) {
    browser.open(server.uri("/ui/?t=" + System.nanoTime() + "#/transfers").toString());
    browser.ready("transfers");
    browser.driver().findElement(By.cssSelector("details.add summary")).click();
    fill("transfer-source-endpoint", source.baseUrl() + "/v2");
    fill("transfer-image", "team/app");
    fill("transfer-ref", "v1");
    fill("transfer-targets", targetsText);
    if (targetUser != null) {
      fill("transfer-target-user", targetUser);
      fill("transfer-target-password", targetPassword);
    }
    browser.driver().findElement(By.cssSelector("form.start-transfer button[type=submit]")).click();
    By result = By.cssSelector("form.start-transfer p.result");
    browser.waiting(Browser.PATIENCE).until(ExpectedConditions.textToBePresentInElementLocated(result, "Transfer started"));
    String text = browser.driver().findElement(result).getText();
    return text.substring(text.indexOf('(') + 1, text.indexOf(')'));
  }

  static WebElement jobCard(String id) {
    return browser.visible(By.cssSelector("article.transfer-card[data-id='" + id + "']"));
  }

  @Test
  @DisplayName("a transfer started from the form: both targets' bars reach 100 % live, the job is FINISHED and both registries hold the image")
  void startAndWatchProgress() {
    String id = startFromForm(targets.get(0).baseUrl() + "/v2\n" + targets.get(1).baseUrl() + "/v2", null, null);
    browser.waiting(Duration.ofSeconds(60)).until(x -> jobCard(id).getAttribute("data-state").equals("FINISHED"));
    List<WebElement> bars = jobCard(id).findElements(By.cssSelector("li.target progress"));
    assertThat(bars).hasSize(2).allSatisfy(bar -> {
      assertThat(bar.getAttribute("value")).isEqualTo(bar.getAttribute("max"));
      assertThat(Long.parseLong(bar.getAttribute("max"))).isGreaterThan(9_000_000L);
    });
    assertThat(jobCard(id).findElements(By.cssSelector("li.target .percent"))).extracting(WebElement::getText)
        .containsExactly("100 %", "100 %");
    assertThat(jobCard(id).findElements(By.cssSelector("li.target .stats"))).allSatisfy(s ->
        assertThat(s.getText()).contains("4 blob(s)")); // three layers and the config
    JsonObject job = new JsonObject(server.get("/api/distribute/image/" + id).body());
    assertThat(job.getString("value")).isEqualTo("FINISHED");
    assertThat(job.getJsonArray("finished_endpoints")).hasSize(2);
    for (RegistryFixture target : targets) {
      assertThat(TestImages.headManifest(target.baseUrl(), "team/app", "v1", null)).hasValue(image.image().digest());
    }

    // its own page follows the job over /api/distribute/image/{id}/events
    browser.click(By.cssSelector("article.transfer-card[data-id='" + id + "'] h3 a"));
    browser.ready("transfers");
    assertThat(jobCard(id).findElement(By.cssSelector(".badge")).getText()).isEqualToIgnoringCase("finished");
    await().atMost(Duration.ofSeconds(10)).until(() -> ((Number) browser.script("return performance.getEntriesByType("
        + "'resource').filter(e => e.name.endsWith('/api/distribute/image/" + id + "/events')).length")).intValue() > 0);
    browser.screenshot("ui-transfer-job");
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  @DisplayName("a job that cannot finish is cancelled from its card (confirmed): FAILED, cancelled; the password typed is never shown again")
  void cancel() {
    String id = startFromForm(refusing.baseUrl() + "/v2", "alice", PASSWORD);
    assertThat(browser.driver().findElement(By.id("transfer-target-password")).getAttribute("value")).isEmpty();
    await().atMost(Duration.ofSeconds(30)).until(() ->
        new JsonObject(server.get("/api/distribute/image/" + id).body()).getInteger("attempts") >= 2);
    browser.waiting(Browser.PATIENCE).until(x -> !jobCard(id).findElements(By.cssSelector("li.target .error-text")).isEmpty());
    // the card is rebuilt on every progress event: read it again until it holds still (a stale element is retried)
    browser.waiting(Browser.PATIENCE).until(x -> jobCard(id).findElement(By.cssSelector("button.cancel")).isEnabled());
    browser.click(By.cssSelector("article.transfer-card[data-id='" + id + "'] button.cancel"));
    browser.visible(By.id("confirm-yes")).click();
    browser.waiting(Duration.ofSeconds(30)).until(x -> "FAILED".equals(jobCard(id).getAttribute("data-state")));
    JsonObject job = new JsonObject(server.get("/api/distribute/image/" + id).body());
    assertThat(job.getString("value")).isEqualTo("FAILED");
    assertThat(job.getBoolean("cancelled")).isTrue();
    browser.waiting(Browser.PATIENCE).until(x -> !jobCard(id).findElement(By.cssSelector("button.cancel")).isEnabled()
        && jobCard(id).getText().contains("cancel"));
    assertThat(browser.driver().getPageSource()).doesNotContain(PASSWORD);
    browser.open(server.uri("/ui/?list#/transfers").toString());
    browser.ready("transfers");
    browser.screenshot("ui-transfers");
    assertThat(browser.driver().findElements(By.cssSelector("article.transfer-card")).size()).isGreaterThanOrEqualTo(1);
    assertThat(browser.consoleErrors()).isEmpty();
    assertThat(new JsonArray(server.get("/api/distribute/image?state=FAILED").body())).isNotEmpty();
  }
}
