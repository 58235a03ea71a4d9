package dev.tugboat.transfer;

import dev.tugboat.db.Database;
import dev.tugboat.db.Leases;
import dev.tugboat.db.Vendor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Transfer jobs in the database. Only the lease owner writes a claimed job; the state, the progress and
 * the outcome change together with the lease, so a node that lost its lease can change nothing.
 */
final class TransferStore {
  /*
   * request, progress and secrets are TEXT columns holding JSON; these bound what a job's fields may put there
   * (checked at the door by TransferRequest) and keep a row well within MySQL's limits.
   */
  static final int ENDPOINT_MAX = 2048;
  /** A repository name, as registries limit it. */
  static final int IMAGE_MAX = 255;
  /** A tag (128) or a digest (sha512:<128 hex>). */
  static final int REFERENCE_MAX = 135;
  static final int ISSUER_MAX = 255;
  static final int TARGETS_MAX = 100;
  /** URLs, tokens, passwords, header names and values of a job's auth (sealed into secrets). */
  static final int AUTH_TEXT_MAX = 8192;
  /** last_error is TEXT: 65,535 bytes on MySQL, so at most 4,000 characters of 4 bytes each, whatever they are. */
  static final int ERROR_MAX = 4000;

  private final Database db;
  /**
   * What the API shows, with the owner of a live lease ({@code holder}: the job's node); the sealed
   * {@code secrets} are read only by the node that claims the job.
   */
  private final String columns;
  private final String claimColumns;
  private final Vendor vendor;
  private final Leases leases;

  TransferStore(Database db) {
    this.db = db;
    this.vendor = db.vendor();
    this.columns = "id, state, request, progress, attempts, max_attempts, takeovers, last_error, cancelled, created_at,"
        + " finished_at, CASE WHEN lease_until >= " + vendor.now() + " THEN lease_owner END AS holder";
    this.claimColumns = columns + ", secrets";
    this.leases = new Leases(db, "transfer_jobs", "state IN ('QUEUED', 'RUNNING') AND next_attempt_at <= "
        + vendor.now(), "next_attempt_at");
  }

  Future<Void> insert(String id, JsonObject request, String secrets, JsonObject progress, int maxAttempts, Instant now) {
    Object ts = vendor.timestamp(now);
    return db.pool().preparedQuery(vendor.sql("INSERT INTO transfer_jobs (id, state, request, secrets, progress,"
            + " max_attempts, created_at, next_attempt_at) VALUES (?, 'QUEUED', ?, ?, ?, ?, ?, ?)"))
        .execute(Tuple.from(new Object[] {id, request.encode(), secrets, progress.encode(), maxAttempts, ts, ts}))
        .mapEmpty();
  }

  Future<Optional<TransferJob>> get(String id) {
    return db.pool().preparedQuery(vendor.sql("SELECT " + columns + " FROM transfer_jobs WHERE id = ?"))
        .execute(Tuple.of(id)).map(rows -> {
          var it = rows.iterator();
          return it.hasNext() ? Optional.of(job(it.next())) : Optional.<TransferJob>empty();
        });
  }

  /** Newest first, optionally only one state. */
  Future<List<TransferJob>> list(String state, int limit) {
    String where = state == null ? "" : " WHERE state = ?";
    Tuple params = state == null ? Tuple.tuple() : Tuple.of(state);
    return db.pool().preparedQuery(vendor.sql("SELECT " + columns + " FROM transfer_jobs" + where
            + " ORDER BY created_at DESC, id LIMIT " + limit))
        .execute(params).map(rows -> {
          List<TransferJob> out = new ArrayList<>();
          rows.forEach(row -> out.add(job(row)));
          return out;
        });
  }

  /**
   * Claims up to {@code limit} runnable jobs, each becoming RUNNING. A QUEUED job starts its next attempt (never
   * beyond max_attempts); a RUNNING one lost its node (lease expired): that is a takeover, not a new attempt.
   * The state is assigned last because MySQL evaluates assignments left to right (PostgreSQL reads the old row).
   */
  Future<List<TransferJob>> claim(String owner, Duration ttl, int limit) {
    return leases.claimRows(owner, ttl, limit,
        "takeovers = CASE WHEN state = 'RUNNING' THEN takeovers + 1 ELSE takeovers END,"
            + " attempts = CASE WHEN state = 'RUNNING' THEN attempts ELSE LEAST(attempts + 1, max_attempts) END,"
            + " state = 'RUNNING'", claimColumns)
        .map(rows -> rows.stream().map(this::job).toList());
  }

  Future<Boolean> renew(String id, String owner, Duration ttl) {
    return leases.renew(id, owner, ttl);
  }

  /** Saves progress while the lease is held; answers whether a cancel was asked for (empty: the lease is gone). */
  Future<Optional<Boolean>> saveProgress(String id, String owner, JsonObject progress) {
    return db.pool().preparedQuery(vendor.sql("UPDATE transfer_jobs SET progress = ? WHERE id = ? AND lease_owner = ?"))
        .execute(Tuple.of(encode(progress), id, owner))
        .compose(updated -> updated.rowCount() == 0 ? Future.succeededFuture(Optional.<Boolean>empty())
            : db.pool().preparedQuery(vendor.sql("SELECT cancelled FROM transfer_jobs WHERE id = ?"))
                .execute(Tuple.of(id)).map(rows -> Optional.of(vendor.bool(rows.iterator().next(), "cancelled"))));
  }

