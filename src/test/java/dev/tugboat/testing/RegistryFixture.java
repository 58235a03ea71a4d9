package dev.tugboat.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.mindrot.jbcrypt.BCrypt;

/**
 * A real CNCF distribution registry (Debian's {@code docker-registry} package, the code of the
 * {@code registry:2} image) on a free loopback port, with a generated config in a fresh temp dir:
 * filesystem storage, delete enabled, optional htpasswd basic auth or token auth ({@link TokenServerFixture}) and
 * optional notifications.
 *
 * <pre>{@code
 * try (RegistryFixture registry = RegistryFixture.start()) { ... registry.baseUrl() ... }
 * try (RegistryFixture registry = RegistryFixture.builder().htpasswd("alice", "secret").start()) { ... }
 * try (TokenServerFixture auth = TokenServerFixture.builder().user("alice", "secret").start();
 *      RegistryFixture registry = RegistryFixture.builder().tokenAuth(auth).start()) { ... }
 * }</pre>
 */
public final class RegistryFixture implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/docker-registry");
  private static final String LOOPBACK = "127.0.0.1";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  private final Process process;
  private final Path dir;
  private final Path storageDir;
  private final Path logFile;
  private final int port;
  private boolean tls;

  private RegistryFixture(Process process, Path dir, Path storageDir, Path logFile, int port) {
    this.process = process;
    this.dir = dir;
    this.storageDir = storageDir;
    this.logFile = logFile;
    this.port = port;
  }

  /** An anonymous registry (no auth, no notifications). */
  public static RegistryFixture start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code http://127.0.0.1:PORT} */
  public String baseUrl() {
    return (tls ? "https://" : "http://") + host();
  }

  /** {@code 127.0.0.1:PORT}, as it appears in image references. */
  public String host() {
    return LOOPBACK + ":" + port;
  }

  public int port() {
    return port;
  }

  /** Root of the registry's filesystem storage. */
  public Path storageDir() {
    return storageDir;
  }

  /** The registry's own log (stdout + stderr); include it in failure messages. */
  public Path logFile() {
    return logFile;
  }

  /** The log content, or a note why it could not be read. */
  public String log() {
    return readLog(logFile);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      deleteTree(dir);
    }
  }

  @Override
  public String toString() {
    return "RegistryFixture[" + baseUrl() + ", log " + logFile + "]";
  }

  public static final class Builder {
    private String user;
    private String password;
    private String notificationUrl;
    private Map<String, String> notificationHeaders = Map.of();
    private String tokenRealm;
    private Path tlsCertificate;
    private Path tlsKey;

    /** Serve HTTPS with this PEM certificate and key (e.g. a self-signed pair made with openssl). */
    public Builder tls(Path certificate, Path key) {
      this.tlsCertificate = certificate;
      this.tlsKey = key;
      return this;
    }

    private String tokenService;
    private String tokenIssuer;
    private Path tokenRootCertBundle;

    private Builder() {
    }

    /** Basic auth with one user (bcrypt htpasswd file, as distribution requires). */
    public Builder htpasswd(String user, String password) {
      if (tokenRealm != null) {
        throw new IllegalStateException("htpasswd and tokenAuth are mutually exclusive");
      }
      if (user == null || user.isEmpty() || user.contains(":")) {
        throw new IllegalArgumentException("htpasswd user must be non-empty and contain no ':'");
      }
      this.user = user;
      this.password = password == null ? "" : password;
      return this;
    }

    /**
     * Docker token auth: the registry answers 401 {@code Bearer realm=...,service=...} and accepts only JWTs that
     * {@code server} signs (its certificate is the {@code rootcertbundle}). Mutually exclusive with htpasswd.
     */
    public Builder tokenAuth(TokenServerFixture server) {
      if (user != null) {
        throw new IllegalStateException("htpasswd and tokenAuth are mutually exclusive");
      }
      this.tokenRealm = server.realm();
      this.tokenService = server.service();
      this.tokenIssuer = server.issuer();
      this.tokenRootCertBundle = server.certPath();
      return this;
    }

    /** Send registry notifications (pull actions ignored) to {@code url} with these headers. */
    public Builder notifications(String url, Map<String, String> headers) {
      this.notificationUrl = url;
      this.notificationHeaders = headers == null ? Map.of() : new LinkedHashMap<>(headers);
      return this;
    }

    public RegistryFixture start() {
      if (!Files.isExecutable(BINARY)) {
        throw new IllegalStateException(BINARY + " is missing: the tests need Debian's docker-registry package "
            + "(CNCF distribution 2.8). Run `make test` (scripts/prepare-test-env.sh installs it) "
            + "or `apt-get install -y docker-registry`.");
      }
      Path dir;
      try {
        dir = Files.createTempDirectory("tugboat-registry-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Process process = null;
      try {
        Path storage = Files.createDirectories(dir.resolve("storage"));
        Path log = dir.resolve("registry.log");
        Path htpasswd = null;
        if (user != null) {
          htpasswd = dir.resolve("htpasswd");
          // distribution (golang.org/x/crypto/bcrypt) accepts $2a$ and $2y$; write the htpasswd-style $2y$.
          String hash = "$2y$" + BCrypt.hashpw(password, BCrypt.gensalt(10)).substring(4);
          Files.writeString(htpasswd, user + ":" + hash + "\n", StandardCharsets.UTF_8);
        }
        int port = freePort();
        Path config = dir.resolve("config.yml");
        Files.writeString(config, config(port, storage, htpasswd), StandardCharsets.UTF_8);

        ProcessBuilder pb = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("REGISTRY_")); // env would override the config
        process = pb.start();
        RegistryFixture fixture = new RegistryFixture(process, dir, storage, log, port);
        fixture.tls = tlsCertificate != null;
        awaitReady(fixture);
        return fixture;
      } catch (IOException | RuntimeException e) {
        if (process != null) {
          process.destroyForcibly();
          try {
            process.waitFor(5, TimeUnit.SECONDS);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
        }
        deleteTree(dir);
        if (e instanceof IOException io) {
          throw new UncheckedIOException("could not start docker-registry", io);
        }
        throw (RuntimeException) e;
      }
    }

    private String config(int port, Path storage, Path htpasswd) {
      StringBuilder y = new StringBuilder();
      y.append("version: 0.1\n");
      y.append("log:\n");
      y.append("  level: warn\n");
      y.append("  formatter: text\n");
      y.append("  fields:\n");
      y.append("    service: registry-fixture\n");
      y.append("storage:\n");
      y.append("  filesystem:\n");
      y.append("    rootdirectory: ").append(q(storage.toString())).append('\n');
      y.append("  delete:\n");
      y.append("    enabled: true\n");
      y.append("  maintenance:\n");
      y.append("    uploadpurging:\n");
      y.append("      enabled: false\n");
      y.append("http:\n");
      y.append("  addr: ").append(q(LOOPBACK + ":" + port)).append('\n');
      // no http.debug section: the debug/pprof listener stays disabled
      y.append("  headers:\n");
      y.append("    X-Content-Type-Options: [nosniff]\n");
      if (tlsCertificate != null) {
        y.append("  tls:\n");
        y.append("    certificate: ").append(q(tlsCertificate.toString())).append('\n');
        y.append("    key: ").append(q(tlsKey.toString())).append('\n');
      }
      if (htpasswd != null) {
        y.append("auth:\n");
        y.append("  htpasswd:\n");
        y.append("    realm: ").append(q("tugboat-test")).append('\n');
        y.append("    path: ").append(q(htpasswd.toString())).append('\n');
      } else if (tokenRealm != null) {
        y.append("auth:\n");
        y.append("  token:\n");
        y.append("    realm: ").append(q(tokenRealm)).append('\n');
        y.append("    service: ").append(q(tokenService)).append('\n');
        y.append("    issuer: ").append(q(tokenIssuer)).append('\n');
        y.append("    rootcertbundle: ").append(q(tokenRootCertBundle.toString())).append('\n');
      }
      if (notificationUrl != null) {
        y.append("notifications:\n");
        y.append("  endpoints:\n");
        y.append("    - name: tugboat\n");
        y.append("      url: ").append(q(notificationUrl)).append('\n');
        if (!notificationHeaders.isEmpty()) {
          y.append("      headers:\n");
          notificationHeaders.forEach((k, v) ->
              y.append("        ").append(q(k)).append(": [").append(q(v)).append("]\n"));
        }
        y.append("      timeout: 2s\n");
        y.append("      threshold: 3\n");
        y.append("      backoff: 1s\n");
        y.append("      ignore:\n");
        y.append("        actions: [pull]\n");
      }
      return y.toString();
    }
  }

  private static void awaitReady(RegistryFixture fixture) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).sslContext(trustAll()).build();
    HttpRequest ping = HttpRequest.newBuilder(URI.create(fixture.baseUrl() + "/v2/"))
        .timeout(Duration.ofSeconds(1)).GET().build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String lastError = "no answer";
    while (System.nanoTime() < deadline) {
      if (!fixture.process.isAlive()) {
        throw new IllegalStateException("docker-registry exited with code " + fixture.process.exitValue()
            + " before answering on " + fixture.baseUrl() + "; log " + fixture.logFile + ":\n" + fixture.log());
      }
      try {
        int status = http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status == 200 || status == 401) {
          return;
        }
        lastError = "GET /v2/ answered " + status;
      } catch (IOException e) {
        lastError = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for docker-registry", e);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for docker-registry", e);
      }
    }
    throw new IllegalStateException("docker-registry did not answer GET " + fixture.baseUrl() + "/v2/ within "
        + START_TIMEOUT.toSeconds() + " s (" + lastError + "); log " + fixture.logFile + ":\n" + fixture.log());
  }

  /** The readiness probe only asks whether the process answers; certificate checks are the tests' business. */
  private static javax.net.ssl.SSLContext trustAll() {
    try {
      javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
      ssl.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String auth) {}

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String auth) {}

        @Override
        public java.security.cert.X509Certificate[] getAcceptedIssuers() {
          return new java.security.cert.X509Certificate[0];
        }
      }}, null);
      return ssl;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      return socket.getLocalPort();
    }
  }

  /** A double-quoted YAML scalar (JSON string syntax is valid YAML). */
  private static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  private static String readLog(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log file)";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  private static void deleteTree(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    List<Path> paths = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(paths::add);
    } catch (IOException e) {
      return;
    }
    for (Path p : paths) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // best effort: a leftover temp dir must not fail a test
      }
    }
  }
}
