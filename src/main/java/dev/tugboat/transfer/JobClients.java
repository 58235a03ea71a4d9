package dev.tugboat.transfer;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.registry.Authorizer;
import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.RegistryPool;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The registry clients of jobs: per endpoint a view over the node's one {@link RegistryPool} (its connections,
 * limits, challenges and token cache), carrying that endpoint's own credentials, scheme and TLS choice. Without
 * job credentials a registry is reached as {@code registries[]} says (its challenge flow with the configured user).
 * Building a view costs no connection and no token: a job starts on warm connections and cached tokens of the
 * same credentials. Nothing to close per job; the transfer module closes the pool on stop.
 */
final class JobClients {
  private final RegistryPool pool;
  private final List<RegistrySettings> configured;
  private final Clock clock;
  private final EgressPolicy egress;
  private final Duration timeout;

  JobClients(RegistryPool pool, List<RegistrySettings> configured, Clock clock, EgressPolicy egress, Duration timeout) {
    this.pool = pool;
    this.configured = configured;
    this.clock = clock;
    this.egress = egress;
    this.timeout = timeout;
  }

  RegistryClient client(Endpoint endpoint, boolean verifyTls, Credentials auth) {
    RegistrySettings base = configured.stream().filter(r -> r.host().equalsIgnoreCase(endpoint.registry())).findFirst()
        .orElse(new RegistrySettings(endpoint.registry(), "", "", false, true, 8));
    boolean basic = auth != null && auth.basic();
    RegistrySettings settings = new RegistrySettings(endpoint.registry(), basic ? auth.user() : auth == null
        ? base.username() : "", basic ? auth.password() : auth == null ? base.password() : "", !endpoint.https(),
        verifyTls && base.tlsVerify(), base.maxConcurrency());
    // a job's token endpoint: its token is the job's own (fetched with its headers), never another job's
    Map<String, Authorizer> fixed = auth == null || basic ? Map.of()
        : Map.of(endpoint.registry(), new TokenAuthorizer(pool.http(), auth, verifyTls, clock, egress, timeout));
    return pool.client(List.of(settings), fixed);
  }
}
