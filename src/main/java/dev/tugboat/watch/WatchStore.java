package dev.tugboat.watch;

import dev.tugboat.db.Database;
import dev.tugboat.db.Leases;
import dev.tugboat.db.Vendor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** The watch_repos table: watched repositories, their pin/auto_deploy, last check and deployed state. */
public final class WatchStore {
  // the columns' lengths (V4/V6), checked at the door by WatchDefinition on both vendors alike
  public static final int NAME_MAX = 255;
  public static final int REGISTRY_MAX = 255;
  public static final int REPOSITORY_MAX = 255;
  public static final int JOB_MAX = 255;
  public static final int POLICY_MAX = 512;
  public static final int NAMESPACE_MAX = dev.tugboat.deploy.NomadNames.MAX;
  /** pinned_tag, seen_tag, deployed_tag and running_tag: a tag's own limit in the distribution spec. */
  public static final int TAG_MAX = 128;
  /** nomad_tasks is a JSON list in a TEXT column (64 KiB on MySQL): at most TASKS_MAX names of TASK_MAX. */
  public static final int TASKS_MAX = 32;
  public static final int TASK_MAX = 255;
  /** running_image: what Nomad reports, shortened to fit. */
  public static final int RUNNING_IMAGE_MAX = 1024;

  private static final String COLUMNS = "id, registry, repository, nomad_job, nomad_tasks, policy, source, pinned_tag,"
      + " auto_deploy, seen_tags, seen_tag, seen_digest, deployed_tag, deployed_digest, failures, failed_target,"
      + " retry_after, checks, checked_at, last_error, nomad_namespace, running, drift";

  private final Database db;
  private final Vendor vendor;
  private final Leases leases;

  public WatchStore(Database db) {
    this.db = db;
    this.vendor = db.vendor();
    this.leases = new Leases(db, "watch_repos", "next_check_at <= " + vendor.now(), "next_check_at");
  }

  /**
   * Makes the table hold the configured repositories: new ones are added (pin "", auto_deploy on, checked at
   * once), known ones get the configured registry/job/tasks/policy (their state stays), configured ones no
   * longer in the configuration are removed. Repositories added through the API are left alone.
   */
  public Future<Void> syncConfigured(List<WatchDefinition> configured) {
    return db.inTransaction(conn -> {
      Future<?> chain = Future.succeededFuture();
      for (WatchDefinition r : configured) {
        chain = chain.compose(v -> insert(conn, r, "config"))
            .compose(inserted -> conn.preparedQuery(vendor.sql("UPDATE watch_repos SET registry = ?, repository = ?,"
                    + " nomad_job = ?, nomad_tasks = ?, policy = ?, nomad_namespace = ?, source = 'config' WHERE id = ?"))
                .execute(Tuple.of(r.registry(), r.repository(), r.job(), new JsonArray(r.tasks()).encode(), r.policy(),
                    r.namespace(), r.name())));
      }
      List<String> names = configured.stream().map(WatchDefinition::name).toList();
      String keep = names.isEmpty() ? "" : " AND id NOT IN (" + String.join(",", Collections.nCopies(names.size(), "?"))
          + ")";
      return chain.compose(v -> conn.preparedQuery(vendor.sql("DELETE FROM watch_repos WHERE source = 'config'" + keep))
          .execute(Tuple.from(names))).mapEmpty();
    });
  }

  /** Adds a repository from the API; false when the name is already watched. */
  public Future<Boolean> add(WatchDefinition watch) {
    return insert(db.pool(), watch, "api");
  }

  private Future<Boolean> insert(SqlClient client, WatchDefinition w, String source) {
    String columns = "(id, registry, repository, nomad_job, nomad_tasks, policy, source, pinned_tag, auto_deploy,"
        + " seen_tags, nomad_namespace, next_check_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, '[]', ?, "
        + vendor.now() + ", " + vendor.now() + ")";
    return vendor.insertIfAbsent(client, "INSERT INTO watch_repos " + columns,
        Tuple.of(w.name(), w.registry(), w.repository(), w.job(), new JsonArray(w.tasks()).encode(), w.policy(),
            source, true).addString(w.namespace()));
  }

  public Future<Boolean> remove(String name) {
    return update("DELETE FROM watch_repos WHERE id = ?", Tuple.of(name));
  }

