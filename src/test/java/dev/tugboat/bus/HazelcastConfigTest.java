package dev.tugboat.bus;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import dev.tugboat.config.Settings;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** cluster.* settings on top of conf/cluster.xml: what Hazelcast is told. */
class HazelcastConfigTest {

  static Settings.Cluster cluster(String host, List<String> members, String dns) {
    return new Settings.Cluster(true, "team-a", host, 5702, 5802, members, dns, Duration.ZERO);
  }

  @Test
  @DisplayName("TCP-IP join with the members, bound to cluster.host only; the __vertx.* structures of the base kept; no multicast, no phone-home")
  void tcpIp() {
    Config config = HazelcastConfig.of(cluster("127.0.0.1", List.of("127.0.0.1:5701", "127.0.0.1:5703"), ""));
    assertThat(config.getClusterName()).isEqualTo("team-a");
    assertThat(config.getNetworkConfig().getPort()).isEqualTo(5702);
    assertThat(config.getNetworkConfig().isPortAutoIncrement()).isFalse();
    assertThat(config.getNetworkConfig().getInterfaces().isEnabled()).isTrue();
    assertThat(config.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
    assertThat(config.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1:5701", "127.0.0.1:5703");
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    assertThat(config.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    assertThat(config.getMultiMapConfigs()).containsKey("__vertx.subs");
    assertThat(config.getMapConfigs()).containsKeys("__vertx.haInfo", "__vertx.nodeInfo");
  }

  @Test
  @DisplayName("Kubernetes: DNS discovery on the headless Service at cluster.port instead of a member list; any interface when no host")
  void kubernetes() {
    Config config = HazelcastConfig.of(cluster("", List.of(), "tugboat-hz.apps.svc.cluster.local"));
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperty("service-dns")).isEqualTo("tugboat-hz.apps.svc.cluster.local");
    assertThat(join.getKubernetesConfig().getProperty("service-port")).isEqualTo("5702");
    assertThat(config.getNetworkConfig().getInterfaces().isEnabled()).isFalse();
    assertThat(config.getProperty("hazelcast.socket.bind.any")).isNotEqualTo("false");
  }
}
