package dev.tugboat.inventory;

import static org.awaitility.Awaitility.await;

import dev.tugboat.db.Database;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/** Registry notification events shaped as distribution sends them, and what the inbox made of them. */
final class Events {
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

  private Events() {}

  /** A manifest push by {@code registryHost} ({@code 127.0.0.1:PORT}). */
  static JsonObject push(String registryHost, String repository, String digest, String tag) {
    return event("push", OCI_MANIFEST, registryHost, repository, digest, tag);
  }

  static JsonObject event(String action, String mediaType, String registryHost, String repository, Object digest,
                          String tag) {
    JsonObject target = new JsonObject().put("mediaType", mediaType).put("digest", digest).put("repository", repository)
        .put("url", "http://" + registryHost + "/v2/" + repository + "/manifests/" + digest);
    if (tag != null) {
      target.put("tag", tag);
    }
    return new JsonObject().put("id", UUID.randomUUID().toString()).put("timestamp", "2026-11-23T10:00:00Z")
        .put("action", action).put("target", target).put("request", new JsonObject().put("host", registryHost));
  }

  static HttpResponse<String> post(TestServer server, JsonObject... events) {
    JsonArray list = new JsonArray();
    for (JsonObject event : events) {
      list.add(event);
    }
    return server.send("POST", "/dockerRegistry/event", new JsonObject().put("events", list).encode(), null);
  }

  /** Inbox rows per event id, as {state, last_error}, read straight from the database. */
  static Map<String, String[]> inbox(TestServer server, List<String> ids) {
    Database db = server.server().services().db();
    String in = String.join(",", Collections.nCopies(ids.size(), "?"));
    Map<String, String[]> out = new TreeMap<>();
    for (Row row : db.pool().preparedQuery(db.vendor().sql("SELECT id, state, last_error FROM inventory_inbox WHERE id IN ("
            + in + ")")).execute(Tuple.from(new ArrayList<Object>(ids))).await()) {
      out.put(row.getString("id"), new String[] {row.getString("state"), row.getString("last_error")});
    }
    return out;
  }

  /** Stores {@code event} as an inbox row the way a release without validation at the door did: PENDING, as is. */
  static void insertUnchecked(Database db, String id, JsonObject event) {
    Object now = db.vendor().timestamp(Instant.now());
    db.pool().preparedQuery(db.vendor().sql("INSERT INTO inventory_inbox (id, event, received_at, state, next_attempt_at)"
        + " VALUES (?, ?, ?, 'PENDING', ?)")).execute(Tuple.of(id, event.encode(), now, now)).await();
  }

  /** Waits until {@code GET /v2/images/<ref>} answers 200; its body. */
  static JsonObject awaitImage(TestServer server, String ref, Duration within) {
    JsonObject[] found = new JsonObject[1];
    await().atMost(within).pollInterval(Duration.ofMillis(50)).until(() -> {
      HttpResponse<String> r = server.get("/v2/images/" + ref);
      if (r.statusCode() == 200) {
        found[0] = new JsonObject(r.body());
        return true;
      }
      return false;
    });
    return found[0];
  }
}
