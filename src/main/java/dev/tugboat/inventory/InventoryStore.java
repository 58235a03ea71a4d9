package dev.tugboat.inventory;

import dev.tugboat.db.Database;
import dev.tugboat.db.Vendor;
import dev.tugboat.registry.Descriptor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The image inventory: images by (registry, repository, digest), their tags with version class and
 * "latest of its class", platforms and layers in order. Writes of one scrape are one transaction.
 */
public final class InventoryStore {
  /** Column lengths (V2__inventory.sql): values checked against them at the door, identically on both vendors. */
  public static final int REGISTRY_MAX = 255;
  public static final int REPOSITORY_MAX = 255;
  public static final int TAG_MAX = 128;
  public static final int DIGEST_MAX = 71;
  public static final int OS_MAX = 64;
  public static final int ARCHITECTURE_MAX = 64;
  public static final int VARIANT_MAX = 64;
  public static final int OS_VERSION_MAX = 128;

  private final Database db;
  private final Vendor vendor;

  public InventoryStore(Database db) {
    this.db = db;
    this.vendor = db.vendor();
  }

  /** A platform of a stored image, as the layers/children queries need it. */
  public record PlatformRow(String manifestDigest, String os, String architecture, String osVersion, String variant,
                            int layerCount) {}

  // ---- writes

  /**
   * Records a scraped image (replacing its platforms and layers) and, when {@code tag} is given, points the
   * tag at it: the same tag on another image of the repository is marked untagged (a moved tag), and the
   * latest image of the tag's version class is recomputed.
   */
  public Future<String> save(ScrapedImage image, String tag, Instant now) {
    String id = image.id();
    Object ts = vendor.timestamp(now);
    Object created = image.created() == null ? null : vendor.timestamp(image.created());
    String upsert = vendor == Vendor.POSTGRESQL
        ? "INSERT INTO inventory_images (id, registry, repository, digest, media_type, created, first_seen_at, scraped_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET media_type = EXCLUDED.media_type,"
            + " created = EXCLUDED.created, scraped_at = EXCLUDED.scraped_at"
        : "INSERT INTO inventory_images (id, registry, repository, digest, media_type, created, first_seen_at, scraped_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE media_type = VALUES(media_type),"
            + " created = VALUES(created), scraped_at = VALUES(scraped_at)";
    return db.inTransaction(conn -> run(conn, upsert, Tuple.of(id, image.registry(), image.repository(),
            image.digest(), image.mediaType(), created).addValue(ts).addValue(ts))
        .compose(v -> run(conn, "DELETE FROM inventory_platforms WHERE image_id = ?", Tuple.of(id)))
        .compose(v -> insertPlatforms(conn, id, image))
        .compose(v -> tag == null ? Future.succeededFuture() : pointTag(conn, image, id, tag, ts))
        .map(v -> id));
  }

  private Future<Void> insertPlatforms(SqlConnection conn, String id, ScrapedImage image) {
    List<Tuple> platforms = new ArrayList<>();
    List<Tuple> layers = new ArrayList<>();
    for (ScrapedImage.PlatformImage p : image.platforms()) {
      platforms.add(Tuple.of(id, p.manifestDigest(), p.configDigest(), p.platform().os(), p.platform().architecture(),
              p.platform().osVersion(), p.platform().variant(), new JsonArray(p.platform().features()).encode())
          .addInteger(p.layers().size()).addValue(p.created() == null ? null : vendor.timestamp(p.created())));
      List<Descriptor> list = p.layers();
      for (int i = 0; i < list.size(); i++) {
        layers.add(Tuple.of(id, p.manifestDigest(), i, list.get(i).digest(), list.get(i).size()));
      }
    }
    Future<Void> done = platforms.isEmpty() ? Future.succeededFuture() : batch(conn,
        "INSERT INTO inventory_platforms (image_id, manifest_digest, config_digest, os, architecture, os_version,"
            + " variant, features, layer_count, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", platforms);
    return layers.isEmpty() ? done : done.compose(v -> batch(conn,
        "INSERT INTO inventory_layers (image_id, manifest_digest, position, digest, size) VALUES (?, ?, ?, ?, ?)", layers));
  }