  public Future<Optional<WatchedRepo>> get(String name) {
    return db.pool().preparedQuery(vendor.sql("SELECT " + COLUMNS + " FROM watch_repos WHERE id = ?"))
        .execute(Tuple.of(name)).map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(map(rows.iterator().next())));
  }

  public Future<List<WatchedRepo>> list() {
    return db.pool().query("SELECT " + COLUMNS + " FROM watch_repos ORDER BY id").execute().map(this::mapAll);
  }

  /** Extends the leases of every check {@code owner} has in progress. */
  public Future<Integer> renew(String owner, Duration ttl) {
    return leases.renewAll(owner, ttl);
  }

  /** Claims due repositories (next_check_at passed) for one check each. */
  public Future<List<WatchedRepo>> claimDue(String owner, Duration ttl, int limit) {
    return leases.claimRows(owner, ttl, limit, null, COLUMNS).map(this::mapAll);
  }

  /** One check's outcome, as {@link #recordChecks} writes it. */
  public record Check(String name, List<String> tags, Decision decision, Running running, String error) {}

  /**
   * Records a batch of checks in one statement and gives their rows back until {@code nextCheckIn}: what the
   * registry and Nomad showed, and the drift. A {@code BASELINE} decision makes its target the deployed state (the
   * first check, or Nomad already running the desired image). Rows whose lease {@code owner} lost are left alone.
   */
  public Future<Void> recordChecks(String owner, List<Check> checks, Duration nextCheckIn) {
    if (checks.isEmpty()) {
      return Future.succeededFuture();
    }
    boolean pg = vendor == Vendor.POSTGRESQL;
    String t = pg ? "" : "w."; // PostgreSQL refuses a qualified SET target, MySQL an ambiguous one
    // base_tag/base_digest: the baseline's target, else NULL (the deployed state stays)
    String set = " SET " + t + "seen_tags = v.seen_tags, " + t + "seen_tag = v.seen_tag, " + t + "seen_digest ="
        + " v.seen_digest, " + t + "last_error = v.last_error, " + t + "running = v.running, " + t + "running_at = "
        + vendor.now() + ", " + t + "drift = v.drift, " + t + "checks = w.checks + 1, " + t + "checked_at = "
        + vendor.now() + ", " + t + "deployed_tag = COALESCE(v.base_tag, w.deployed_tag), " + t + "deployed_digest ="
        + " COALESCE(v.base_digest, w.deployed_digest), " + t + "failures = CASE WHEN v.base_tag IS NULL THEN"
        + " w.failures ELSE 0 END, " + t + "failed_target = CASE WHEN v.base_tag IS NULL THEN w.failed_target END, "
        + t + "retry_after = CASE WHEN v.base_tag IS NULL THEN w.retry_after END, " + t + "next_check_at = "
        + vendor.nowPlusMillisParam() + ", " + t + "lease_owner = NULL, " + t + "lease_until = NULL";
    Tuple params = Tuple.tuple();
    if (pg) {
      params.addLong(nextCheckIn.toMillis());
    }
    List<String> rows = new ArrayList<>();
    for (Check c : checks) {
      boolean baseline = c.decision().action() == Decision.Action.BASELINE;
      params.addString(c.name()).addString(new JsonArray(c.tags()).encode()).addString(c.decision().tag())
          .addString(c.decision().digest()).addString(c.error()).addString(c.running().toJson().encode())
          .addBoolean(c.decision().drift()).addString(baseline ? c.decision().tag() : null)
          .addString(baseline ? c.decision().digest() : null);
      rows.add(pg ? "(?, ?, ?, ?, ?, ?, CAST(? AS BOOLEAN), ?, ?)" : rows.isEmpty()
          ? "SELECT ? AS id, ? AS seen_tags, ? AS seen_tag, ? AS seen_digest, ? AS last_error, ? AS running,"
              + " ? AS drift, ? AS base_tag, ? AS base_digest" : "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?");
    }
    String sql;
    if (pg) {
      sql = "UPDATE watch_repos AS w" + set + " FROM (VALUES " + String.join(", ", rows) + ") AS v(id, seen_tags,"
          + " seen_tag, seen_digest, last_error, running, drift, base_tag, base_digest)"
          + " WHERE w.id = v.id AND w.lease_owner = ?";
    } else {
      params.addLong(nextCheckIn.toMillis());
      sql = "UPDATE watch_repos w JOIN (" + String.join(" UNION ALL ", rows) + ") v ON w.id = v.id" + set
          + " WHERE w.lease_owner = ?";
    }
    return db.pool().preparedQuery(vendor.sql(sql)).execute(params.addString(owner)).mapEmpty();
  }

  /**
   * What a route just read from the registry (the live tags, the tag it deploys and its digest), so {@code /repos}
   * and {@code /debug/caches} show it at once, as registrywatcher's caches did, not after the next poll.
   */
  public Future<Void> recordSeen(String name, List<String> tags, String tag, String digest) {
    return update("UPDATE watch_repos SET seen_tags = ?, seen_tag = ?, seen_digest = ? WHERE id = ?",
        Tuple.of(new JsonArray(tags).encode(), tag, digest, name)).mapEmpty();
  }

  /** Gives a claimed row back without a check (the check failed before it could be recorded). */
  public Future<Void> postpone(String name, String owner, String error, Duration nextCheckIn) {
    return db.pool().preparedQuery(vendor.sql("UPDATE watch_repos SET last_error = ?, next_check_at = "
            + vendor.nowPlusMillisParam() + ", lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?"))
        .execute(Tuple.of(error, nextCheckIn.toMillis(), name, owner)).mapEmpty();
  }

  /** Makes the repository due now (webhook push, toggles, new watch). */
  public Future<Boolean> checkNow(String name) {
    return update("UPDATE watch_repos SET next_check_at = " + vendor.now() + " WHERE id = ?", Tuple.of(name));
  }

  /** Makes every watch of this image due now; how many there were. */
  public Future<Integer> checkNow(String registry, String repository) {
    return db.pool().preparedQuery(vendor.sql("UPDATE watch_repos SET next_check_at = " + vendor.now()
            + " WHERE registry = ? AND repository = ?")).execute(Tuple.of(registry, repository))
        .map(RowSet::rowCount);
  }

  public Future<Boolean> setAutoDeploy(String name, boolean on) {
    return update("UPDATE watch_repos SET auto_deploy = ? WHERE id = ?", Tuple.of(on, name));
  }

  public Future<Boolean> setPinnedTag(String name, String tag) {
    return update("UPDATE watch_repos SET pinned_tag = ? WHERE id = ?", Tuple.of(tag, name));
  }

  /**
   * A deployment of tag@digest succeeded: it is the deployed state, failures and drift are forgotten, and the
   * watch is due now, so what Nomad runs after the deployment is read at once.
   */
  public Future<Void> deployed(String name, String tag, String digest) {
    return update("UPDATE watch_repos SET deployed_tag = ?, deployed_digest = ?, failures = 0, failed_target = NULL,"
        + " retry_after = NULL, drift = ?, next_check_at = " + vendor.now() + " WHERE id = ?",
        Tuple.of(tag, digest, false, name)).mapEmpty();
  }

  /** A deployment of {@code target} failed: it is retried automatically after {@code backoff}; checked again now. */
  public Future<Void> failed(String name, String target, Duration backoff) {
    return update("UPDATE watch_repos SET failures = failures + 1, failed_target = ?, retry_after = "
        + vendor.nowPlusMillisParam() + ", next_check_at = " + vendor.now() + " WHERE id = ?",
        Tuple.of(target, backoff.toMillis(), name)).mapEmpty();
  }

  private Future<Boolean> update(String sql, Tuple params) {
    return db.pool().preparedQuery(vendor.sql(sql)).execute(params).map(rows -> rows.rowCount() >= 1);
  }

  private List<WatchedRepo> mapAll(Iterable<Row> rows) {
    List<WatchedRepo> out = new ArrayList<>();
    rows.forEach(row -> out.add(map(row)));
    return out;
  }

  private WatchedRepo map(Row row) {
    List<String> tasks = new ArrayList<>();
    new JsonArray(row.getString("nomad_tasks")).forEach(t -> tasks.add(String.valueOf(t)));
    List<String> seen = new ArrayList<>();
    new JsonArray(row.getString("seen_tags")).forEach(t -> seen.add(String.valueOf(t)));
    return new WatchedRepo(row.getString("id"), row.getString("registry"), row.getString("repository"),
        row.getString("nomad_job"), List.copyOf(tasks), row.getString("policy"), row.getString("source"),
        row.getString("pinned_tag"), vendor.bool(row, "auto_deploy"), List.copyOf(seen), row.getString("seen_tag"),
        row.getString("seen_digest"), row.getString("deployed_tag"), row.getString("deployed_digest"),
        row.getInteger("failures"), row.getString("failed_target"), vendor.instant(row, "retry_after"),
        row.getLong("checks"), vendor.instant(row, "checked_at"), row.getString("last_error"),
        row.getString("nomad_namespace"),
        row.getString("running") == null ? null : Running.fromJson(new JsonObject(row.getString("running"))),
        vendor.bool(row, "drift"));
  }
}
