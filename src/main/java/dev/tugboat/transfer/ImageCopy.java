package dev.tugboat.transfer;

import dev.tugboat.registry.Descriptor;
import dev.tugboat.registry.Manifest;
import dev.tugboat.registry.VerifyingStream;
import dev.tugboat.transfer.Progress.State;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One attempt at copying an image to several targets (the engine behind jobs and {@code tugboat copy}).
 * Targets already done are left alone; for the others the manifest is checked ({@code overwrite}), every
 * blob is HEADed, present blobs are skipped, same-registry blobs are mounted, and each missing blob is read
 * from the source once and streamed to all targets needing it at the same time ({@link FanOut}),
 * {@code parallelBlobs} blobs at a time. A failing upload is cancelled and retried for that target only;
 * a target whose blob keeps failing is marked FAILED and the others go on. Manifests follow their blobs,
 * children before the index, byte for byte. The returned future fails only when the source itself cannot
 * be read; per-target outcomes are in {@link Progress}.
 */
final class ImageCopy {
  static final int BLOB_ATTEMPTS = 3;

  /** Tuning, from {@code transfer.*}. */
  record Options(int parallelBlobs, long chunkSize) {}

  private final Vertx vertx;
  private final CopySource source;
  private final List<CopyTarget> targets;
  private final Progress progress;
  private final Options options;
  private final Runnable changed;
  private final Set<VerifyingStream> reading = new HashSet<>();
  private Throwable cancelled;

  ImageCopy(Vertx vertx, CopySource source, List<CopyTarget> targets, Progress progress, Options options,
            Runnable changed) {
    this.vertx = vertx;
    this.source = source;
    this.targets = targets;
    this.progress = progress;
    this.options = options;
    this.changed = changed;
  }

  /** Stops the copy as soon as possible: running downloads are reset, nothing new starts. */
  void cancel(Throwable reason) {
    if (cancelled == null) {
      cancelled = reason;
      List.copyOf(reading).forEach(VerifyingStream::cancel);
    }
  }

  /**
   * Runs the copy as attempt number {@code attempt} of its job: each target worked on shows that number (a job's
   * open targets are worked on in every attempt, and a takeover resumes the same attempt).
   */
  Future<Void> run(int attempt) {
    List<CopyTarget> open = targets.stream().filter(t -> !progress.target(t.label()).done()).toList();
    return CopyPlan.resolve(source).compose(plan -> {
      progress.digest = plan.top().digest();
      open.forEach(t -> {
        Progress.Target p = progress.target(t.label());
        p.state = State.COPYING;
        p.attempts = attempt;
        p.lastError = null;
        p.bytesDone = 0; // the counters describe this attempt: a resumed copy shows what it had left to do
        p.bytesTotal = 0;
        p.blobsPresent = 0;
        p.blobsMounted = 0;
      });
      changed.run();
      return all(open, target -> prepare(plan, target)).compose(needs -> copyBlobs(open, needs))
          .compose(v -> cancelled != null ? Future.failedFuture(cancelled)
              : all(live(open), target -> pushManifests(plan, target)))
          .map(v -> null);
    });
  }

  private List<CopyTarget> live(List<CopyTarget> list) {
    return list.stream().filter(t -> progress.target(t.label()).state == State.COPYING).toList();
  }

  /** Per target: skipped (reference present, no overwrite), or the blobs it lacks after HEADs and mounts. */
  private Future<List<Descriptor>> prepare(CopyPlan plan, CopyTarget target) {
    Progress.Target p = progress.target(target.label());
    Future<Boolean> skip = target.overwrite() ? Future.succeededFuture(false)
        : target.client().headManifest(target.repo(), target.reference()).map(Optional::isPresent);
    return skip.compose(present -> {
      if (present) {
        p.state = State.SKIPPED;
        changed.run();
        return Future.succeededFuture(List.<Descriptor>of());
      }
      p.blobs = plan.blobs().size();
      return all(plan.blobs(), blob -> missing(target, blob)).map(missing -> {
        List<Descriptor> out = new ArrayList<>();
        for (int i = 0; i < missing.size(); i++) {
          if (missing.get(i)) {
            out.add(plan.blobs().get(i));
            p.bytesTotal += plan.blobs().get(i).size();
          }
        }
        changed.run();
        return out;
      });
    }).recover(err -> {
      failTarget(target, err);
      return Future.succeededFuture(List.of());
    });
  }

