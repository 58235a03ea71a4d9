package dev.tugboat.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.config.ConfigLoader;
import dev.tugboat.config.Settings;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Neither Docker, Kubernetes nor Nomad runs here: the files that run a cluster with them are read and held to the
 * configuration they feed (keys that exist, values Settings accepts, the ports of conf/tugboat.yaml, health routes a
 * node really serves) and to each other (selectors, port names, secret keys, grace periods).
 */
class DeploymentFilesTest {
  static final Path DOCKER = Path.of("docker");
  static Settings defaults;
  static Set<String> envNames;
  static TestServer server;

  @BeforeAll
  static void load() {
    defaults = Settings.from(ConfigLoader.readDefaults());
    envNames = new LinkedHashSet<>();
    leafKeys("", ConfigLoader.readDefaults(), envNames);
    server = TestServer.start(Vendor.POSTGRESQL, Map.of());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  @DisplayName("compose: 3 clustered nodes listing each other on cluster.port, haproxy checking /health/ready on http.port, the registry notifying through it")
  void compose() throws Exception {
    Map<String, Object> compose = yaml(DOCKER.resolve("compose.yaml")).get(0);
    Map<String, Object> services = map(compose.get("services"));
    List<String> nodes = services.keySet().stream().filter(s -> s.startsWith("tugboat-")).sorted().toList();
    assertThat(nodes).containsExactly("tugboat-1", "tugboat-2", "tugboat-3");
    assertThat(services).containsKeys("postgres", "registry", "lb");
    for (String node : nodes) {
      Map<String, Object> service = map(services.get(node));
      Map<String, String> env = strings(map(service.get("environment")));
      assertEnvironment(env);
      assertThat(env).containsEntry("TUGBOAT_CLUSTER_ENABLED", "true");
      Settings s = settings(env, Map.of());
      assertThat(s.cluster().members()).containsExactlyElementsOf(nodes.stream()
          .map(n -> n + ":" + defaults.cluster().port()).toList());
      assertThat(s.db().url()).startsWith("postgresql://").contains("@postgres:5432/");
      assertThat(service.get("hostname")).isEqualTo(node);
      assertThat(seconds(String.valueOf(service.get("stop_grace_period"))))
          .isGreaterThan(s.cluster().drainDelay().plus(s.http().shutdownTimeout()));
    }
    String haproxy = Files.readString(DOCKER.resolve("haproxy.cfg"));
    assertThat(haproxy).contains("option httpchk GET /health/ready");
    assertServes("/health/ready");
    Matcher servers = Pattern.compile("(?m)^\\s*server (\\S+) (\\S+):(\\d+) check").matcher(haproxy);
    List<String> backends = new ArrayList<>();
    while (servers.find()) {
      assertThat(servers.group(2)).isEqualTo(servers.group(1));
      assertThat(Integer.parseInt(servers.group(3))).isEqualTo(defaults.http().port());
      backends.add(servers.group(1));
    }
    assertThat(backends).containsExactlyElementsOf(nodes);
    String lbPort = String.valueOf(list(map(services.get("lb")).get("ports")).get(0)).split(":")[1];
    assertThat(haproxy).contains("bind :" + lbPort);
    Map<String, Object> registry = yaml(DOCKER.resolve("registry-config.yml")).get(0);
    Map<String, Object> endpoint = map(list(map(registry.get("notifications")).get("endpoints")).get(0));
    assertThat(endpoint.get("url")).isEqualTo("http://lb:" + lbPort + "/dockerRegistry/event");
    assertServes("/dockerRegistry/event");
    String token = strings(map(map(services.get("tugboat-1")).get("environment"))).get("TUGBOAT_AUTH_WEBHOOK_TOKEN");
    assertThat(list(map(endpoint.get("headers")).get("Authorization"))).containsExactly("Bearer " + token);
  }

  @Test
  @DisplayName("Kubernetes: 3 replicas, probes on /health/ready and /health/live, ports of the ConfigMap's settings, DNS discovery on the headless Service, secrets and PDB wired")
  void kubernetes() throws Exception {
    Map<String, Map<String, Object>> byKind = new LinkedHashMap<>();
    Path dir = DOCKER.resolve("kubernetes");
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object file : list(yaml(dir.resolve("kustomization.yaml")).get(0).get("resources"))) {
      docs.addAll(yaml(dir.resolve(String.valueOf(file))));
    }
    for (Map<String, Object> doc : docs) {
      byKind.put(doc.get("kind") + "/" + map(doc.get("metadata")).get("name"), doc);
      if (!doc.get("kind").equals("Namespace")) {
        assertThat(map(doc.get("metadata")).get("namespace")).as(doc.get("kind") + " namespace").isEqualTo("tugboat");
      }
    }
    assertThat(byKind).containsKeys("Deployment/tugboat", "Service/tugboat", "Service/tugboat-hz",
        "ConfigMap/tugboat-config", "Secret/tugboat-secrets", "PodDisruptionBudget/tugboat", "Namespace/tugboat");

    Map<String, Object> deployment = byKind.get("Deployment/tugboat");
    Map<String, Object> spec = map(deployment.get("spec"));
    assertThat(spec.get("replicas")).isEqualTo(3);
    Map<String, Object> labels = map(map(map(spec.get("template")).get("metadata")).get("labels"));
    assertThat(map(map(spec.get("selector")).get("matchLabels"))).isEqualTo(labels);
    Map<String, Object> pod = map(map(spec.get("template")).get("spec"));
    Map<String, Object> container = map(list(pod.get("containers")).get(0));
    Map<String, Integer> ports = new LinkedHashMap<>();
    list(container.get("ports")).forEach(p -> ports.put(String.valueOf(map(p).get("name")),
        (Integer) map(p).get("containerPort")));

    String yamlText = String.valueOf(map(byKind.get("ConfigMap/tugboat-config").get("data")).get("tugboat.yaml"));
    Path config = Files.createTempFile("tugboat-k8s", ".yaml");
    Files.writeString(config, yamlText);
    Map<String, String> env = new LinkedHashMap<>();
    Map<String, String> secretRefs = new LinkedHashMap<>();
    for (Object e : list(container.get("env"))) {
      Map<String, Object> var = map(e);
      String name = String.valueOf(var.get("name"));
      Map<String, Object> from = var.get("valueFrom") == null ? null : map(var.get("valueFrom"));
      if (from != null && from.get("secretKeyRef") != null) {
        secretRefs.put(name, String.valueOf(map(from.get("secretKeyRef")).get("key")));
        assertThat(map(from.get("secretKeyRef")).get("name")).isEqualTo("tugboat-secrets");
      } else if (from != null) {
        assertThat(map(from.get("fieldRef")).get("fieldPath")).isEqualTo("status.podIP");
        env.put(name, "10.1.2.3");
      }
    }
    assertEnvironment(env);
    secretRefs.keySet().forEach(name -> assertThat(envNames.contains(name) || SEED_VARIABLES.contains(name))
        .as(name).isTrue());
    Map<String, Object> secret = map(byKind.get("Secret/tugboat-secrets").get("stringData"));
    assertThat(secret).containsKeys(secretRefs.values().toArray(String[]::new));
    env.put("TUGBOAT_DB_URL", String.valueOf(secret.get("db-url")));
    Settings s = settings(env, Map.of(), config);
    assertThat(s.cluster().enabled()).isTrue();
    assertThat(s.cluster().host()).isEqualTo("10.1.2.3");
    assertThat(ports).containsEntry("http", s.http().port()).containsEntry("hazelcast", s.cluster().port())
        .containsEntry("eventbus", s.cluster().eventBusPort());
    assertThat(s.auth().tokensFile()).isEqualTo("/etc/tugboat/secrets/tokens");
    assertThat(String.join(" ", strings(list(container.get("args"))))).isEqualTo("server --config /etc/tugboat/tugboat.yaml");

    Map<String, Object> ready = map(map(container.get("readinessProbe")).get("httpGet"));
    Map<String, Object> live = map(map(container.get("livenessProbe")).get("httpGet"));
    assertThat(ready).containsEntry("path", "/health/ready").containsEntry("port", "http");
    assertThat(live).containsEntry("path", "/health/live").containsEntry("port", "http");
    assertServes("/health/ready");
    assertServes("/health/live");
    assertThat(Duration.ofSeconds((Integer) pod.get("terminationGracePeriodSeconds")))
        .isGreaterThan(s.cluster().drainDelay().plus(s.http().shutdownTimeout()));

    Map<String, Object> headless = map(byKind.get("Service/tugboat-hz").get("spec"));
    assertThat(headless.get("clusterIP")).isEqualTo("None");
    assertThat(headless.get("publishNotReadyAddresses")).isEqualTo(true);
    assertThat(map(headless.get("selector"))).isEqualTo(labels);
    assertThat(s.cluster().kubernetesServiceDns()).isEqualTo("tugboat-hz.tugboat.svc.cluster.local");
    assertThat(list(headless.get("ports")).stream().map(p -> map(p).get("targetPort")).toList())
        .contains("hazelcast");
    assertThat(list(headless.get("ports")).stream().filter(p -> "hazelcast".equals(map(p).get("targetPort")))
        .map(p -> map(p).get("port")).toList()).containsExactly(s.cluster().port());
    Map<String, Object> http = map(byKind.get("Service/tugboat").get("spec"));
    assertThat(map(http.get("selector"))).isEqualTo(labels);
    assertThat(map(list(http.get("ports")).get(0)).get("targetPort")).isEqualTo("http");

    Map<String, Object> pdb = map(byKind.get("PodDisruptionBudget/tugboat").get("spec"));
    assertThat(map(map(pdb.get("selector")).get("matchLabels"))).isEqualTo(labels);
    assertThat((Integer) pdb.get("minAvailable")).isEqualTo(2);
    Files.delete(config);
  }

