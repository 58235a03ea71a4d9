package dev.tugboat.api;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/**
 * One capability of a node (inventory, allow-list, transfer, watch &amp; deploy): built once per node by
 * {@code Server}, which deploys its background verticles and hands it to every HTTP verticle instance to
 * mount its routes. Its parts are shared by those instances, so they hold no per-event-loop state.
 */
public interface Capability {

  /** A short name for logs and {@code /api/v1/cluster} ({@code inventory}, {@code transfer}, ...). */
  String name();

  /** Deploys the capability's verticles on this node; called once, before the HTTP API takes requests. */
  Future<Void> deploy();

  /** Mounts the capability's routes on one HTTP verticle instance's router. */
  void mount(Router router);

  /**
   * The body of an error answered before routing (a request the router cannot decode) when {@code path} is one of
   * this capability's routes with a seed's error shape; null for Tugboat's shape. The same shape its routes'
   * failure handlers write.
   */
  default JsonObject errorBody(String path, ApiError error) {
    return null;
  }
}