  /** True when the blob must be streamed: not present and not mountable. */
  private Future<Boolean> missing(CopyTarget target, Descriptor blob) {
    Progress.Target p = progress.target(target.label());
    return target.client().blobSize(target.repo(), blob.digest()).compose(size -> {
      if (size.isPresent()) {
        p.blobsPresent++;
        return Future.succeededFuture(false);
      }
      if (!target.repo().registry().equals(source.repo().registry()) || target.repo().equals(source.repo())) {
        return Future.succeededFuture(true);
      }
      return target.client().mount(target.repo(), blob.digest(), source.repo()).compose(mount -> {
        if (mount.mounted()) {
          p.blobsMounted++;
          return Future.succeededFuture(false);
        }
        return target.client().cancelUpload(target.repo(), mount.uploadLocation()).map(true);
      });
    });
  }

  private Future<Void> copyBlobs(List<CopyTarget> open, List<List<Descriptor>> needs) {
    Map<String, Descriptor> blobs = new LinkedHashMap<>();
    Map<String, List<CopyTarget>> who = new LinkedHashMap<>();
    for (int i = 0; i < open.size(); i++) {
      for (Descriptor blob : needs.get(i)) {
        blobs.putIfAbsent(blob.digest(), blob);
        who.computeIfAbsent(blob.digest(), d -> new ArrayList<>()).add(open.get(i));
      }
    }
    List<Descriptor> queue = new ArrayList<>(blobs.values());
    queue.sort((a, b) -> Long.compare(b.size(), a.size()));
    int[] next = {0};
    List<Future<Void>> lanes = new ArrayList<>();
    for (int lane = 0; lane < Math.max(1, options.parallelBlobs()); lane++) {
      lanes.add(lane(queue, who, next));
    }
    return Future.join(lanes).mapEmpty();
  }

  /** Takes the next blob off the shared queue until none is left (one of {@code parallelBlobs} lanes). */
  private Future<Void> lane(List<Descriptor> queue, Map<String, List<CopyTarget>> who, int[] next) {
    if (next[0] >= queue.size() || cancelled != null) {
      return cancelled == null ? Future.succeededFuture() : Future.failedFuture(cancelled);
    }
    Descriptor blob = queue.get(next[0]++);
    return copyBlob(blob, who.get(blob.digest()), 1).compose(v -> lane(queue, who, next));
  }

  /** Streams one blob to the live targets among {@code wanting}; failed ones are retried alone. */
  private Future<Void> copyBlob(Descriptor blob, List<CopyTarget> wanting, int attempt) {
    List<CopyTarget> live = live(wanting);
    if (live.isEmpty()) {
      return Future.succeededFuture();
    }
    if (cancelled != null) {
      return Future.failedFuture(cancelled);
    }
    live.forEach(t -> progress.target(t.label()).currentBlob = blob.digest());
    List<Future<String>> starts = live.stream().map(t -> t.client().startUpload(t.repo())).toList();
    return Future.join(starts).transform(ignored -> {
          Map<CopyTarget, Throwable> failed = new LinkedHashMap<>();
          List<CopyTarget> ready = new ArrayList<>();
          List<String> locations = new ArrayList<>();
          for (int i = 0; i < live.size(); i++) {
            if (starts.get(i).succeeded()) {
              ready.add(live.get(i));
              locations.add(starts.get(i).result());
            } else {
              failed.put(live.get(i), starts.get(i).cause());
            }
          }
          if (ready.isEmpty()) {
            return Future.succeededFuture(failed);
          }
          return source.client().blob(source.repo(), blob.digest(), blob.size()).transform(opened -> {
            if (opened.failed()) {
              for (int i = 0; i < ready.size(); i++) {
                ready.get(i).client().cancelUpload(ready.get(i).repo(), locations.get(i));
                failed.put(ready.get(i), opened.cause());
              }
              return Future.succeededFuture(failed);
            }
            return stream(blob, opened.result(), ready, locations).map(more -> {
              failed.putAll(more);
              return failed;
            });
          });
        })
        .compose(failed -> {
          if (failed.isEmpty()) {
            return Future.succeededFuture();
          }
          List<CopyTarget> again = new ArrayList<>();
          failed.forEach((target, err) -> {
            if (attempt >= BLOB_ATTEMPTS || cancelled != null) {
              failTarget(target, err);
            } else {
              again.add(target);
            }
          });
          if (cancelled != null) {
            return Future.failedFuture(cancelled);
          }
          return again.isEmpty() ? Future.succeededFuture()
              : vertx.timer(250L * attempt).compose(v -> copyBlob(blob, again, attempt + 1));
        });
  }

