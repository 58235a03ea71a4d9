package dev.tugboat.inventory;

import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.registry.RegistryEndpoint;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which registries a request from outside (a webhook event, {@code POST /v2/images}) may make Tugboat scrape: none
 * the egress policy refuses, and with {@code inventory.configuredRegistriesOnly} only the hosts of
 * {@code registries[]} (as imagespy served its one configured registry). Checked before anything is stored or
 * sent, so a refused host never receives a request.
 */
public final class ScrapeTargets {
  private final EgressPolicy egress;
  private final boolean configuredOnly;
  private final Set<String> configured;

  public ScrapeTargets(EgressPolicy egress, boolean configuredOnly, Collection<String> configuredHosts) {
    this.egress = egress;
    this.configuredOnly = configuredOnly;
    this.configured = configuredHosts.stream().map(ScrapeTargets::key).collect(Collectors.toUnmodifiableSet());
  }

  /** Why {@code registry} ({@code host[:port]}) may not be scraped on request, or null when it may. */
  public String refusal(String registry) {
    if (configuredOnly && !configured.contains(key(registry))) {
      return "registry " + registry + " is not in registries[] (inventory.configuredRegistriesOnly)";
    }
    return egress.refusal(registry);
  }

  private static String key(String host) {
    return RegistryEndpoint.normalise(host).toLowerCase(Locale.ROOT);
  }
}
