package dev.tugboat.api;

import dev.tugboat.bus.Cluster;
import dev.tugboat.config.Settings;
import dev.tugboat.db.Database;
import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.registry.RegistryClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one node's verticles share: built once by {@code Server} and handed to each verticle instance,
 * so the pool, the tokens file watcher, the registry client (its token cache and per-registry limits) and the
 * metrics registry exist once per node. {@code egress} is the one policy every outbound call obeys; {@code cluster}
 * is this node (its id, which lease owners carry) and the cluster it belongs to.
 */
public record Services(Settings settings, Database db, TokenAuth tokens, RegistryClient registry,
                       PrometheusMeterRegistry metrics, Clock clock, AtomicInteger httpPort, EgressPolicy egress,
                       Cluster cluster) {}
