package dev.tugboat.inventory;

import dev.tugboat.db.Database;
import dev.tugboat.db.Vendor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of a stored image that imagespy's JSON leaves out and an image page shows: times and media type,
 * each tag's version class, each platform's config digest and build time, and layers with their sizes.
 */
final class ImageDetails {
  private final Database db;
  private final Vendor vendor;

  ImageDetails(Database db) {
    this.db = db;
    this.vendor = db.vendor();
  }

  /** A tag of the image with its version class and whether it is the latest of that class. */
  record Tag(String tag, String distinction, boolean latest) {}

  /** A layer of one platform, bottom first. */
  record Layer(String digest, long size) {}

  /** A platform's config digest, build time and layers. */
  record Platform(String configDigest, Instant created, List<Layer> layers) {}

  /** The image row's own columns. */
  Future<JsonObject> image(String imageId) {
    return db.pool().preparedQuery(vendor.sql("SELECT media_type, created, first_seen_at, scraped_at FROM inventory_images"
        + " WHERE id = ?")).execute(Tuple.of(imageId)).map(rows -> {
          JsonObject out = new JsonObject();
          for (Row r : rows) {
            out.put("media_type", r.getString("media_type")).put("created", text(vendor.instant(r, "created")))
                .put("first_seen_at", text(vendor.instant(r, "first_seen_at")))
                .put("scraped_at", text(vendor.instant(r, "scraped_at")));
          }
          return out;
        });
  }

  Future<List<Tag>> tags(String imageId) {
    return db.pool().preparedQuery(vendor.sql("SELECT tag, distinction, is_latest FROM inventory_tags WHERE image_id = ?"
        + " AND is_tagged = TRUE ORDER BY tag")).execute(Tuple.of(imageId)).map(rows -> {
          List<Tag> out = new ArrayList<>();
          rows.forEach(r -> out.add(new Tag(r.getString("tag"), r.getString("distinction"), vendor.bool(r, "is_latest"))));
          return out;
        });
  }

  /** By manifest digest: config digest, build time and layers in order (two queries). */
  Future<Map<String, Platform>> platforms(String imageId) {
    Future<io.vertx.sqlclient.RowSet<Row>> platforms = db.pool().preparedQuery(vendor.sql("SELECT manifest_digest,"
        + " config_digest, created FROM inventory_platforms WHERE image_id = ?")).execute(Tuple.of(imageId));
    Future<io.vertx.sqlclient.RowSet<Row>> layers = db.pool().preparedQuery(vendor.sql("SELECT manifest_digest, digest,"
        + " size FROM inventory_layers WHERE image_id = ? ORDER BY manifest_digest, position")).execute(Tuple.of(imageId));
    return Future.all(platforms, layers).map(both -> {
      Map<String, List<Layer>> byManifest = new LinkedHashMap<>();
      layers.result().forEach(r -> byManifest.computeIfAbsent(r.getString("manifest_digest"), k -> new ArrayList<>())
          .add(new Layer(r.getString("digest"), r.getLong("size"))));
      Map<String, Platform> out = new LinkedHashMap<>();
      platforms.result().forEach(r -> out.put(r.getString("manifest_digest"), new Platform(r.getString("config_digest"),
          vendor.instant(r, "created"), List.copyOf(byManifest.getOrDefault(r.getString("manifest_digest"), List.of())))));
      return out;
    });
  }

  static JsonArray layersJson(List<Layer> layers, Map<String, List<StoredImage>> sources) {
    JsonArray out = new JsonArray();
    for (Layer layer : layers) {
      JsonArray images = new JsonArray();
      sources.getOrDefault(layer.digest(), List.of()).forEach(i -> images.add(i.toJson()));
      out.add(new JsonObject().put("digest", layer.digest()).put("size", layer.size()).put("source_images", images));
    }
    return out;
  }

  static String text(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
