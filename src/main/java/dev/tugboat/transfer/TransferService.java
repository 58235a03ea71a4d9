package dev.tugboat.transfer;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.JsonFields;
import dev.tugboat.api.Services;
import dev.tugboat.bus.Addresses;
import dev.tugboat.config.Settings;
import dev.tugboat.registry.RegistryException;
import dev.tugboat.registry.RegistryPool;
import dev.tugboat.registry.Repository;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The transfer capability as the routes and the worker see it: submit (validate, check that the source
 * exists, store, wake a worker), read, list, cancel; and the registry clients a stored job is run with.
 */
public final class TransferService {
  private final Vertx vertx;
  private final Services services;
  private final Settings.Transfer settings;
  private final TransferStore store;
  private final RegistryPool pool;
  private final JobClients clients;
  private final Timer startLatency;
  private Future<SecretBox> box;

  public TransferService(Vertx vertx, Services services) {
    this.vertx = vertx;
    this.services = services;
    this.settings = services.settings().transfer();
    this.store = new TransferStore(services.db());
    // the node's one pool and token cache per registry host (the inventory's and watcher's too); a job's
    // credentials are views over it
    this.pool = services.registry().pool();
    this.startLatency = Timer.builder("tugboat_transfer_start_seconds")
        .description("from a job's submission to its first blob requested from the source (first attempt)")
        .register(services.metrics());
    this.clients = new JobClients(pool, services.settings().registries(), services.clock(), services.egress(),
        services.settings().egress().timeout());
  }

  /**
   * Records how long a job took from its submission to its first blob requested from the source (claim, plan,
   * HEADs, upload sessions): {@code tugboat_transfer_start_seconds}.
   */
  Duration started(TransferJob job) {
    Duration latency = sinceSubmit(job);
    startLatency.record(latency);
    return latency;
  }

  Duration sinceSubmit(TransferJob job) {
    return Duration.between(job.createdAt(), services.clock().instant());
  }

  TransferStore store() {
    return store;
  }

  Settings.Transfer settings() {
    return settings;
  }

  /** This node's id (lease owners carry it). */
  String node() {
    return services.cluster().node();
  }

  /** The sealing key: configured, or the one kept in the database (read once per instance). */
  synchronized Future<SecretBox> box() {
    if (box == null || box.failed()) {
      box = settings.secretKey().isEmpty() ? store.sharedKey().map(SecretBox::fromBase64)
          : Future.succeededFuture(SecretBox.fromBase64(settings.secretKey()));
    }
    return box;
  }

  /**
   * Stores a new job and answers its id; 400 for bad input or an endpoint the egress policy refuses, 404 when the
   * source image does not exist.
   */
  Future<String> submit(JsonFields body) {
    java.time.Instant received = services.clock().instant(); // created_at: the start latency counts from here
    TransferRequest request = TransferRequest.parse(body, services.egress());
    CopySource source = source(clients, request);
    return source.client().headManifest(source.repo(), source.reference())
        .recover(err -> Future.failedFuture(err instanceof RegistryException re
            ? new ApiError(502, "source_unavailable", "source registry: " + re.getMessage(), "source") : err))
        .compose(found -> {
          if (found.isEmpty()) {
            return Future.failedFuture(new ApiError(404, "not_found", "Image not found", "source"));
          }
          return box();
        })
        .compose(sealer -> {
          String id = UUID.randomUUID().toString();
          JsonObject secrets = request.secrets();
          JsonObject progress = Progress.start(request.targets().stream().map(t -> t.endpoint().url()).toList()).toJson();
          int attempts = request.attempts() != null ? request.attempts() : settings.retries();
          return store.insert(id, request.toJson(), secrets == null ? null : sealer.seal(secrets), progress, attempts,
              received).map(id);
        })
        .onSuccess(id -> vertx.eventBus().publish(Addresses.TRANSFER_JOBS, new JsonObject().put("id", id)));
  }

  Future<Optional<TransferJob>> get(String id) {
    return store.get(id);
  }

  Future<List<TransferJob>> list(String state, int limit) {
    return store.list(state, limit);
  }

  Future<Boolean> cancel(String id) {
    return store.cancel(id).onSuccess(changed -> {
      vertx.eventBus().publish(Addresses.TRANSFER_CANCEL, new JsonObject().put("id", id));
      vertx.eventBus().publish(Addresses.TRANSFER_PROGRESS, new JsonObject().put("id", id));
    });
  }

  JobClients clients() {
    return clients;
  }

  static CopySource source(JobClients clients, TransferRequest request) {
    TransferRequest.Source s = request.source();
    return new CopySource(clients.client(s.endpoint(), s.verifyTls(), s.auth()),
        new Repository(s.endpoint().registry(), s.image()), s.ref());
  }

  /** Every target gets the source's repository and reference, as in the transfer service. */
  static List<CopyTarget> targets(JobClients clients, TransferRequest request) {
    TransferRequest.Source s = request.source();
    return request.targets().stream().map(t -> new CopyTarget(t.endpoint().url(),
        clients.client(t.endpoint(), t.verifyTls(), t.auth()), new Repository(t.endpoint().registry(), s.image()),
        s.ref(), t.overwrite())).toList();
  }
}
