package dev.tugboat.bus;

import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

/**
 * Small change facts for live views (the web UI's event stream): published, so every node's listeners hear
 * them, and only names and ids, so a listener reads the changed record from the database itself.
 */
public final class Changes {
  private Changes() {}

  public static void watch(EventBus bus, String name) {
    bus.publish(Addresses.WATCH_CHANGED, new JsonObject().put("name", name));
  }

  public static void deployment(EventBus bus, String id, String repo, String state) {
    bus.publish(Addresses.DEPLOYMENT_CHANGED, new JsonObject().put("id", id).put("repo", repo).put("state", state));
  }
}