  /** One read of the source feeding every target's upload; answers the targets that failed, with why. */
  private Future<Map<CopyTarget, Throwable>> stream(Descriptor blob, VerifyingStream content, List<CopyTarget> live,
                                                   List<String> locations) {
    reading.add(content);
    FanOut fanOut = new FanOut(content);
    List<Future<Void>> uploads = new ArrayList<>();
    for (int i = 0; i < live.size(); i++) {
      CopyTarget target = live.get(i);
      Progress.Target p = progress.target(target.label());
      long[] sent = {0};
      FanOut.Branch branch = fanOut.branch(n -> {
        sent[0] += n;
        p.bytesDone += n;
        changed.run(); // progress is saved every progressInterval while bytes move, not only per blob
      });
      Future<Void> upload = blob.size() > options.chunkSize()
          ? target.client().putBlobChunkedAt(target.repo(), locations.get(i), blob.digest(), blob.size(), branch,
              options.chunkSize())
          : target.client().putBlobAt(target.repo(), locations.get(i), blob.digest(), blob.size(), branch);
      uploads.add(upload.onFailure(err -> {
        fanOut.detach(branch);
        p.bytesDone -= sent[0];
      }));
    }
    fanOut.start();
    return Future.join(uploads).transform(done -> {
      reading.remove(content);
      if (!fanOut.ended()) {
        content.cancel(); // every upload gave up: stop reading the source
      }
      Map<CopyTarget, Throwable> failed = new LinkedHashMap<>();
      for (int i = 0; i < live.size(); i++) {
        if (uploads.get(i).failed()) {
          failed.put(live.get(i), uploads.get(i).cause());
        }
      }
      changed.run();
      return Future.succeededFuture(failed);
    });
  }

  private Future<Void> pushManifests(CopyPlan plan, CopyTarget target) {
    Progress.Target p = progress.target(target.label());
    Future<Void> chain = Future.succeededFuture();
    for (Manifest child : plan.children()) {
      chain = chain.compose(v -> target.client().putManifest(target.repo(), child.digest(), child).mapEmpty());
    }
    return chain.compose(v -> target.client().putManifest(target.repo(), target.reference(), plan.top()))
        .map(digest -> {
          p.state = State.FINISHED;
          p.currentBlob = null;
          changed.run();
          return (Void) null;
        })
        .recover(err -> {
          failTarget(target, err);
          return Future.succeededFuture();
        });
  }

  private void failTarget(CopyTarget target, Throwable err) {
    Progress.Target p = progress.target(target.label());
    p.state = State.FAILED;
    p.lastError = String.valueOf(err.getMessage());
    changed.run();
  }

  /** Runs {@code step} for every item at once and collects the results in order. */
  private static <T, R> Future<List<R>> all(List<T> items, java.util.function.Function<T, Future<R>> step) {
    List<Future<R>> futures = items.stream().map(step).toList();
    return Future.all(futures).map(done -> done.<R>list());
  }
}
