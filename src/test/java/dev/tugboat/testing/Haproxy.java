package dev.tugboat.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Debian's {@code haproxy} as the load balancer in front of Tugboat nodes on loopback: round robin over nodes whose
 * {@code GET /health/ready} answers 200 within 2 s (checked every 500 ms; down after 2 failures, up after 1 success). A request
 * whose connection to a node fails, or that gets no answer at all, goes to another node ({@code retries},
 * {@code option redispatch}, {@code retry-on conn-failure empty-response}); each request has its own connection to
 * the node ({@code http-server-close}), so a stopping node never holds an idle connection the proxy would reuse, and
 * h2c upgrades are not passed on (they would turn a client's connection into a tunnel to one node).
 * The stats page ({@link #states}) tells which nodes it sends to.
 */
public final class Haproxy implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/sbin/haproxy");

  private final Process process;
  private final int port;
  private final int statsPort;
  private final Path log;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Haproxy(Process process, int port, int statsPort, Path log) {
    this.process = process;
    this.port = port;
    this.statsPort = statsPort;
    this.log = log;
  }

  /** Listens on a free loopback port in front of the nodes at {@code backends} (HTTP ports on 127.0.0.1). */
  public static Haproxy start(List<Integer> backends) {
    return start(ClusterNodes.freePorts(1).get(0), backends);
  }

  /** Listens on {@code port} (chosen before, e.g. for a registry's notification URL). */
  public static Haproxy start(int port, List<Integer> backends) {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException(BINARY + " missing: run scripts/prepare-test-env.sh (apt-get install haproxy)");
    }
    int statsPort = ClusterNodes.freePorts(1).get(0);
    StringBuilder cfg = new StringBuilder()
        .append("global\n  maxconn 4096\n  log stdout format raw local0 info\n")
        .append("defaults\n  mode http\n  log global\n  option httplog\n  option dontlognull\n")
        .append("  option http-server-close\n  option redispatch 1\n  retries 3\n")
        .append("  retry-on conn-failure empty-response\n")
        .append("  timeout connect 1s\n  timeout client 60s\n  timeout server 60s\n  timeout queue 10s\n")
        .append("  timeout check 2s\n")
        .append("frontend tugboat\n  bind 127.0.0.1:").append(port).append("\n")
        .append("  http-request del-header upgrade if { req.hdr(upgrade) -i h2c }\n  default_backend nodes\n")
        .append("backend nodes\n  balance roundrobin\n  option httpchk GET /health/ready\n")
        .append("  http-check expect status 200\n")
        .append("  default-server inter 500ms fastinter 500ms downinter 500ms fall 2 rise 1\n");
    for (int i = 0; i < backends.size(); i++) {
      cfg.append("  server node").append(i).append(" 127.0.0.1:").append(backends.get(i)).append(" check\n");
    }
    cfg.append("listen stats\n  bind 127.0.0.1:").append(statsPort).append("\n  stats enable\n  stats uri /stats\n");
    try {
      Path dir = Files.createDirectories(Path.of("target", "haproxy"));
      String name = "haproxy-" + port + "-" + System.nanoTime();
      Path config = dir.resolve(name + ".cfg");
      Files.writeString(config, cfg.toString());
      Path log = dir.resolve(name + ".log");
      Process process = new ProcessBuilder(BINARY.toString(), "-db", "-f", config.toString()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      Haproxy haproxy = new Haproxy(process, port, statsPort, log);
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
          .until(() -> {
            if (!process.isAlive()) {
              throw new IllegalStateException("haproxy exited: " + haproxy.log());
            }
            return !haproxy.states().isEmpty();
          });
      return haproxy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT} */
  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  public URI uri(String path) {
    return URI.create(baseUrl() + path);
  }

  /** Each node's state as the proxy sees it ({@code node0 → UP}, {@code DOWN}, ...), from its stats page. */
  public Map<String, String> states() {
    try {
      HttpResponse<String> csv = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statsPort
          + "/stats;csv")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      Map<String, String> states = new LinkedHashMap<>();
      for (String line : csv.body().split("\n")) {
        String[] f = line.split(",", -1);
        if (f.length > 17 && f[0].equals("nodes") && f[1].startsWith("node")) {
          states.put(f[1], f[17]); // pxname, svname, ..., status (18th field)
        }
      }
      return states;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Waits until the proxy sends to node {@code i} ({@code true}) or no longer does. */
  public void awaitUp(int i, boolean up) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> states().getOrDefault("node" + i, "").startsWith("UP") == up);
  }

  /** The proxy's log lines (one per request: {@code option httplog}). */
  public List<String> logLines() {
    return new ArrayList<>(List.of(log().split("\n")));
  }

  public String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
