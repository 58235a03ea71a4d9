package dev.tugboat.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's Chromium driven headless by Selenium through Debian's chromedriver (explicit paths, so Selenium
 * Manager never downloads anything), with a fresh profile, the browser console captured and screenshots
 * written under {@code target/screenshots/}. One per test class: starting a browser takes a second or two.
 */
public final class Browser implements AutoCloseable {
  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  public static final Path SCREENSHOTS = Path.of("target", "screenshots");

  private final ChromeDriverService service;
  private final ChromeDriver driver;
  private final Path profile;

  private Browser(ChromeDriverService service, ChromeDriver driver, Path profile) {
    this.service = service;
    this.driver = driver;
    this.profile = profile;
  }

  public static Browser start() {
    for (Path binary : List.of(CHROMIUM, CHROMEDRIVER)) {
      if (!Files.isExecutable(binary)) {
        throw new IllegalStateException(binary + " is missing: the browser tests need Debian's chromium and "
            + "chromium-driver packages. Run `make test` (scripts/prepare-test-env.sh installs them) or "
            + "`apt-get install -y chromium chromium-driver`.");
      }
    }
    Path profile;
    try {
      profile = Files.createTempDirectory("tugboat-chromium-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
        "--disable-extensions", "--user-data-dir=" + profile, "--window-size=1280,900", "--lang=en-GB");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().withSilent(true).build();
    return new Browser(service, new ChromeDriver(service, options), profile);
  }

  public ChromeDriver driver() {
    return driver;
  }

  public void open(String url) {
    driver.get(url);
  }

  /** A wait that also looks again when the element it held was replaced (live pages rebuild what changed). */
  public WebDriverWait waiting(Duration timeout) {
    WebDriverWait wait = new WebDriverWait(driver, timeout);
    wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    return wait;
  }

  /** Waits (10 s at most) for an element to be visible and returns it. */
  public WebElement visible(By by) {
    return waiting(Duration.ofSeconds(10)).until(ExpectedConditions.visibilityOfElementLocated(by));
  }

  /**
   * Waits until the UI has loaded {@code page}'s data (the shell sets {@code data-ready} on {@code <main>});
   * on a timeout the failure carries the browser console, which says why.
   */
  public void ready(String page) {
    try {
      waiting(PATIENCE).until(ExpectedConditions.attributeToBe(By.id("main"), "data-ready", page));
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError("page " + page + " did not load; console: " + console(), e);
    }
  }

  /** Clicks the element {@code by} finds, finding it again if the page replaced it meanwhile (live pages do). */
  public void click(By by) {
    waiting(PATIENCE).until(d -> {
      d.findElement(by).click();
      return true;
    });
  }

  public Object script(String js, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(js, args);
  }

  /** The console entries since the last call (warnings and errors, JavaScript and network), each once. */
  public List<LogEntry> console() {
    return driver.manage().logs().get(LogType.BROWSER).getAll();
  }

  /** The console's SEVERE entries since the last call. */
  public List<LogEntry> consoleErrors() {
    return console().stream().filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).toList();
  }

  public void size(int width, int height) {
    driver.manage().window().setSize(new Dimension(width, height));
  }

  /** A PNG of the viewport (or of the whole page when {@code fullPage}) under {@link #SCREENSHOTS}. */
  public Path screenshot(String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
      Path file = SCREENSHOTS.resolve(name + ".png");
      Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // a leftover temp profile is harmless
      }
    }
  }

  /**
   * Holds the browser's requests whose URL matches {@code urlPattern} (CDP Fetch, {@code *} wildcards) until
   * {@link Hold#release}: what a page shows while a request is in flight can then be checked without a race.
   */
  public Hold hold(String urlPattern) {
    org.openqa.selenium.devtools.DevTools tools = driver.getDevTools();
    tools.createSessionIfThereIsNotOne();
    Hold hold = new Hold(tools);
    tools.addListener(org.openqa.selenium.devtools.v156.fetch.Fetch.requestPaused(), hold.paused::add);
    tools.send(org.openqa.selenium.devtools.v156.fetch.Fetch.enable(java.util.Optional.of(List.of(
        new org.openqa.selenium.devtools.v156.fetch.model.RequestPattern(java.util.Optional.of(urlPattern),
            java.util.Optional.empty(), java.util.Optional.empty()))), java.util.Optional.empty()));
    return hold;
  }

  /** Requests held by {@link #hold}. */
  public static final class Hold implements AutoCloseable {
    private final org.openqa.selenium.devtools.DevTools tools;
    private final java.util.concurrent.BlockingQueue<org.openqa.selenium.devtools.v156.fetch.model.RequestPaused> paused =
        new java.util.concurrent.LinkedBlockingQueue<>();
    private final List<org.openqa.selenium.devtools.v156.fetch.model.RequestPaused> held = new java.util.ArrayList<>();

    private Hold(org.openqa.selenium.devtools.DevTools tools) {
      this.tools = tools;
    }

    /** Waits (10 s at most) for the next held request; answers "METHOD url". */
    public String next() throws InterruptedException {
      var request = paused.poll(10, java.util.concurrent.TimeUnit.SECONDS);
      if (request == null) {
        throw new AssertionError("no request was held within 10 s");
      }
      held.add(request);
      return request.getRequest().getMethod() + " " + request.getRequest().getUrl();
    }

    /** Lets every held request go on to the server. */
    public void release() {
      for (var request : held) {
        tools.send(org.openqa.selenium.devtools.v156.fetch.Fetch.continueRequest(request.getRequestId(),
            java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
            java.util.Optional.empty()));
      }
      held.clear();
    }

    @Override
    public void close() {
      release();
      tools.send(org.openqa.selenium.devtools.v156.fetch.Fetch.disable());
      tools.clearListeners();
    }
  }

  /** How long to wait for a page's data: loads here take well under a second; a slow shared machine gets room. */
  public static final Duration PATIENCE = Duration.ofSeconds(20);
}
