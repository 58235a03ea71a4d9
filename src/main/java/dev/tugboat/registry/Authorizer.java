package dev.tugboat.registry;

import io.vertx.core.Future;

/**
 * A fixed way to authorize every request to one registry, instead of the challenge flow: a transfer job's
 * own token endpoint, for example. {@code refresh} is true after the registry answered 401, so a cached
 * token must be fetched again rather than reused.
 */
@FunctionalInterface
public interface Authorizer {
  /** The {@code Authorization} header value (null for none). */
  Future<String> authorization(boolean refresh);
}
