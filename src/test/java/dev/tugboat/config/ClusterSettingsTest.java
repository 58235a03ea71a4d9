package dev.tugboat.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The cluster.* keys and the lease times to live: defaults, lists from YAML, env and --set, refusals naming the key. */
class ClusterSettingsTest {
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  static Settings load(Path file, Map<String, String> env, Map<String, String> sets) {
    return new ConfigLoader(file, env, sets).load(vertx).await();
  }

  @Test
  @DisplayName("defaults: not clustered, cluster tugboat on 5701 with the event bus pinned to 5801, no members, 5s drain; leases 15s")
  void defaults() {
    Settings s = load(null, Map.of(), Map.of());
    Settings.Cluster c = s.cluster();
    assertThat(c.enabled()).isFalse();
    assertThat(c.name()).isEqualTo("tugboat");
    assertThat(c.host()).isEmpty();
    assertThat(c.port()).isEqualTo(5701);
    assertThat(c.eventBusPort()).isEqualTo(5801);
    assertThat(c.members()).isEmpty();
    assertThat(c.kubernetesServiceDns()).isEmpty();
    assertThat(c.drainDelay()).isEqualTo(Duration.ofSeconds(5));
    // 15 s, renewed every 5 s: a dead node's work is claimable again at most 15 s after its last renewal
    assertThat(java.util.List.of(s.transfer().leaseTtl(), s.deploy().leaseTtl(), s.watch().leaseTtl(),
        s.inventory().leaseTtl())).containsOnly(Duration.ofSeconds(15));
  }

  @Test
  @DisplayName("members: a YAML list in the file, a comma-separated host:port string from the environment or --set")
  void members(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tugboat.yaml");
    Files.writeString(file, "cluster:\n  enabled: true\n  members:\n    - tugboat-1:5701\n    - tugboat-2\n");
    assertThat(load(file, Map.of(), Map.of()).cluster().members()).containsExactly("tugboat-1:5701", "tugboat-2");
    Settings fromEnv = load(file, Map.of("TUGBOAT_CLUSTER_MEMBERS", "10.0.0.1:5701, 10.0.0.2:5701",
        "TUGBOAT_CLUSTER_EVENT_BUS_PORT", "15801", "TUGBOAT_CLUSTER_KUBERNETES_SERVICE_DNS", "hz.ns.svc.cluster.local"),
        Map.of());
    assertThat(fromEnv.cluster().members()).containsExactly("10.0.0.1:5701", "10.0.0.2:5701");
    assertThat(fromEnv.cluster().eventBusPort()).isEqualTo(15801);
    assertThat(fromEnv.cluster().kubernetesServiceDns()).isEqualTo("hz.ns.svc.cluster.local");
    Settings fromSet = load(null, Map.of(), Map.of("cluster.members", "127.0.0.1:5701,127.0.0.1:5702",
        "cluster.host", "127.0.0.1", "cluster.name", "test-1", "cluster.drainDelay", "0s"));
    assertThat(fromSet.cluster().members()).containsExactly("127.0.0.1:5701", "127.0.0.1:5702");
    assertThat(fromSet.cluster().host()).isEqualTo("127.0.0.1");
    assertThat(fromSet.cluster().drainDelay()).isZero();
  }

  @Test
  @DisplayName("server --cluster is cluster.enabled=true")
  void clusterFlag() {
    assertThat(dev.tugboat.MainTestSupport.serverFlags("server", "--cluster")).containsEntry("cluster.enabled", "true");
    assertThat(dev.tugboat.MainTestSupport.serverFlags("server")).doesNotContainKey("cluster.enabled");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "cluster.name|two words",
      "cluster.host|tugboat-1",
      "cluster.host|300.1.1.1",
      "cluster.port|0",
      "cluster.eventBusPort|70000",
      "cluster.members|host:5701,not a host",
      "cluster.drainDelay|-1s",
      "transfer.leaseTtl|500ms",
      "watch.leaseTtl|0s",
      "inventory.leaseTtl|100ms"})
  @DisplayName("bad values are refused naming the key")
  void refused(String key, String value) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(null, Map.of(), Map.of(key, value)));
    assertThat(e).as(key + "=" + value).isNotNull();
    assertThat(e.key()).startsWith(key);
  }
}