  @Test
  @DisplayName("Nomad: 3 instances, static ports of the rendered settings, members from Nomad service discovery, health checks on the routes")
  void nomad() throws Exception {
    String hcl = Files.readString(DOCKER.resolve("nomad/tugboat.nomad.hcl"));
    assertThat(one(hcl, "(?m)^\\s*count\\s*=\\s*(\\d+)")).isEqualTo("3");
    Map<String, Integer> ports = new LinkedHashMap<>();
    Matcher port = Pattern.compile("port \"(\\w+)\" \\{\\s*static = (\\d+)\\s*}").matcher(hcl);
    while (port.find()) {
      ports.put(port.group(1), Integer.parseInt(port.group(2)));
    }
    assertThat(ports).containsOnlyKeys("http", "hazelcast", "eventbus");
    List<String> checkPaths = all(hcl, "path\\s*=\\s*\"([^\"]+)\"");
    assertThat(checkPaths).containsExactly("/health/ready", "/health/live");
    checkPaths.forEach(DeploymentFilesTest::assertServes);
    List<String> services = all(hcl, "service \\{\\s*name\\s*=\\s*\"([^\"]+)\"");
    assertThat(services).containsExactly("tugboat", "tugboat-hz");
    assertThat(hcl).contains("nomadService \"tugboat-hz\"");

    // the template renders the settings file: fill in what Nomad would, and load it
    String template = heredoc(hcl, "local/tugboat.yaml");
    String rendered = template.replace("{{ env \"NOMAD_PORT_http\" }}", String.valueOf(ports.get("http")))
        .replace("{{ env \"NOMAD_PORT_hazelcast\" }}", String.valueOf(ports.get("hazelcast")))
        .replace("{{ env \"NOMAD_PORT_eventbus\" }}", String.valueOf(ports.get("eventbus")));
    assertThat(rendered).doesNotContain("{{");
    Path config = Files.createTempFile("tugboat-nomad", ".yaml");
    Files.writeString(config, rendered);
    String members = heredoc(hcl, "local/members.env").trim();
    assertThat(members).startsWith("TUGBOAT_CLUSTER_MEMBERS=");
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TUGBOAT_CLUSTER_MEMBERS", "10.0.0.1:5701,10.0.0.2:5701,10.0.0.3:5701"); // what the range renders
    env.put("TUGBOAT_CLUSTER_HOST", "10.0.0.1"); // ${NOMAD_IP_hazelcast}
    assertThat(one(hcl, "TUGBOAT_CLUSTER_HOST\\s*=\\s*\"([^\"]+)\"")).isEqualTo("${NOMAD_IP_hazelcast}");
    for (String line : heredoc(hcl, "secrets/tugboat.env").split("\n")) {
      if (line.contains("=")) {
        String name = line.trim().split("=")[0];
        assertThat(envNames.contains(name) || SEED_VARIABLES.contains(name)).as(name).isTrue();
      }
    }
    assertEnvironment(env);
    env.put("TUGBOAT_DB_URL", "postgresql://tugboat@db.service:5432/tugboat");
    Settings s = settings(env, Map.of(), config);
    assertThat(s.cluster().enabled()).isTrue();
    assertThat(ports).containsEntry("http", s.http().port()).containsEntry("hazelcast", s.cluster().port())
        .containsEntry("eventbus", s.cluster().eventBusPort());
    assertThat(s.http().port()).isEqualTo(defaults.http().port());
    assertThat(s.cluster().port()).isEqualTo(defaults.cluster().port());
    assertThat(s.cluster().eventBusPort()).isEqualTo(defaults.cluster().eventBusPort());
    assertThat(s.cluster().members()).hasSize(3);
    assertThat(seconds(one(hcl, "kill_timeout\\s*=\\s*\"([^\"]+)\"")))
        .isGreaterThan(s.cluster().drainDelay().plus(s.http().shutdownTimeout()));
    Files.delete(config);
  }

