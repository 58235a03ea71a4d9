package dev.tugboat.bus;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import dev.tugboat.config.Settings;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;

/**
 * The Hazelcast configuration of a clustered node: the XML base ({@code cluster.xml} on the classpath, packaged
 * from conf/cluster.xml, or {@code -Dvertx.hazelcast.config}), which declares the {@code __vertx.*} structures the
 * event bus needs, with the {@code cluster.*} settings applied on top.
 */
public final class HazelcastConfig {
  private HazelcastConfig() {}

  public static Config of(Settings.Cluster cluster) {
    Config config = ConfigUtil.loadConfig();
    if (config == null || config.getMultiMapConfigs().get("__vertx.subs") == null) {
      throw new IllegalStateException("Hazelcast configuration without the __vertx.subs multimap (start from conf/cluster.xml)");
    }
    config.setClusterName(cluster.name());
    // never call home, whatever the base says; never look for members the settings do not name
    config.setProperty("hazelcast.phone.home.enabled", "false");
    NetworkConfig network = config.getNetworkConfig().setPort(cluster.port()).setPortAutoIncrement(false);
    if (!cluster.host().isEmpty()) {
      network.getInterfaces().setEnabled(true).clear().addInterface(cluster.host());
      config.setProperty("hazelcast.socket.bind.any", "false"); // listen on that address only
    }
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getAwsConfig().setEnabled(false);
    join.getGcpConfig().setEnabled(false);
    join.getAzureConfig().setEnabled(false);
    join.getEurekaConfig().setEnabled(false);
    if (cluster.kubernetesServiceDns().isEmpty()) {
      join.getKubernetesConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());
    } else {
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", cluster.kubernetesServiceDns())
          .setProperty("service-port", String.valueOf(cluster.port()));
    }
    return config;
  }
}
