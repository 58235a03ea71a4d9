package dev.tugboat;

import dev.tugboat.config.ConfigException;
import dev.tugboat.config.ConfigLoader;
import dev.tugboat.config.Settings;
import dev.tugboat.db.DbUrl;
import dev.tugboat.db.EmbeddedPostgresServer;
import dev.tugboat.db.Migrations;
import dev.tugboat.inventory.InventoryModule;
import dev.tugboat.inventory.InventoryRescan;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tugboat server | migrate | updater | copy | version}. */
@Command(name = "tugboat", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Registry companion: inventory, allow-list, watch & deploy, transfer.",
    subcommands = {Main.ServerCommand.class, Main.MigrateCommand.class, Main.UpdaterCommand.class, Main.CopyCommand.class,
        Main.VersionCommand.class})
public final class Main {

  public static void main(String[] args) {
    CommandLine cli = commandLine();
    int code = cli.execute(args);
    boolean serving = code == 0 && cli.getParseResult().subcommand() != null
        && cli.getParseResult().subcommand().commandSpec().userObject() instanceof ServerCommand;
    if (!serving) { // a running server keeps the JVM alive until SIGTERM
      System.exit(code);
    }
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main()).setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("tugboat: " + (e instanceof ConfigException ? "invalid configuration: " : "") + e.getMessage());
      return 1;
    });
  }

  /** {@code --config} and {@code --set}, on every command that reads the configuration. */
  static final class ConfigOptions {
    @Option(names = "--config", paramLabel = "PATH", description = "YAML configuration file (default: ${DEFAULT-VALUE} when present)",
        defaultValue = ConfigLoader.DEFAULT_FILE)
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override one key, e.g. --set http.port=9090 (repeatable)")
    Map<String, String> sets = new LinkedHashMap<>();

    Settings load(Map<String, String> extra) {
      Map<String, String> all = new LinkedHashMap<>(extra);
      all.putAll(sets); // --set wins over the convenience flags
      Path file = config.toString().equals(ConfigLoader.DEFAULT_FILE) ? null : config;
      Vertx vertx = Vertx.vertx();
      try {
        return new ConfigLoader(file, System.getenv(), all).load(vertx).await();
      } finally {
        vertx.close();
      }
    }
  }

  @Command(name = "server", mixinStandardHelpOptions = true, description = "Run the service (HTTP API and workers).")
  static final class ServerCommand implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Option(names = "--port", description = "same as --set http.port=N")
    Integer port;

    @Option(names = "--tokens-file", paramLabel = "PATH", description = "same as --set auth.tokensFile=PATH (imagelist flag)")
    String tokensFile;

    @Option(names = "--certfile", paramLabel = "PATH", description = "same as --set http.tlsCert=PATH (imagelist flag)")
    String certFile;

    @Option(names = "--keyfile", paramLabel = "PATH", description = "same as --set http.tlsKey=PATH (imagelist flag)")
    String keyFile;

    @Option(names = "--cluster", description = "same as --set cluster.enabled=true: join the clustered event bus")
    boolean cluster;

    @Override
    public Integer call() {
      Settings settings = options.load(flags());
      Future<Server> starting = Server.start(settings);
      // registered before the node listens, so a SIGTERM right after start-up still closes it in order; the hook
      // thread is not a Vert.x thread, so waiting there blocks no event loop
      Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(starting, settings), "tugboat-shutdown"));
      starting.await();
      return 0;
    }

    /** The convenience flags as the keys they stand for. */
    Map<String, String> flags() {
      Map<String, String> extra = new LinkedHashMap<>();
      if (port != null) {
        extra.put("http.port", port.toString());
      }
      if (tokensFile != null) {
        extra.put("auth.tokensFile", tokensFile);
      }
      if (certFile != null) {
        extra.put("http.tlsCert", certFile);
      }
      if (keyFile != null) {
        extra.put("http.tlsKey", keyFile);
      }
      if (cluster) {
        extra.put("cluster.enabled", "true");
      }
      return extra;
    }

    /**
     * SIGTERM / Ctrl-C: closes the node ({@link Server#close} is bounded by {@code http.shutdownTimeout} plus its
     * grace); a node still starting gets the same time to finish starting first. The JVM exits when this returns.
     */
    private static void stop(Future<Server> starting, Settings settings) {
      long bound = settings.http().shutdownTimeout().plus(Server.CLOSE_GRACE).multipliedBy(2).toMillis();
      try {
        starting.transform(started -> started.succeeded() ? started.result().close() : Future.<Void>succeededFuture())
            .await(bound, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        System.err.println("tugboat: shutdown did not finish within " + bound + " ms; exiting");
      }
    }
  }

  @Command(name = "migrate", mixinStandardHelpOptions = true, description = "Apply database migrations and exit.")
  static final class MigrateCommand implements Callable<Integer> {
    @Mixin ConfigOptions options;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      Settings settings = options.load(Map.of());
      if (settings.db().url().isEmpty()) {
        try (EmbeddedPostgresServer embedded = EmbeddedPostgresServer.start(Path.of(settings.db().embeddedDir()))) {
          report(embedded.url());
        }
      } else {
        report(DbUrl.parse("db.url", settings.db().url()));
      }
      return 0;
    }

    private void report(DbUrl url) {
      var result = Migrations.run(url);
      spec.commandLine().getOut().println("database " + url + ": schema version " + result.targetSchemaVersion + ", "
          + result.migrationsExecuted + " migration(s) applied");
    }
  }

  @Command(name = "updater", mixinStandardHelpOptions = true,
      description = "Re-scan the registries into the inventory once and exit (imagespy's updater).")
  static final class UpdaterCommand implements Callable<Integer> {
    @Mixin ConfigOptions options;
    @Spec CommandSpec spec;

    @CommandLine.Parameters(paramLabel = "MODE", description = "latest: re-scrape the tags marked latest; "
        + "all: every tag of every known repository and of every configured registry's catalog")
    String mode;

    @Option(names = "--workers", paramLabel = "N", description = "scrapes at once (default: inventory.workers)")
    Integer workers;

    @Override
    public Integer call() {
      if (!mode.equals("latest") && !mode.equals("all")) {
        throw new CommandLine.ParameterException(spec.commandLine(), "MODE must be latest or all, got '" + mode + "'");
      }
      Map<String, String> extra = new LinkedHashMap<>();
      if (workers != null) {
        extra.put("inventory.workers", workers.toString());
      }
      Server server = Server.open(options.load(extra)).await();
      try {
        InventoryRescan rescan = new InventoryModule(server.vertx(), server.services()).rescan();
        InventoryRescan.Summary summary = (mode.equals("latest") ? rescan.latest() : rescan.all()).await();
        spec.commandLine().getOut().println("updater " + mode + ": " + summary.scraped() + " scraped, "
            + summary.unchanged() + " unchanged, " + summary.failed() + " failed");
        return summary.failed() == 0 ? 0 : 1;
      } finally {
        server.close().await();
      }
    }
  }

  @Command(name = "copy", mixinStandardHelpOptions = true,
      description = "Copy an image (all platforms, digests preserved) to one or more registries, reading it once.")
  static final class CopyCommand implements Callable<Integer> {
    @Mixin ConfigOptions options;
    @Spec CommandSpec spec;

    @CommandLine.Parameters(index = "0", paramLabel = "SRC_REF", description = "[docker://]host/repository[:tag|@digest]")
    String source;

    @CommandLine.Parameters(index = "1..*", arity = "1..*", paramLabel = "DST_REF", description = "destinations")
    java.util.List<String> destinations;

    @Option(names = "--src-creds", paramLabel = "USER:PASSWORD", description = "source registry credentials")
    String srcCreds;

    @Option(names = "--dest-creds", paramLabel = "USER:PASSWORD", description = "destination registries' credentials")
    String destCreds;

    @Override
    public Integer call() {
      Settings settings = options.load(Map.of());
      return dev.tugboat.transfer.CliCopy.run(settings, source, destinations, srcCreds, destCreds,
          spec.commandLine().getErr());
    }
  }

  @Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version.")
  static final class VersionCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      spec.commandLine().getOut().println("tugboat " + new Version().getVersion()[0]);
      return 0;
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws Exception {
      Properties p = new Properties();
      try (var in = Main.class.getClassLoader().getResourceAsStream("tugboat-version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {p.getProperty("version", "unknown")};
    }
  }
}