  private Future<Void> pointTag(SqlConnection conn, ScrapedImage image, String id, String tag, Object ts) {
    VersionClass version = VersionClass.of(tag);
    String moved = "UPDATE inventory_tags SET is_tagged = FALSE, is_latest = FALSE, updated_at = ? WHERE tag = ?"
        + " AND image_id <> ? AND image_id IN (SELECT id FROM inventory_images WHERE registry = ? AND repository = ?)";
    String upsert = vendor == Vendor.POSTGRESQL
        ? "INSERT INTO inventory_tags (image_id, tag, distinction, is_latest, is_tagged, updated_at)"
            + " VALUES (?, ?, ?, FALSE, TRUE, ?) ON CONFLICT (image_id, tag) DO UPDATE SET is_tagged = TRUE,"
            + " distinction = EXCLUDED.distinction, updated_at = EXCLUDED.updated_at"
        : "INSERT INTO inventory_tags (image_id, tag, distinction, is_latest, is_tagged, updated_at)"
            + " VALUES (?, ?, ?, FALSE, TRUE, ?) ON DUPLICATE KEY UPDATE is_tagged = TRUE,"
            + " distinction = VALUES(distinction), updated_at = VALUES(updated_at)";
    return run(conn, moved, Tuple.of(ts, tag, id, image.registry(), image.repository()))
        .compose(v -> run(conn, upsert, Tuple.of(id, tag, version.distinction(), ts)))
        .compose(v -> recomputeLatest(conn, image.registry(), image.repository(), version.distinction()));
  }

  /** Sets is_latest on exactly the greatest tagged tag of one version class in one repository. */
  private Future<Void> recomputeLatest(SqlConnection conn, String registry, String repository, String distinction) {
    String select = "SELECT t.image_id, t.tag FROM inventory_tags t JOIN inventory_images i ON i.id = t.image_id"
        + " WHERE i.registry = ? AND i.repository = ? AND t.distinction = ? AND t.is_tagged = TRUE";
    return conn.preparedQuery(vendor.sql(select)).execute(Tuple.of(registry, repository, distinction)).compose(rows -> {
      Map<String, String> imageByTag = new LinkedHashMap<>();
      rows.forEach(row -> imageByTag.put(row.getString("tag"), row.getString("image_id")));
      Optional<String> latest = VersionClass.latest(imageByTag.keySet(), distinction);
      String clear = "UPDATE inventory_tags SET is_latest = FALSE WHERE distinction = ? AND image_id IN"
          + " (SELECT id FROM inventory_images WHERE registry = ? AND repository = ?)";
      Future<Void> cleared = run(conn, clear, Tuple.of(distinction, registry, repository));
      if (latest.isEmpty()) {
        return cleared;
      }
      return cleared.compose(v -> run(conn, "UPDATE inventory_tags SET is_latest = TRUE WHERE image_id = ? AND tag = ?",
          Tuple.of(imageByTag.get(latest.get()), latest.get())));
    });
  }

  /** A tag delete: the tag no longer points anywhere in the repository. */
  public Future<Void> untag(String registry, String repository, String tag, Instant now) {
    String sql = "UPDATE inventory_tags SET is_tagged = FALSE, is_latest = FALSE, updated_at = ? WHERE tag = ?"
        + " AND image_id IN (SELECT id FROM inventory_images WHERE registry = ? AND repository = ?)";
    return db.inTransaction(conn -> run(conn, sql, Tuple.of(vendor.timestamp(now), tag, registry, repository))
        .compose(v -> recomputeLatest(conn, registry, repository, VersionClass.of(tag).distinction())));
  }

  /** A manifest delete: the image, its tags, platforms and layers are gone; latest tags are recomputed. */
  public Future<Boolean> delete(String registry, String repository, String digest) {
    String id = ScrapedImage.idOf(registry, repository, digest);
    return db.inTransaction(conn -> conn.preparedQuery(vendor.sql(
            "SELECT DISTINCT distinction FROM inventory_tags WHERE image_id = ?")).execute(Tuple.of(id))
        .compose(rows -> {
          List<String> distinctions = new ArrayList<>();
          rows.forEach(r -> distinctions.add(r.getString(0)));
          return conn.preparedQuery(vendor.sql("DELETE FROM inventory_images WHERE id = ?")).execute(Tuple.of(id))
              .compose(deleted -> {
                Future<Void> chain = Future.succeededFuture();
                for (String d : distinctions) {
                  chain = chain.compose(v -> recomputeLatest(conn, registry, repository, d));
                }
                return chain.map(v -> deleted.rowCount() > 0);
              });
        }));
  }

  // ---- reads

  /** The image a tag currently points at in a repository. */
  public Future<Optional<StoredImage>> byTag(String registry, String repository, String tag) {
    return images("SELECT i.id, i.registry, i.repository, i.digest FROM inventory_images i JOIN inventory_tags t"
        + " ON t.image_id = i.id WHERE i.registry = ? AND i.repository = ? AND t.tag = ? AND t.is_tagged = TRUE",
        Tuple.of(registry, repository, tag)).map(list -> list.stream().findFirst());
  }

  public Future<Optional<StoredImage>> byDigest(String registry, String repository, String digest) {
    return images("SELECT id, registry, repository, digest FROM inventory_images WHERE id = ?",
        Tuple.of(ScrapedImage.idOf(registry, repository, digest))).map(list -> list.stream().findFirst());
  }

