package dev.tugboat.registry;

import dev.tugboat.config.Settings.RegistrySettings;
import java.util.List;

/**
 * How to reach one registry host: scheme, API host, TLS verification, credentials and concurrency.
 * Credentials are only ever attached to requests for {@link #apiHost()} and to its token realm.
 *
 * @param registry the host as written in references ({@code docker.io}, {@code 127.0.0.1:5000})
 */
public record RegistryEndpoint(String registry, String apiHost, boolean https, boolean tlsVerify, String username,
                               String password, int maxConcurrency) {

  public static RegistryEndpoint forRegistry(String registry, List<RegistrySettings> configured) {
    String normalised = normalise(registry);
    for (RegistrySettings s : configured) {
      if (normalise(s.host()).equals(normalised)) {
        return new RegistryEndpoint(normalised, apiHost(normalised), !s.insecure(), s.tlsVerify(), s.username(),
            s.password(), s.maxConcurrency());
      }
    }
    return new RegistryEndpoint(normalised, apiHost(normalised), !isLoopback(normalised), true, "", "", 8);
  }

  /** The registry name as references use it ({@code index.docker.io} and {@code registry-1.docker.io} are docker.io). */
  public static String normalise(String host) {
    String h = host.trim();
    return h.equals("index.docker.io") || h.equals("registry-1.docker.io") ? ImageReference.DOCKER_HUB : h;
  }

  static String apiHost(String registry) {
    return registry.equals(ImageReference.DOCKER_HUB) ? "registry-1.docker.io" : registry;
  }

  /** Unconfigured loopback registries are spoken to over plain HTTP, as docker does; configured ones as configured. */
  static boolean isLoopback(String host) {
    String h = host.startsWith("[") ? host.substring(1, host.indexOf(']')) : host.replaceFirst(":\\d+$", "");
    return h.equals("localhost") || h.startsWith("127.") || h.equals("::1");
  }

  public boolean hasCredentials() {
    return !username.isEmpty();
  }

  public String baseUrl() {
    return (https ? "https://" : "http://") + apiHost;
  }

  public String hostOnly() {
    int colon = apiHost.lastIndexOf(':');
    return colon > 0 && !apiHost.endsWith("]") ? apiHost.substring(0, colon) : apiHost;
  }

  public int port() {
    int colon = apiHost.lastIndexOf(':');
    if (colon > 0 && !apiHost.endsWith("]")) {
      return Integer.parseInt(apiHost.substring(colon + 1));
    }
    return https ? 443 : 80;
  }

  @Override
  public String toString() {
    return "RegistryEndpoint[" + baseUrl() + (hasCredentials() ? ", user=" + username : "") + "]";
  }
}