  @Test
  @DisplayName("the Java 17 flags: conf/jvm.args, the jar's manifest entries, the Dockerfile and the Makefile agree")
  void javaFlags() throws Exception {
    List<String> args = Files.readAllLines(Path.of("conf", "jvm.args")).stream().map(l -> l.replaceAll("#.*", "").trim())
        .filter(l -> !l.isEmpty()).toList();
    Set<String> opens = new LinkedHashSet<>();
    Set<String> exports = new LinkedHashSet<>();
    for (String line : args) {
      String[] f = line.split("\\s+");
      assertThat(f).hasSize(2);
      assertThat(f[1]).endsWith("=ALL-UNNAMED");
      (f[0].equals("--add-opens") ? opens : exports).add(f[1].replace("=ALL-UNNAMED", ""));
      assertThat(f[0]).isIn("--add-opens", "--add-exports");
    }
    assertThat(opens).contains("java.base/java.lang", "java.base/sun.nio.ch");
    String pom = Files.readString(Path.of("pom.xml"));
    assertThat(Arrays.asList(one(pom, "<jar.add-opens>([^<]+)</jar.add-opens>").split("\\s+")))
        .containsExactlyInAnyOrderElementsOf(opens);
    assertThat(Arrays.asList(one(pom, "<jar.add-exports>([^<]+)</jar.add-exports>").split("\\s+")))
        .containsExactlyInAnyOrderElementsOf(exports);
    assertThat(pom).contains("<Add-Opens>${jar.add-opens}</Add-Opens>", "<Add-Exports>${jar.add-exports}</Add-Exports>",
        "<argLine>@${project.basedir}/conf/jvm.args</argLine>");
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    assertThat(dockerfile).contains("COPY conf/jvm.args /app/conf/jvm.args", "\"java\",\"@/app/conf/jvm.args\"");
    assertThat(Files.readString(Path.of("Makefile"))).contains("JAVA_OPTS := @conf/jvm.args");
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** The seeds' variables the configuration honours besides TUGBOAT_*. */
  static final Set<String> SEED_VARIABLES = Set.of("DATABASE_URL", "TOKENS_FILE", "NOMAD_ADDR", "NOMAD_TOKEN",
      "NOMAD_NAMESPACE", "NOMAD_REGION", "VAULT_TOKEN", "DEBUG");

  /** Every TUGBOAT_* variable names a configuration key. */
  static void assertEnvironment(Map<String, String> env) {
    env.keySet().stream().filter(name -> name.startsWith("TUGBOAT_"))
        .forEach(name -> assertThat(envNames).as("environment variable " + name).contains(name));
  }

  static void assertServes(String path) {
    int status = path.startsWith("/dockerRegistry")
        ? server.send("POST", path, "{\"events\":[]}", null).statusCode() : server.get(path).statusCode();
    assertThat(status).as(path + " on a node").isBetween(200, 299);
  }

  static Settings settings(Map<String, String> env, Map<String, String> sets) {
    return settings(env, sets, null);
  }

  static Settings settings(Map<String, String> env, Map<String, String> sets, Path file) {
    Vertx vertx = Vertx.vertx();
    try {
      return new ConfigLoader(file, env, sets).load(vertx).await();
    } finally {
      vertx.close().await();
    }
  }

  static void leafKeys(String prefix, JsonObject tree, Set<String> out) {
    tree.forEach(e -> {
      if (e.getValue() instanceof JsonObject child) {
        leafKeys(prefix + e.getKey() + ".", child, out);
      } else {
        out.add(ConfigLoader.environmentName(prefix + e.getKey()));
      }
    });
  }

  static List<Map<String, Object>> yaml(Path file) throws Exception {
    List<Map<String, Object>> docs = new ArrayList<>();
    try (var in = Files.newInputStream(file)) {
      for (Object doc : new Yaml().loadAll(in)) {
        if (doc != null) {
          docs.add(map(doc));
        }
      }
    }
    return docs;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value) {
    assertThat(value).isInstanceOf(Map.class);
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object value) {
    assertThat(value).isInstanceOf(List.class);
    return (List<Object>) value;
  }

  static Map<String, String> strings(Map<String, Object> map) {
    Map<String, String> out = new LinkedHashMap<>();
    map.forEach((k, v) -> out.put(k, String.valueOf(v)));
    return out;
  }

  static List<String> strings(List<Object> list) {
    return list.stream().map(String::valueOf).collect(Collectors.toList());
  }

  static Duration seconds(String value) {
    return Duration.ofSeconds(Long.parseLong(value.replaceAll("s$", "")));
  }

  static String one(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as(regex).isTrue();
    return m.group(1);
  }

  static List<String> all(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    List<String> out = new ArrayList<>();
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** The body of the {@code <<-EOT} heredoc of the template writing {@code destination}, indentation removed. */
  static String heredoc(String hcl, String destination) {
    String body = one(hcl, "(?s)destination\\s*=\\s*\"" + Pattern.quote(destination) + "\".*?<<-EOT\\n(.*?)\\n\\s*EOT");
    List<String> lines = List.of(body.split("\n", -1));
    int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min()
        .orElse(0);
    return lines.stream().map(l -> l.length() >= indent ? l.substring(indent) : l.strip())
        .collect(Collectors.joining("\n")) + "\n";
  }
}
