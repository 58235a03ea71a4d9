package dev.tugboat.transfer;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's progress per target, as stored with the job and shown by the API. Targets that reached
 * FINISHED or SKIPPED stay so across attempts and nodes; the others are worked again on the next attempt.
 * Mutated on the event loop of the job's worker only.
 */
final class Progress {
  enum State { PENDING, COPYING, FINISHED, SKIPPED, FAILED }

  /** One target's share of the job. */
  static final class Target {
    final String endpoint;
    State state = State.PENDING;
    long bytesDone;
    long bytesTotal;
    int blobs;
    int blobsPresent;
    int blobsMounted;
    String currentBlob;
    int attempts;
    String lastError;

    Target(String endpoint) {
      this.endpoint = endpoint;
    }

    boolean done() {
      return state == State.FINISHED || state == State.SKIPPED;
    }

    boolean copying() {
      return state == State.COPYING;
    }

    // what happened to the target, as the copy says it; the counters describe the current attempt

    /** Worked on in attempt {@code attempt}: the counters restart (a resumed copy shows what it had left to do). */
    void started(int attempt) {
      state = State.COPYING;
      attempts = attempt;
      lastError = null;
      bytesDone = 0;
      bytesTotal = 0;
      blobs = 0;
      blobsPresent = 0;
      blobsMounted = 0;
    }

    /** The reference is there already and may not be overwritten. */
    void skipped() {
      state = State.SKIPPED;
    }

    /** The image has {@code count} blobs. */
    void blobs(int count) {
      blobs = count;
    }

    /** A blob the target already has. */
    void present() {
      blobsPresent++;
    }

    /** A blob mounted from the source repository (same registry). */
    void mounted() {
      blobsMounted++;
    }

    /** A blob of {@code size} bytes that must be streamed. */
    void missing(long size) {
      bytesTotal += size;
    }

    /** The blob being uploaded now. */
    void uploading(String digest) {
      currentBlob = digest;
    }

    /** {@code n} more bytes of the current upload handed to the target. */
    void sent(long n) {
      bytesDone += n;
    }

    /** An upload failed after {@code n} bytes: they will be sent again. */
    void unsent(long n) {
      bytesDone -= n;
    }

    /** Every blob and manifest is there. */
    void finished() {
      state = State.FINISHED;
      currentBlob = null;
    }

    /** Gave up on this target in this attempt, with why. */
    void failed(Throwable e) {
      state = State.FAILED;
      lastError = String.valueOf(e.getMessage());
    }

    JsonObject toJson() {
      return new JsonObject().put("endpoint", endpoint).put("state", state.name()).put("bytes_done", bytesDone)
          .put("bytes_total", bytesTotal).put("blobs", blobs).put("blobs_present", blobsPresent)
          .put("blobs_mounted", blobsMounted).put("current_blob", currentBlob).put("attempts", attempts)
          .put("last_error", lastError);
    }

    static Target fromJson(JsonObject json) {
      Target t = new Target(json.getString("endpoint"));
      t.state = State.valueOf(json.getString("state", "PENDING"));
      t.bytesDone = json.getLong("bytes_done", 0L);
      t.bytesTotal = json.getLong("bytes_total", 0L);
      t.blobs = json.getInteger("blobs", 0);
      t.blobsPresent = json.getInteger("blobs_present", 0);
      t.blobsMounted = json.getInteger("blobs_mounted", 0);
      t.currentBlob = json.getString("current_blob");
      t.attempts = json.getInteger("attempts", 0);
      t.lastError = json.getString("last_error");
      return t;
    }
  }

  final List<Target> targets;
  String digest;

  Progress(List<Target> targets) {
    this.targets = targets;
  }

  static Progress start(List<String> endpoints) {
    List<Target> targets = new ArrayList<>();
    endpoints.forEach(endpoint -> targets.add(new Target(endpoint)));
    return new Progress(targets);
  }

  Target target(String endpoint) {
    return targets.stream().filter(t -> t.endpoint.equals(endpoint)).findFirst().orElseThrow();
  }

  boolean allDone() {
    return targets.stream().allMatch(Target::done);
  }

  List<String> endpoints(State state) {
    return targets.stream().filter(t -> t.state == state).map(t -> t.endpoint).distinct().toList();
  }

  /** The failed targets and why, for the job's error message. */
  String failures() {
    List<String> out = new ArrayList<>();
    targets.stream().filter(t -> t.state == State.FAILED).forEach(t -> out.add(t.endpoint + ": " + t.lastError));
    return String.join("; ", out);
  }

  JsonObject toJson() {
    JsonArray list = new JsonArray();
    targets.forEach(t -> list.add(t.toJson()));
    return new JsonObject().put("digest", digest).put("targets", list);
  }

  static Progress fromJson(JsonObject json) {
    List<Target> targets = new ArrayList<>();
    json.getJsonArray("targets", new JsonArray()).forEach(t -> targets.add(Target.fromJson((JsonObject) t)));
    Progress p = new Progress(targets);
    p.digest = json.getString("digest");
    return p;
  }
}
