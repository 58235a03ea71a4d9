package dev.tugboat.allowlist;

import dev.tugboat.db.Database;
import dev.tugboat.db.Vendor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The allow-list table and its change log. Times are written by this node (microsecond precision, UTC), as
 * imagelist did. Every write takes the next version of the list ({@code allowlist_version}) and logs it
 * ({@code allowlist_changes}) in its own transaction, so nodes can bring their copy up to date ({@link AllowListSync}).
 */
public final class AllowListStore {
  /** Length of {@code allowlist_images.id} (V1__allowlist.sql), in characters on both vendors. */
  public static final int ID_LENGTH = 512;
  /** Length of {@code allowlist_images.name} and of {@code name_key}, the normalised name. */
  public static final int NAME_LENGTH = 512;

  /** Changes kept in {@code allowlist_changes}: a node further behind loads the whole list again. */
  static final long KEEP = 10_000;

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

  /** The whole list and the version it is at, read at one moment (one statement). */
  public record Snapshot(long version, List<AllowListEntry> entries) {}

  /** A write of version {@code version} to entry {@code id}; {@code entry} is its state now, null when it is gone. */
  public record Change(long version, String id, AllowListEntry entry) {}

  /** An upsert's stored entry, or a delete's result, and the version the write took. */
  public record Written<T>(T result, long version) {}

  public Future<Snapshot> snapshot() {
    return db.pool().query("SELECT v.version, i.id, i.name, i.tags, i.created_at, i.updated_at FROM allowlist_version v"
        + " LEFT JOIN allowlist_images i ON 1 = 1 WHERE v.id = 1").execute().map(rows -> {
          long version = 0;
          List<AllowListEntry> entries = new ArrayList<>(rows.size());
          for (Row row : rows) {
            version = row.getLong("version");
            if (row.getString("id") != null) {
              entries.add(entry(row));
            }
          }
          return new Snapshot(version, entries);
        });
  }

  /**
   * At most {@code limit} writes after {@code version}, oldest first, each with its entry's state now (one
   * statement, so the states are those of the newest change read). The first is {@code version + 1} unless the
   * changes in between were pruned ({@link #KEEP} are kept).
   */
  public Future<List<Change>> changesAfter(long version, int limit) {
    return query("SELECT c.version, c.id AS changed, i.id, i.name, i.tags, i.created_at, i.updated_at"
        + " FROM allowlist_changes c LEFT JOIN allowlist_images i ON i.id = c.id WHERE c.version > ?"
        + " ORDER BY c.version LIMIT " + limit, Tuple.of(version)).map(rows -> {
          List<Change> changes = new ArrayList<>(rows.size());
          for (Row row : rows) {
            changes.add(new Change(row.getLong("version"), row.getString("changed"),
                row.getString("id") == null ? null : entry(row)));
          }
          return changes;
        });
  }

  /**
   * imagelist's upsert: a new id is inserted; an existing one only gets its tags replaced (when
   * {@code tags} is not null) and {@code updated_at} bumped; its name and created_at stay.
   */
  public Future<Written<AllowListEntry>> upsert(String id, String name, String nameKey, List<String> tags) {
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
    return db.inTransaction(conn -> nextVersion(conn, id).compose(version -> conn.preparedQuery(vendor.sql(upsert))
        .execute(params)
        .compose(ignored -> conn.preparedQuery(vendor.sql("SELECT " + COLUMNS + " FROM allowlist_images WHERE id = ?"))
            .execute(Tuple.of(id)))
        .map(rows -> new Written<>(entries(rows).get(0), version))));
  }

  /** Deletes the entry; false when there was none (the API answers 204 either way). */
  public Future<Written<Boolean>> delete(String id) {
    return db.inTransaction(conn -> nextVersion(conn, id).compose(version -> conn.preparedQuery(vendor.sql(
        "DELETE FROM allowlist_images WHERE id = ?")).execute(Tuple.of(id))
        .map(rows -> new Written<>(rows.rowCount() > 0, version))));
  }

  /**
   * Takes the next version for a write to {@code id} and logs the change, in the write's transaction. The version
   * row is locked first by every writer, so writes are serialised in version order (and never deadlock each
   * other); every hundredth write prunes the changes older than the last {@link #KEEP}.
   */
  private Future<Long> nextVersion(SqlConnection conn, String id) {
    String bump = "UPDATE allowlist_version SET version = version + 1 WHERE id = 1";
    Future<Long> next = vendor == Vendor.POSTGRESQL
        ? conn.query(bump + " RETURNING version").execute().map(rows -> rows.iterator().next().getLong(0))
        : conn.query(bump).execute().compose(v -> conn.query("SELECT version FROM allowlist_version WHERE id = 1")
            .execute()).map(rows -> rows.iterator().next().getLong(0));
    return next.compose(version -> conn.preparedQuery(vendor.sql("INSERT INTO allowlist_changes (version, id)"
            + " VALUES (?, ?)")).execute(Tuple.of(version, id))
        .compose(v -> version % 100 != 0 || version <= KEEP ? Future.succeededFuture()
            : conn.preparedQuery(vendor.sql("DELETE FROM allowlist_changes WHERE version <= ?"))
                .execute(Tuple.of(version - KEEP)).mapEmpty())
        .map(v -> version));
  }

  private Future<RowSet<Row>> query(String sql, Tuple params) {
    return db.pool().preparedQuery(vendor.sql(sql)).execute(params);
  }

  private List<AllowListEntry> entries(RowSet<Row> rows) {
    List<AllowListEntry> out = new ArrayList<>(rows.size());
    for (Row row : rows) {
      out.add(entry(row));
    }
    return out;
  }

  private AllowListEntry entry(Row row) {
    List<String> tags = new ArrayList<>();
    new JsonArray(row.getString("tags")).forEach(tag -> tags.add((String) tag));
    return new AllowListEntry(row.getString("id"), row.getString("name"), List.copyOf(tags),
        vendor.instant(row, "created_at"), vendor.instant(row, "updated_at"));
  }
}
