package dev.tugboat.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import dev.tugboat.api.ApiError;
import dev.tugboat.api.JsonFields;
import dev.tugboat.watch.WatchDefinition;

/** The typed, validated configuration. Built only through {@link #from(JsonObject)}. */
public record Settings(Http http, Db db, Auth auth, List<RegistrySettings> registries, Inventory inventory,
                       Transfer transfer, Watch watch, Deploy deploy, Egress egress, Cluster cluster,
                       Admission admission) {

  /** {@code requestTimeout}: every request is answered within it (503 when its handler has not answered by then). */
  public record Http(String host, int port, int instances, long bodyLimit, Duration shutdownTimeout, String tlsCert,
                     String tlsKey, Duration requestTimeout) {
    public boolean tls() {
      return !tlsCert.isEmpty();
    }
  }

  /** {@code url} may hold a password: never log it, use {@code DbUrl.redacted()}. */
  public record Db(String url, String embeddedDir, int poolSize, boolean migrate) {
    @Override
    public String toString() {
      return "Db[url=<redacted>, embeddedDir=" + embeddedDir + ", poolSize=" + poolSize + ", migrate=" + migrate + "]";
    }
  }

  public record Auth(String tokensFile, Duration reloadInterval, String webhookToken) {
    @Override
    public String toString() {
      return "Auth[tokensFile=" + tokensFile + ", reloadInterval=" + reloadInterval + ", webhookToken=<redacted>]";
    }
  }

  /**
   * Transfer jobs: {@code secretKey} (base64, 32 bytes) seals job credentials; empty = a key generated once
   * and kept in the database. Blobs larger than {@code chunkSize} go up in PATCH chunks of that size.
   */
  public record Transfer(int workers, int parallelBlobs, int retries, Duration retryBackoff, long chunkSize,
                         Duration leaseTtl, Duration sweepInterval, Duration progressInterval, String secretKey,
                         int maxTakeovers) {
    @Override
    public String toString() {
      return "Transfer[workers=" + workers + ", parallelBlobs=" + parallelBlobs + ", retries=" + retries
          + ", chunkSize=" + chunkSize + ", secretKey=<redacted>]";
    }
  }

  /**
   * The inventory: how often the inbox is swept for events the bus wake-up missed, and the scheduled re-scan
   * ({@code rescanInterval} zero = off; {@code rescanMode} latest|all as {@code tugboat updater}).
   * {@code configuredRegistriesOnly}: webhook events and {@code POST /v2/images} may only name {@code registries[]}.
   */
  public record Inventory(Duration sweepInterval, Duration rescanInterval, String rescanMode, int workers,
                          boolean configuredRegistriesOnly, Duration leaseTtl) {
    public boolean rescanEnabled() {
      return !rescanInterval.isZero();
    }
  }

  /** Per-registry settings; credentials are only ever sent to {@code host}. */
  public record RegistrySettings(String host, String username, String password, boolean insecure,
                                 boolean tlsVerify, int maxConcurrency) {
    @Override
    public String toString() {
      return "Registry[" + host + ", user=" + username + ", insecure=" + insecure + ", tlsVerify=" + tlsVerify + "]";
    }
  }

  /**
   * The watcher: how often each repository is checked, the repositories from the configuration (one
   * {@link WatchDefinition} each, validated as {@code POST /api/v1/watches} validates them), the most tags
   * one check processes, and the lease of a check in progress.
   */
  public record Watch(Duration pollInterval, List<WatchDefinition> repos, int maxTags, Duration leaseTtl) {}

  /**
   * The deployer. Tokens and webhook URLs are secrets: never logged, never answered. {@code pinDigest}: images go
   * to Nomad as {@code repo:tag@sha256:…} (else as the plain tag with {@code force_pull}).
   */
  public record Deploy(boolean dryRun, Duration timeout, Duration retryBackoff, Duration leaseTtl, Nomad nomad,
                       Notify notifications, boolean pinDigest) {}

  /** {@code namespace} and {@code region} are empty when Nomad's defaults apply (no query parameter sent). */
  public record Nomad(String address, String token, String vaultToken, Duration blockingWait, String namespace,
                      String region) {
    @Override
    public String toString() {
      return "Nomad[address=" + address + ", token=<redacted>, vaultToken=<redacted>, wait=" + blockingWait
          + ", namespace=" + namespace + ", region=" + region + "]";
    }
  }

  public record Notify(String slackUrl, String webhookUrl) {
    @Override
    public String toString() {
      return "Notify[slackUrl=" + (slackUrl.isEmpty() ? "" : "<redacted>") + ", webhookUrl="
          + (webhookUrl.isEmpty() ? "" : "<redacted>") + "]";
    }
  }

  /**
   * Outbound calls: which hosts may be called ({@code allow}: empty = any not denied; {@code deny} wins; host
   * names, {@code *.suffix}, IP addresses, CIDR blocks), and the deadline of each outbound request that is not a
   * streamed blob or a Nomad blocking query.
   */
  public record Egress(List<String> allow, List<String> deny, Duration timeout) {}

  /**
   * The clustered event bus: Hazelcast's {@code name}, member {@code port} and join ({@code members} for TCP-IP,
   * or {@code kubernetesServiceDns} for DNS discovery), the address both bind to and advertise ({@code host}, an
   * IP address; empty = Hazelcast's choice) and the pinned {@code eventBusPort} (0 = any). {@code drainDelay}: how
   * long a stopping clustered node reports unready before it stops accepting requests.
   */
  public record Cluster(boolean enabled, String name, String host, int port, int eventBusPort, List<String> members,
                        String kubernetesServiceDns, Duration drainDelay) {}

  /**
   * Admission answered from each node's copy of the allow-list: confirmed against the database every
   * {@code checkInterval}; with the database unreachable, answered from the last known list for {@code staleFor},
   * then by {@code failurePolicy}.
   */
  public record Admission(Duration checkInterval, Duration staleFor, FailurePolicy failurePolicy) {
    public enum FailurePolicy { DENY, ALLOW }
  }

  public static Settings from(JsonObject c) {
    JsonObject http = c.getJsonObject("http");
    JsonObject db = c.getJsonObject("db");
    JsonObject auth = c.getJsonObject("auth");
    Settings settings = new Settings(
        new Http(
            text(http, "http.host", "host", false),
            integer(http, "http.port", "port", 0, 65535),
            integer(http, "http.instances", "instances", 0, 1024),
            integer(http, "http.bodyLimit", "bodyLimit", 1024, Integer.MAX_VALUE),
            duration(http, "http.shutdownTimeout", "shutdownTimeout"),
            text(http, "http.tlsCert", "tlsCert", true),
            text(http, "http.tlsKey", "tlsKey", true),
            duration(http, "http.requestTimeout", "requestTimeout")),
        new Db(
            text(db, "db.url", "url", true),
            text(db, "db.embeddedDir", "embeddedDir", false),
            integer(db, "db.poolSize", "poolSize", 1, 1000),
            bool(db, "db.migrate", "migrate")),
        new Auth(
            text(auth, "auth.tokensFile", "tokensFile", true),
            duration(auth, "auth.reloadInterval", "reloadInterval"),
            text(auth, "auth.webhookToken", "webhookToken", true)),
        registries(c.getValue("registries")),
        inventory(c.getJsonObject("inventory")),
        transfer(c.getJsonObject("transfer")),
        watch(c.getJsonObject("watch")),
        deploy(c.getJsonObject("deploy")),
        egress(c.getJsonObject("egress")),
        cluster(c.getJsonObject("cluster")),
        admission(c.getJsonObject("admission")));
    if (settings.http().tlsCert().isEmpty() != settings.http().tlsKey().isEmpty()) {
      throw new ConfigException(settings.http().tlsCert().isEmpty() ? "http.tlsCert" : "http.tlsKey",
          "http.tlsCert and http.tlsKey go together");
    }
    return settings;
  }

  private static Admission admission(JsonObject a) {
    String policy = text(a, "admission.failurePolicy", "failurePolicy", false).toLowerCase(java.util.Locale.ROOT);
    if (!policy.equals("deny") && !policy.equals("allow")) {
      throw new ConfigException("admission.failurePolicy", "expected deny or allow, got '" + policy + "'");
    }
    return new Admission(duration(a, "admission.checkInterval", "checkInterval"),
        duration(a, "admission.staleFor", "staleFor"),
        policy.equals("deny") ? Admission.FailurePolicy.DENY : Admission.FailurePolicy.ALLOW);
  }

  private static Egress egress(JsonObject e) {
    List<String> allow = texts("egress.allow", required(e, "egress.allow", "allow"));
    List<String> deny = texts("egress.deny", required(e, "egress.deny", "deny"));
    try {
      dev.tugboat.registry.EgressPolicy.of(allow, List.of());
    } catch (IllegalArgumentException bad) {
      throw new ConfigException("egress.allow", bad.getMessage());
    }
    try {
      dev.tugboat.registry.EgressPolicy.of(List.of(), deny);
    } catch (IllegalArgumentException bad) {
      throw new ConfigException("egress.deny", bad.getMessage());
    }
    return new Egress(allow, deny, duration(e, "egress.timeout", "timeout"));
  }

  private static Cluster cluster(JsonObject c) {
    String name = text(c, "cluster.name", "name", false);
    if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new ConfigException("cluster.name", "expected letters, digits, '-', '_', '.' (at most 64), got '" + name + "'");
    }
    String host = text(c, "cluster.host", "host", true);
    if (!host.isEmpty() && !ipAddress(host)) {
      throw new ConfigException("cluster.host", "expected an IP address of this machine, got '" + host + "'");
    }
    List<String> members = texts("cluster.members", required(c, "cluster.members", "members"));
    for (int i = 0; i < members.size(); i++) {
      if (!members.get(i).matches("[A-Za-z0-9.-]+(:\\d{1,5})?|\\[[0-9A-Fa-f:.]+](:\\d{1,5})?")) {
        throw new ConfigException("cluster.members[" + i + "]", "expected host or host:port, got '" + members.get(i) + "'");
      }
    }
    JsonObject k8s = c == null ? null : c.getJsonObject("kubernetes");
    Duration drain = Durations.parse("cluster.drainDelay", required(c, "cluster.drainDelay", "drainDelay"));
    if (drain.isNegative()) {
      throw new ConfigException("cluster.drainDelay", "must not be negative");
    }
    return new Cluster(bool(c, "cluster.enabled", "enabled"), name, host, integer(c, "cluster.port", "port", 1, 65535),
        integer(c, "cluster.eventBusPort", "eventBusPort", 0, 65535), members,
        text(k8s, "cluster.kubernetes.serviceDns", "serviceDns", true), drain);
  }

  /** An IPv4 or IPv6 literal (Hazelcast selects its interface by address, not by name). */
  private static boolean ipAddress(String host) {
    return host.matches("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}")
        || host.contains(":") && host.matches("[0-9A-Fa-f:.]+");
  }

  /**
   * A list of text items: a YAML list, or from the environment and {@code --set} a JSON list or a comma-separated
   * string ({@code a,b}); an empty string is an empty list.
   */
  private static List<String> texts(String key, Object value) {
    List<String> out = new ArrayList<>();
    if (value instanceof String s && !s.trim().startsWith("[")) {
      for (String item : s.split(",")) {
        if (!item.isBlank()) {
          out.add(item.trim());
        }
      }
      return List.copyOf(out);
    }
    JsonArray list = list(key, value);
    for (int i = 0; i < list.size(); i++) {
      Object item = list.getValue(i);
      if (!(item instanceof String s) || s.isBlank()) {
        throw new ConfigException(key + "[" + i + "]", "expected non-empty text");
      }
      out.add(s.trim());
    }
    return List.copyOf(out);
  }

  private static Transfer transfer(JsonObject t) {
    String key = text(t, "transfer.secretKey", "secretKey", true);
    if (!key.isEmpty()) {
      byte[] bytes;
      try {
        bytes = java.util.Base64.getDecoder().decode(key);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("transfer.secretKey", "expected base64 (e.g. from: openssl rand -base64 32)");
      }
      if (bytes.length != 32) {
        throw new ConfigException("transfer.secretKey", "expected 32 bytes in base64, got " + bytes.length + " bytes");
      }
    }
    Duration lease = leaseTtl(t, "transfer.leaseTtl");
    return new Transfer(integer(t, "transfer.workers", "workers", 1, 256),
        integer(t, "transfer.parallelBlobs", "parallelBlobs", 1, 64),
        integer(t, "transfer.retries", "retries", 1, 100),
        duration(t, "transfer.retryBackoff", "retryBackoff"),
        integer(t, "transfer.chunkSize", "chunkSize", 1024 * 1024, Integer.MAX_VALUE),
        lease, duration(t, "transfer.sweepInterval", "sweepInterval"),
        duration(t, "transfer.progressInterval", "progressInterval"), key,
        integer(t, "transfer.maxTakeovers", "maxTakeovers", 0, 1000));
  }

  private static Inventory inventory(JsonObject s) {
    String mode = text(s, "inventory.rescanMode", "rescanMode", false);
    if (!mode.equals("latest") && !mode.equals("all")) {
      throw new ConfigException("inventory.rescanMode", "expected latest or all, got '" + mode + "'");
    }
    Duration rescan = Durations.parse("inventory.rescanInterval", required(s, "inventory.rescanInterval", "rescanInterval"));
    if (rescan.isNegative()) {
      throw new ConfigException("inventory.rescanInterval", "must not be negative");
    }
    return new Inventory(duration(s, "inventory.sweepInterval", "sweepInterval"), rescan, mode,
        integer(s, "inventory.workers", "workers", 1, 256),
        bool(s, "inventory.configuredRegistriesOnly", "configuredRegistriesOnly"), leaseTtl(s, "inventory.leaseTtl"));
  }

  /** A list from the YAML file, or a JSON list given as text (environment, --set). */
  private static JsonArray list(String key, Object value) {
    if (value instanceof String s) {
      try {
        return new JsonArray(s);
      } catch (DecodeException e) {
        throw new ConfigException(key, "expected a JSON list, got '" + s + "'");
      }
    }
    if (value instanceof JsonArray a) {
      return a;
    }
    throw new ConfigException(key, "expected a list");
  }

  private static Watch watch(JsonObject w) {
    JsonArray list = list("watch.repos", required(w, "watch.repos", "repos"));
    List<WatchDefinition> repos = new ArrayList<>();
    Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String prefix = "watch.repos[" + i + "]";
      if (!(list.getValue(i) instanceof JsonObject r)) {
        throw new ConfigException(prefix, "expected a section with keys " + new java.util.TreeSet<>(WatchDefinition.FIELDS));
      }
      WatchDefinition repo;
      try {
        repo = WatchDefinition.read(JsonFields.of(r, prefix));
      } catch (ApiError e) {
        throw configError(e);
      }
      if (!names.add(repo.name())) {
        throw new ConfigException(prefix + ".name", "'" + repo.name() + "' is watched twice");
      }
      repos.add(repo);
    }
    return new Watch(duration(w, "watch.pollInterval", "pollInterval"), List.copyOf(repos),
        integer(w, "watch.maxTags", "maxTags", 1, 1_000_000), leaseTtl(w, "watch.leaseTtl"));
  }

  /** A refusal of the shared request reader as a configuration error: the field path is the key. */
  private static ConfigException configError(ApiError e) {
    String message = e.getMessage();
    String problem = message.startsWith("Missing field: ") ? "missing"
        : message.startsWith(e.field() + ": ") ? message.substring(e.field().length() + 2)
        : message.startsWith(e.field() + " ") ? message.substring(e.field().length() + 1) : message;
    return new ConfigException(e.field(), problem);
  }

  private static Deploy deploy(JsonObject d) {
    JsonObject nomad = d == null ? null : d.getJsonObject("nomad");
    JsonObject notify = d == null ? null : d.getJsonObject("notify");
    String address = text(nomad, "deploy.nomad.address", "address", false);
    if (!address.startsWith("http://") && !address.startsWith("https://")) {
      throw new ConfigException("deploy.nomad.address", "expected an http:// or https:// URL, got '" + address + "'");
    }
    Duration lease = leaseTtl(d, "deploy.leaseTtl");
    return new Deploy(
        bool(d, "deploy.dryRun", "dryRun"),
        duration(d, "deploy.timeout", "timeout"),
        duration(d, "deploy.retryBackoff", "retryBackoff"),
        lease,
        new Nomad(address, text(nomad, "deploy.nomad.token", "token", true),
            text(nomad, "deploy.nomad.vaultToken", "vaultToken", true), duration(nomad, "deploy.nomad.wait", "wait"),
            nomadName(nomad, "deploy.nomad.namespace", "namespace"), nomadName(nomad, "deploy.nomad.region", "region")),
        new Notify(url(notify, "deploy.notify.slackUrl", "slackUrl"), url(notify, "deploy.notify.webhookUrl", "webhookUrl")),
        bool(d, "deploy.pinDigest", "pinDigest"));
  }

  /** A Nomad namespace or region name (letters, digits, '-', '_', '.'), or empty for Nomad's default. */
  private static String nomadName(JsonObject section, String key, String name) {
    String value = text(section, key, name, true).trim();
    String problem = dev.tugboat.deploy.NomadNames.problem(value);
    if (problem != null) {
      throw new ConfigException(key, problem + ", got '" + value + "'");
    }
    return value;
  }

  private static String url(JsonObject section, String key, String name) {
    String url = text(section, key, name, true);
    if (!url.isEmpty() && !url.startsWith("http://") && !url.startsWith("https://")) {
      throw new ConfigException(key, "expected an http:// or https:// URL");
    }
    return url;
  }

  /** One entry of a list of sections, with no keys beyond {@code allowed}. */
  private static JsonObject section(String key, Object value, Set<String> allowed) {
    if (!(value instanceof JsonObject r)) {
      throw new ConfigException(key, "expected a section with keys " + allowed);
    }
    for (String name : r.fieldNames()) {
      if (!allowed.contains(name)) {
        throw new ConfigException(key + "." + name, "unknown key (known keys: " + allowed + ")");
      }
    }
    return r;
  }

  private static List<RegistrySettings> registries(Object value) {
    JsonArray list = list("registries", value);
    Set<String> allowed = Set.of("host", "username", "password", "insecure", "tlsVerify", "maxConcurrency");
    List<RegistrySettings> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String prefix = "registries[" + i + "]";
      JsonObject r = section(prefix, list.getValue(i), allowed);
      r = new JsonObject().put("username", "").put("password", "").put("insecure", false).put("tlsVerify", true)
          .put("maxConcurrency", 8).mergeIn(r);
      String host = text(r, prefix + ".host", "host", false);
      out.add(new RegistrySettings(host, text(r, prefix + ".username", "username", true),
          text(r, prefix + ".password", "password", true), bool(r, prefix + ".insecure", "insecure"),
          bool(r, prefix + ".tlsVerify", "tlsVerify"), integer(r, prefix + ".maxConcurrency", "maxConcurrency", 1, 1024)));
    }
    return List.copyOf(out);
  }

  private static Object required(JsonObject section, String key, String name) {
    Object value = section == null ? null : section.getValue(name);
    if (value == null) {
      throw new ConfigException(key, "missing");
    }
    return value;
  }

  private static String text(JsonObject section, String key, String name, boolean emptyAllowed) {
    Object value = required(section, key, name);
    if (value instanceof JsonObject || value instanceof JsonArray) {
      throw new ConfigException(key, "expected text");
    }
    String text = String.valueOf(value).trim();
    if (!emptyAllowed && text.isEmpty()) {
      throw new ConfigException(key, "must not be empty");
    }
    return text;
  }

  private static int integer(JsonObject section, String key, String name, int min, int max) {
    Object value = required(section, key, name);
    long n;
    if (value instanceof Number number) {
      n = number.longValue();
    } else {
      try {
        n = Long.parseLong(String.valueOf(value).trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(key, "expected a whole number, got '" + value + "'");
      }
    }
    if (n < min || n > max) {
      throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + n);
    }
    return (int) n;
  }

  private static boolean bool(JsonObject section, String key, String name) {
    Object value = required(section, key, name);
    if (value instanceof Boolean b) {
      return b;
    }
    return switch (String.valueOf(value).trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw new ConfigException(key, "expected true or false, got '" + value + "'");
    };
  }

  /** A lease's time to live: renewed every third of it, so below a second the renewals would crowd the database. */
  private static Duration leaseTtl(JsonObject section, String key) {
    Duration ttl = duration(section, key, "leaseTtl");
    if (ttl.toMillis() < 1000) {
      throw new ConfigException(key, "must be at least 1s");
    }
    return ttl;
  }

  private static Duration duration(JsonObject section, String key, String name) {
    Duration d = Durations.parse(key, required(section, key, name));
    if (d.isNegative() || d.isZero()) {
      throw new ConfigException(key, "must be positive");
    }
    return d;
  }
}
