package dev.tugboat.allowlist;

import dev.tugboat.db.Database;
import dev.tugboat.db.Vendor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** The allow-list table. Times are written by this node (microsecond precision, UTC), as imagelist did. */
public final class AllowListStore {
  /** Length of {@code allowlist_images.id} (V1__allowlist.sql), in characters on both vendors. */
  public static final int ID_LENGTH = 512;
  /** Length of {@code allowlist_images.name} and of {@code name_key}, the normalised name. */
  public static final int NAME_LENGTH = 512;

  private static final String COLUMNS = "id, name, tags, created_at, updated_at";

  private final Database db;
  private final Vendor vendor;
  private final Clock clock;

  public AllowListStore(Database db, Clock clock) {
    this.db = db;
    this.vendor = db.vendor();
    this.clock = clock;
  }

  public Future<List<AllowListEntry>> list(String name, AllowListSort sort) {
    String order = " ORDER BY " + sort.column() + " DESC" + (sort == AllowListSort.ID ? "" : ", id DESC");
    if (name == null) {
      return db.pool().query("SELECT " + COLUMNS + " FROM allowlist_images" + order).execute().map(this::entries);
    }
    return query("SELECT " + COLUMNS + " FROM allowlist_images WHERE name = ?" + order, Tuple.of(name))
        .map(this::entries);
  }

  public Future<Optional<AllowListEntry>> get(String id) {
    return query("SELECT " + COLUMNS + " FROM allowlist_images WHERE id = ?", Tuple.of(id))
        .map(rows -> entries(rows).stream().findFirst());
  }

  /** Entries whose normalised repository ({@code docker.io/library/nginx}) is one of {@code nameKeys}. */
  public Future<List<AllowListEntry>> byNameKeys(Collection<String> nameKeys) {
    if (nameKeys.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    String in = String.join(",", Collections.nCopies(nameKeys.size(), "?"));
    return query("SELECT " + COLUMNS + " FROM allowlist_images WHERE name_key IN (" + in + ")", Tuple.from(List.copyOf(nameKeys)))
        .map(this::entries);
  }

  /**
   * imagelist's upsert: a new id is inserted; an existing one only gets its tags replaced (when
   * {@code tags} is not null) and {@code updated_at} bumped; its name and created_at stay.
   */
  public Future<AllowListEntry> upsert(String id, String name, String nameKey, List<String> tags) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Object ts = vendor.timestamp(now);
    String tagsJson = new JsonArray(tags == null ? List.of() : tags).encode();
    boolean replaceTags = tags != null;
    String upsert = vendor == Vendor.POSTGRESQL
        ? "INSERT INTO allowlist_images (id, name, name_key, tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (id) DO UPDATE SET tags = CASE WHEN CAST(? AS BOOLEAN) THEN EXCLUDED.tags ELSE allowlist_images.tags END,"
            + " updated_at = EXCLUDED.updated_at"
        : "INSERT INTO allowlist_images (id, name, name_key, tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
            + " ON DUPLICATE KEY UPDATE tags = IF(?, VALUES(tags), tags), updated_at = VALUES(updated_at)";
    Tuple params = Tuple.of(id, name, nameKey, tagsJson, ts, ts).addBoolean(replaceTags);
    return db.inTransaction(conn -> conn.preparedQuery(vendor.sql(upsert)).execute(params)
        .compose(ignored -> conn.preparedQuery(vendor.sql("SELECT " + COLUMNS + " FROM allowlist_images WHERE id = ?"))
            .execute(Tuple.of(id)))
        .map(rows -> entries(rows).get(0)));
  }

  /** Deletes the entry; false when there was none (the API answers 204 either way). */
  public Future<Boolean> delete(String id) {
    return query("DELETE FROM allowlist_images WHERE id = ?", Tuple.of(id)).map(rows -> rows.rowCount() > 0);
  }

  private Future<RowSet<Row>> query(String sql, Tuple params) {
    return db.pool().preparedQuery(vendor.sql(sql)).execute(params);
  }

  private List<AllowListEntry> entries(RowSet<Row> rows) {
    List<AllowListEntry> out = new ArrayList<>(rows.size());
    for (Row row : rows) {
      List<String> tags = new ArrayList<>();
      new JsonArray(row.getString("tags")).forEach(tag -> tags.add((String) tag));
      out.add(new AllowListEntry(row.getString("id"), row.getString("name"), List.copyOf(tags),
          vendor.instant(row, "created_at"), vendor.instant(row, "updated_at")));
    }
    return out;
  }
}