  /** The latest image of a version class in a repository (the one whose tag of that class has is_latest). */
  public Future<Optional<StoredImage>> latest(String registry, String repository, String distinction) {
    return images("SELECT i.id, i.registry, i.repository, i.digest FROM inventory_images i JOIN inventory_tags t"
        + " ON t.image_id = i.id WHERE i.registry = ? AND i.repository = ? AND t.distinction = ? AND t.is_latest = TRUE",
        Tuple.of(registry, repository, distinction)).map(list -> list.stream().findFirst());
  }

  public Future<List<PlatformRow>> platforms(String imageId) {
    return db.pool().preparedQuery(vendor.sql("SELECT manifest_digest, os, architecture, os_version, variant, layer_count"
        + " FROM inventory_platforms WHERE image_id = ? ORDER BY manifest_digest")).execute(Tuple.of(imageId)).map(rows -> {
          List<PlatformRow> out = new ArrayList<>();
          rows.forEach(r -> out.add(new PlatformRow(r.getString("manifest_digest"), r.getString("os"),
              r.getString("architecture"), r.getString("os_version"), r.getString("variant"), r.getInteger("layer_count"))));
          return out;
        });
  }

  /** Layer digests of one platform, bottom first. */
  public Future<List<String>> layers(String imageId, String manifestDigest) {
    return db.pool().preparedQuery(vendor.sql("SELECT digest FROM inventory_layers WHERE image_id = ?"
            + " AND manifest_digest = ? ORDER BY position")).execute(Tuple.of(imageId, manifestDigest))
        .map(rows -> {
          List<String> out = new ArrayList<>();
          rows.forEach(r -> out.add(r.getString(0)));
          return out;
        });
  }

  /** Whether any stored platform has this layer. */
  public Future<Boolean> layerKnown(String digest) {
    return db.pool().preparedQuery(vendor.sql("SELECT 1 FROM inventory_layers WHERE digest = ? LIMIT 1"))
        .execute(Tuple.of(digest)).map(rows -> rows.size() > 0);
  }

