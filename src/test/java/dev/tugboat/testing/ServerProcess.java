package dev.tugboat.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Tugboat node as its own OS process ({@code Main server} on the test classpath), for what a JVM-internal
 * node cannot show: SIGTERM ({@link #stop}), kill -9 ({@link #kill}), several nodes of a cluster. Its output
 * goes to a log file under {@code target/}; {@link #start} returns once it logs its listening port.
 */
public final class ServerProcess implements AutoCloseable {
  private static final Pattern STACK_LINE = Pattern.compile("^\\s+at \\S+\\(|^Caused by: |^\\s+\\.\\.\\. \\d+ more");
  private static final Pattern LISTENING = Pattern.compile("Tugboat listening on https?://[^:]+:(\\d+)");

  /** The seeds' variables the configuration honours: a test's node must not pick them up from the CI machine. */
  private static final java.util.Set<String> SEED_VARIABLES = java.util.Set.of("DATABASE_URL", "TOKENS_FILE",
      "CERTFILE", "KEYFILE", "NOMAD_ADDR", "NOMAD_TOKEN", "NOMAD_NAMESPACE", "NOMAD_REGION", "VAULT_TOKEN", "DEBUG");

  /** conf/jvm.args, relative to the project directory tests run in. */
  static final Path JVM_ARGS = Path.of("conf", "jvm.args");

  private final Process process;
  private final Path log;
  private final int port;

  private ServerProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /**
   * Starts {@code server} with {@code --set} pairs (add {@code db.url}; the port defaults to a free one) and
   * waits up to {@code startup} for it to listen.
   */
  public static ServerProcess start(String name, Map<String, String> sets, List<String> jvmArgs, Duration startup) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("@" + JVM_ARGS.toAbsolutePath()); // the Java 17 flags every launch of Tugboat carries
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add("dev.tugboat.Main");
    command.add("server");
    command.add("--config");
    command.add(emptyConfig().toString());
    Map<String, String> all = new java.util.LinkedHashMap<>(Map.of("http.host", "127.0.0.1", "http.port", "0",
        "http.instances", "1"));
    all.putAll(sets);
    all.forEach((key, value) -> {
      command.add("--set");
      command.add(key + "=" + value);
    });
    try {
      Path dir = Files.createDirectories(Path.of("target", "server-processes"));
      Path log = dir.resolve(name + "-" + System.nanoTime() + ".log");
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().keySet().removeIf(key -> key.startsWith("TUGBOAT_") || SEED_VARIABLES.contains(key));
      Process process = builder.start();
      long deadline = System.nanoTime() + startup.toNanos();
      while (System.nanoTime() < deadline) {
        Matcher m = LISTENING.matcher(Files.readString(log, StandardCharsets.UTF_8));
        if (m.find()) {
          return new ServerProcess(process, log, Integer.parseInt(m.group(1)));
        }
        if (!process.isAlive()) {
          throw new IllegalStateException("server " + name + " exited with " + process.exitValue() + ":\n"
              + Files.readString(log, StandardCharsets.UTF_8));
        }
        Thread.sleep(50);
      }
      process.destroyForcibly();
      throw new IllegalStateException("server " + name + " did not listen within " + startup + ":\n"
          + Files.readString(log, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** An empty YAML file, so a conf/tugboat.yaml in the working directory cannot change the node. */
  private static Path emptyConfig() {
    Path file = Path.of("target", "server-processes", "empty.yaml");
    try {
      Files.createDirectories(file.getParent());
      if (!Files.exists(file)) {
        Files.writeString(file, "{}\n");
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  public Path logFile() {
    return log;
  }

  public String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Lines of the log that belong to a stack trace ({@code at ...}, {@code Caused by:}, {@code ... n more}). */
  public List<String> stackTraceLines() {
    return log().lines().filter(line -> STACK_LINE.matcher(line).find()).toList();
  }

  /** SIGTERM; answers the exit code, or -1 when the process is still alive after {@code within}. */
  public int stop(Duration within) {
    process.destroy();
    return waitFor(within);
  }

  /** SIGKILL (kill -9): no shutdown hook runs, leases are left to expire. */
  public void kill() {
    process.destroyForcibly();
    waitFor(Duration.ofSeconds(10));
  }

  public int waitFor(Duration within) {
    try {
      return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      waitFor(Duration.ofSeconds(10));
    }
  }
}
