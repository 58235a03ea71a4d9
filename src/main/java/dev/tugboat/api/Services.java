package dev.tugboat.api;

import dev.tugboat.config.Settings;
import dev.tugboat.db.Database;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one node's verticles share: built once by {@code Server} and handed to each verticle instance,
 * so the pool, the tokens file watcher and the metrics registry exist once per node.
 */
public record Services(Settings settings, Database db, TokenAuth tokens, PrometheusMeterRegistry metrics, Clock clock,
                       AtomicInteger httpPort) {}