  /** FINISHED or FAILED for good: the credentials are dropped with the lease. */
  Future<Boolean> finish(String id, String owner, String state, String error, JsonObject progress) {
    return db.pool().preparedQuery(vendor.sql("UPDATE transfer_jobs SET state = ?, last_error = ?, progress = ?,"
            + " secrets = NULL, finished_at = " + vendor.now() + ", lease_owner = NULL, lease_until = NULL"
            + " WHERE id = ? AND lease_owner = ?"))
        .execute(Tuple.of(state, storable(error), encode(progress), id, owner)).map(rows -> rows.rowCount() == 1);
  }

  /**
   * Back to QUEUED after a failed attempt, to be claimed again after {@code delay}; a job cancelled meanwhile
   * ends FAILED (cancelled) instead.
   */
  Future<Boolean> retry(String id, String owner, String error, JsonObject progress, Duration delay) {
    return db.pool().preparedQuery(vendor.sql("UPDATE transfer_jobs SET"
            + " state = CASE WHEN cancelled THEN 'FAILED' ELSE 'QUEUED' END,"
            + " last_error = CASE WHEN cancelled THEN 'cancelled' ELSE ? END, progress = ?,"
            + " secrets = CASE WHEN cancelled THEN NULL ELSE secrets END,"
            + " finished_at = CASE WHEN cancelled THEN " + vendor.now() + " ELSE NULL END,"
            + " next_attempt_at = " + vendor.nowPlusMillisParam() + ", lease_owner = NULL, lease_until = NULL"
            + " WHERE id = ? AND lease_owner = ?"))
        .execute(Tuple.of(storable(error), encode(progress), delay.toMillis(), id, owner))
        .map(rows -> rows.rowCount() == 1);
  }

  /**
   * Cancels a job: one nobody works on ends FAILED (cancelled) at once; a running one is flagged and its
   * worker stops at its next progress save. False when the job was already over.
   */
  Future<Boolean> cancel(String id) {
    return db.pool().preparedQuery(vendor.sql("UPDATE transfer_jobs SET state = 'FAILED', cancelled = " + bool(true)
            + ", last_error = 'cancelled', secrets = NULL, finished_at = " + vendor.now() + " WHERE id = ?"
            + " AND state IN ('QUEUED', 'RUNNING') AND (lease_until IS NULL OR lease_until < " + vendor.now() + ")"))
        .execute(Tuple.of(id))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture(true)
            : db.pool().preparedQuery(vendor.sql("UPDATE transfer_jobs SET cancelled = " + bool(true)
                + " WHERE id = ? AND state IN ('QUEUED', 'RUNNING')")).execute(Tuple.of(id))
                .map(flagged -> flagged.rowCount() == 1));
  }

  /**
   * The key job credentials are sealed with when none is configured: the first node to start stores a
   * random one and every node reads it back, so any node can resume any job.
   */
  Future<String> sharedKey() {
    return vendor.insertIfAbsent(db.pool(), "INSERT INTO transfer_keys (id, secret) VALUES ('secrets', ?)",
            Tuple.of(SecretBox.newKey()))
        .compose(v -> db.pool().query("SELECT secret FROM transfer_keys WHERE id = 'secrets'").execute())
        .map(rows -> rows.iterator().next().getString("secret"));
  }

  private String bool(boolean value) {
    return vendor == Vendor.POSTGRESQL ? String.valueOf(value).toUpperCase() : value ? "1" : "0";
  }

  /**
   * Any error text as the store writes it (the job's and each target's): characters neither database can store
   * or that are not text (NUL, other controls, unpaired surrogates) become U+FFFD, and it is cut to
   * {@link #ERROR_MAX} code points, so an outcome is never refused for its text.
   */
  static String storable(String text) {
    if (text == null) {
      return null;
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), ERROR_MAX + 1));
    int count = 0;
    for (int i = 0; i < text.length(); i++) {
      if (count == ERROR_MAX - 1 && text.codePointCount(i, text.length()) > 1) {
        out.append('\u2026'); // cut: an ellipsis says so
        break;
      }
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.append(c).append(text.charAt(++i));
      } else if (Character.isSurrogate(c) || c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f) {
        out.append('\uFFFD');
      } else {
        out.append(c);
      }
      count++;
    }
    return out.toString();
  }

  /** The progress as stored: each target's error text made {@link #storable}. */
  private static String encode(JsonObject progress) {
    JsonObject copy = progress.copy();
    for (Object t : copy.getJsonArray("targets", new io.vertx.core.json.JsonArray())) {
      if (t instanceof JsonObject target && target.getValue("last_error") instanceof String error) {
        target.put("last_error", storable(error));
      }
    }
    return copy.encode();
  }

  private TransferJob job(Row row) {
    return new TransferJob(row.getString("id"), row.getString("state"), new JsonObject(row.getString("request")),
        row.getColumnIndex("secrets") < 0 ? null : row.getString("secrets"), new JsonObject(row.getString("progress")), row.getInteger("attempts"),
        row.getInteger("max_attempts"), row.getInteger("takeovers"), row.getString("last_error"), vendor.bool(row, "cancelled"),
        vendor.instant(row, "created_at"), vendor.instant(row, "finished_at"),
        row.getString("holder") == null ? null : Leases.nodeOf(row.getString("holder")));
  }
}