  /**
   * The images each layer comes from: among the platforms holding it, those with the fewest layers (the base
   * image that introduced it), as imagespy defined "source images". Two queries for any number of layers;
   * the map keeps the order of {@code layerDigests}.
   */
  public Future<Map<String, List<StoredImage>>> sourceImages(List<String> layerDigests) {
    if (layerDigests.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    Set<String> unique = new LinkedHashSet<>(layerDigests);
    String sql = "SELECT l.digest, p.image_id, p.layer_count FROM inventory_layers l JOIN inventory_platforms p"
        + " ON p.image_id = l.image_id AND p.manifest_digest = l.manifest_digest WHERE l.digest IN ("
        + String.join(",", Collections.nCopies(unique.size(), "?")) + ")";
    return db.pool().preparedQuery(vendor.sql(sql)).execute(Tuple.from(List.copyOf(unique))).compose(rows -> {
      Map<String, Integer> fewest = new LinkedHashMap<>();
      for (Row r : rows) {
        fewest.merge(r.getString("digest"), r.getInteger("layer_count"), Math::min);
      }
      Map<String, Set<String>> sources = new LinkedHashMap<>();
      for (Row r : rows) {
        if (r.getInteger("layer_count").equals(fewest.get(r.getString("digest")))) {
          sources.computeIfAbsent(r.getString("digest"), d -> new LinkedHashSet<>()).add(r.getString("image_id"));
        }
      }
      Set<String> ids = new LinkedHashSet<>();
      sources.values().forEach(ids::addAll);
      return byIds(ids).map(images -> {
        Map<String, StoredImage> byId = new LinkedHashMap<>();
        images.forEach(image -> byId.put(image.id(), image));
        Map<String, List<StoredImage>> out = new LinkedHashMap<>();
        for (String digest : unique) {
          // byIds orders by registry, repository, digest: keep that order within a layer
          out.put(digest, images.stream().filter(i -> sources.getOrDefault(digest, Set.of()).contains(i.id())).toList());
        }
        return out;
      });
    });
  }

  /** Images built on top of this platform: their platforms hold its top layer and have more layers. */
  public Future<List<StoredImage>> children(String imageId, PlatformRow platform) {
    return layers(imageId, platform.manifestDigest()).compose(layers -> {
      if (layers.isEmpty()) {
        return Future.succeededFuture(List.<StoredImage>of());
      }
      String top = layers.get(layers.size() - 1);
      String sql = "SELECT DISTINCT p.image_id FROM inventory_layers l JOIN inventory_platforms p"
          + " ON p.image_id = l.image_id AND p.manifest_digest = l.manifest_digest"
          + " WHERE l.digest = ? AND p.layer_count > ? AND p.image_id <> ?";
      return db.pool().preparedQuery(vendor.sql(sql)).execute(Tuple.of(top, platform.layerCount(), imageId))
          .compose(rows -> {
            Set<String> ids = new LinkedHashSet<>();
            rows.forEach(r -> ids.add(r.getString(0)));
            return byIds(ids);
          });
    });
  }

  /** A page of images, newest scrape first, optionally filtered. */
  public Future<List<StoredImage>> list(String registry, String repository, String tag, String digest,
                                        String[] platform, int offset, int limit) {
    StringBuilder sql = new StringBuilder("SELECT i.id, i.registry, i.repository, i.digest FROM inventory_images i WHERE 1 = 1");
    Tuple params = Tuple.tuple();
    if (registry != null) {
      sql.append(" AND i.registry = ?");
      params.addString(registry);
    }
    if (repository != null) {
      sql.append(" AND i.repository = ?");
      params.addString(repository);
    }
    if (digest != null) {
      sql.append(" AND i.digest = ?");
      params.addString(digest);
    }
    if (tag != null) {
      sql.append(" AND EXISTS (SELECT 1 FROM inventory_tags t WHERE t.image_id = i.id AND t.tag = ? AND t.is_tagged = TRUE)");
      params.addString(tag);
    }
    if (platform != null) {
      sql.append(" AND EXISTS (SELECT 1 FROM inventory_platforms p WHERE p.image_id = i.id AND p.os = ?"
          + " AND p.architecture = ?").append(platform.length > 2 ? " AND p.variant = ?" : "").append(")");
      params.addString(platform[0]).addString(platform[1]);
      if (platform.length > 2) {
        params.addString(platform[2]);
      }
    }
    sql.append(" ORDER BY i.scraped_at DESC, i.id LIMIT ").append(limit).append(" OFFSET ").append(offset);
    return images(sql.toString(), params);
  }

  /** Every (registry, repository) the inventory knows. */
  public Future<List<String[]>> repositories() {
    return db.pool().query("SELECT DISTINCT registry, repository FROM inventory_images ORDER BY registry, repository")
        .execute().map(rows -> {
          List<String[]> out = new ArrayList<>();
          rows.forEach(r -> out.add(new String[] {r.getString(0), r.getString(1)}));
          return out;
        });
  }

  /** Every tag marked latest of its class, as {registry, repository, tag}. */
  public Future<List<String[]>> latestTags() {
    return db.pool().query("SELECT i.registry, i.repository, t.tag FROM inventory_tags t JOIN inventory_images i"
        + " ON i.id = t.image_id WHERE t.is_latest = TRUE ORDER BY i.registry, i.repository, t.tag").execute().map(rows -> {
          List<String[]> out = new ArrayList<>();
          rows.forEach(r -> out.add(new String[] {r.getString(0), r.getString(1), r.getString(2)}));
          return out;
        });
  }

  private Future<List<StoredImage>> byIds(Collection<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    String in = String.join(",", Collections.nCopies(ids.size(), "?"));
    return images("SELECT id, registry, repository, digest FROM inventory_images WHERE id IN (" + in
        + ") ORDER BY registry, repository, digest", Tuple.from(List.copyOf(ids)));
  }

  /** Loads images and their current tags (two queries, whatever the number of images). */
  private Future<List<StoredImage>> images(String sql, Tuple params) {
    return db.pool().preparedQuery(vendor.sql(sql)).execute(params).compose(rows -> {
      List<Row> list = new ArrayList<>();
      rows.forEach(list::add);
      if (list.isEmpty()) {
        return Future.succeededFuture(List.<StoredImage>of());
      }
      List<String> ids = list.stream().map(r -> r.getString("id")).distinct().toList();
      String in = String.join(",", Collections.nCopies(ids.size(), "?"));
      return db.pool().preparedQuery(vendor.sql("SELECT image_id, tag FROM inventory_tags WHERE is_tagged = TRUE"
          + " AND image_id IN (" + in + ") ORDER BY tag")).execute(Tuple.from(ids)).map(tagRows -> {
            Map<String, List<String>> tags = new LinkedHashMap<>();
            tagRows.forEach(r -> tags.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(r.getString(1)));
            Map<String, StoredImage> out = new LinkedHashMap<>();
            for (Row r : list) {
              String id = r.getString("id");
              out.putIfAbsent(id, new StoredImage(id, r.getString("registry"), r.getString("repository"),
                  r.getString("digest"), List.copyOf(tags.getOrDefault(id, List.of()))));
            }
            return List.copyOf(out.values());
          });
    });
  }

  private Future<Void> run(SqlClient client, String sql, Tuple params) {
    return client.preparedQuery(vendor.sql(sql)).execute(params).mapEmpty();
  }

  private Future<Void> batch(SqlClient client, String sql, List<Tuple> rows) {
    return client.preparedQuery(vendor.sql(sql)).executeBatch(rows).mapEmpty();
  }
}
