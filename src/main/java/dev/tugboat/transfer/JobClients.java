package dev.tugboat.transfer;

import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.registry.Authorizer;
import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.RetryPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The registry clients of one job: one per endpoint, so each carries that endpoint's own credentials,
 * scheme and TLS choice. Without job credentials a registry is reached as {@code registries[]} says (its
 * challenge flow with the configured user). Closed when the job's attempt ends.
 */
final class JobClients {
  private final Vertx vertx;
  private final List<RegistrySettings> configured;
  private final MeterRegistry metrics;
  private final Clock clock;
  private final EgressPolicy egress;
  private final Duration timeout;
  private final List<RegistryClient> open = new ArrayList<>();
  private HttpClient tokenHttp;

  JobClients(Vertx vertx, List<RegistrySettings> configured, MeterRegistry metrics, Clock clock, EgressPolicy egress,
             Duration timeout) {
    this.vertx = vertx;
    this.configured = configured;
    this.metrics = metrics;
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
    Map<String, Authorizer> fixed = auth == null || basic ? Map.of()
        : Map.of(endpoint.registry(), new TokenAuthorizer(tokenHttp(), auth, verifyTls, clock, egress, timeout));
    RegistryClient client = new RegistryClient(vertx, List.of(settings), metrics, RetryPolicy.DEFAULT, clock, fixed);
    open.add(client);
    return client;
  }

  /** The token servers' client: every connection is checked on the address it reached (names resolving anywhere). */
  private HttpClient tokenHttp() {
    if (tokenHttp == null) {
      tokenHttp = vertx.httpClientBuilder().withConnectHandler(egress.connectGuard()).build();
    }
    return tokenHttp;
  }

  Future<Void> close() {
    List<Future<Void>> closing = new ArrayList<>();
    open.forEach(client -> closing.add(client.close()));
    if (tokenHttp != null) {
      closing.add(tokenHttp.close());
    }
    return Future.join(closing).mapEmpty();
  }
}
