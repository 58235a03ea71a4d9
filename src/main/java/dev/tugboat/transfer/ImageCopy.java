package dev.tugboat.transfer;

import dev.tugboat.registry.Descriptor;
import dev.tugboat.registry.Manifest;
import dev.tugboat.registry.VerifyingStream;
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

  /** One target's upload session for the blob being streamed. */
  private record Upload(CopyTarget target, Progress.Target progress, String location) {}

  private final Vertx vertx;
  private final CopySource source;
  private final List<CopyTarget> targets;
  private final Progress progress;
  private final Options options;
  private final Runnable changed;
  private final Set<VerifyingStream> reading = new HashSet<>();
  private Runnable firstBlob = () -> { };
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

  /** Runs {@code listener} once, as the first blob is requested from the source (the job's start latency). */
  ImageCopy onFirstBlob(Runnable listener) {
    this.firstBlob = listener;
    return this;
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
    List<CopyTarget> open = targets.stream().filter(t -> !state(t).done()).toList();
    return CopyPlan.resolve(source).compose(plan -> {
      progress.digest = plan.top().digest();
      open.forEach(t -> state(t).started(attempt));
      changed.run();
      return all(open, target -> prepare(plan, target)).compose(needs -> copyBlobs(open, needs))
          .compose(v -> cancelled != null ? Future.failedFuture(cancelled)
              : all(live(open), target -> pushManifests(plan, target)))
          .map(v -> null);
    });
  }

  private Progress.Target state(CopyTarget target) {
    return progress.target(target.label());
  }

  private List<CopyTarget> live(List<CopyTarget> list) {
    return list.stream().filter(t -> state(t).copying()).toList();
  }

  /** Per target: skipped (reference present, no overwrite), or the blobs it lacks after HEADs and mounts. */
  private Future<List<Descriptor>> prepare(CopyPlan plan, CopyTarget target) {
    Progress.Target p = state(target);
    Future<Boolean> skip = target.overwrite() ? Future.succeededFuture(false)
        : target.client().headManifest(target.repo(), target.reference()).map(Optional::isPresent);
    return skip.compose(present -> {
      if (present) {
        p.skipped();
        changed.run();
        return Future.succeededFuture(List.<Descriptor>of());
      }
      p.blobs(plan.blobs().size());
      return all(plan.blobs(), blob -> missing(target, p, blob).map(missing -> missing ? blob : null)).map(blobs -> {
        List<Descriptor> out = blobs.stream().filter(b -> b != null).toList();
        out.forEach(blob -> p.missing(blob.size()));
        changed.run();
        return out;
      });
    }).recover(err -> {
      failTarget(target, err);
      return Future.succeededFuture(List.of());
    });
  }

  /** True when the blob must be streamed: not present and not mountable. */
  private Future<Boolean> missing(CopyTarget target, Progress.Target p, Descriptor blob) {
    return target.client().blobSize(target.repo(), blob.digest()).compose(size -> {
      if (size.isPresent()) {
        p.present();
        return Future.succeededFuture(false);
      }
      if (!target.repo().registry().equals(source.repo().registry()) || target.repo().equals(source.repo())) {
        return Future.succeededFuture(true);
      }
      return target.client().mount(target.repo(), blob.digest(), source.repo()).compose(mount -> {
        if (mount.mounted()) {
          p.mounted();
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

  /**
   * Streams one blob to the live targets among {@code wanting}; failed ones are retried alone. The source is
   * asked for the blob while the targets open their upload sessions (one round trip, not two, before bytes move).
   */
  private Future<Void> copyBlob(Descriptor blob, List<CopyTarget> wanting, int attempt) {
    List<CopyTarget> live = live(wanting);
    if (live.isEmpty()) {
      return Future.succeededFuture();
    }
    if (cancelled != null) {
      return Future.failedFuture(cancelled);
    }
    live.forEach(t -> state(t).uploading(blob.digest()));
    List<Future<String>> starts = live.stream().map(t -> t.client().startUpload(t.repo())).toList();
    fireFirstBlob();
    Future<VerifyingStream> opened = source.client().blob(source.repo(), blob.digest(), blob.size());
    List<Future<?>> waits = new ArrayList<>(starts);
    waits.add(opened);
    return Future.join(waits).transform(ignored -> {
          Map<CopyTarget, Throwable> failed = new LinkedHashMap<>();
          List<Upload> ready = new ArrayList<>();
          for (int i = 0; i < live.size(); i++) {
            CopyTarget target = live.get(i);
            if (starts.get(i).failed()) {
              failed.put(target, starts.get(i).cause());
            } else if (opened.failed() || cancelled != null) { // cancelled while the requests were out
              target.client().cancelUpload(target.repo(), starts.get(i).result());
              failed.put(target, opened.failed() ? opened.cause() : cancelled);
            } else {
              ready.add(new Upload(target, state(target), starts.get(i).result()));
            }
          }
          if (ready.isEmpty()) {
            if (opened.succeeded()) {
              opened.result().cancel(); // no target to feed: let the source's connection go
            }
            return Future.succeededFuture(failed);
          }
          return stream(blob, opened.result(), ready).map(more -> {
            failed.putAll(more);
            return failed;
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

  private void fireFirstBlob() {
    Runnable listener = firstBlob;
    firstBlob = () -> { };
    listener.run();
  }

  /** One read of the source feeding every target's upload; answers the targets that failed, with why. */
  private Future<Map<CopyTarget, Throwable>> stream(Descriptor blob, VerifyingStream content, List<Upload> uploads) {
    reading.add(content);
    FanOut fanOut = new FanOut(content);
    List<Future<Void>> done = new ArrayList<>();
    for (Upload upload : uploads) {
      CopyTarget target = upload.target();
      long[] sent = {0};
      FanOut.Branch branch = fanOut.branch(n -> {
        sent[0] += n;
        upload.progress().sent(n);
        changed.run(); // progress is saved every progressInterval while bytes move, not only per blob
      });
      Future<Void> put = blob.size() > options.chunkSize()
          ? target.client().putBlobChunkedAt(target.repo(), upload.location(), blob.digest(), blob.size(), branch,
              options.chunkSize())
          : target.client().putBlobAt(target.repo(), upload.location(), blob.digest(), blob.size(), branch);
      done.add(put.onFailure(err -> {
        fanOut.detach(branch);
        upload.progress().unsent(sent[0]);
      }));
    }
    fanOut.start();
    return Future.join(done).transform(ignored -> {
      reading.remove(content);
      if (!fanOut.ended()) {
        content.cancel(); // every upload gave up: stop reading the source
      }
      Map<CopyTarget, Throwable> failed = new LinkedHashMap<>();
      for (int i = 0; i < uploads.size(); i++) {
        if (done.get(i).failed()) {
          failed.put(uploads.get(i).target(), done.get(i).cause());
        }
      }
      changed.run();
      return Future.succeededFuture(failed);
    });
  }

  private Future<Void> pushManifests(CopyPlan plan, CopyTarget target) {
    Future<Void> chain = Future.succeededFuture();
    for (Manifest child : plan.children()) {
      chain = chain.compose(v -> target.client().putManifest(target.repo(), child.digest(), child).mapEmpty());
    }
    return chain.compose(v -> target.client().putManifest(target.repo(), target.reference(), plan.top()))
        .map(digest -> {
          state(target).finished();
          changed.run();
          return (Void) null;
        })
        .recover(err -> {
          failTarget(target, err);
          return Future.succeededFuture();
        });
  }

  private void failTarget(CopyTarget target, Throwable err) {
    state(target).failed(err);
    changed.run();
  }

  /** Runs {@code step} for every item at once and collects the results in order. */
  private static <T, R> Future<List<R>> all(List<T> items, java.util.function.Function<T, Future<R>> step) {
    List<Future<R>> futures = items.stream().map(step).toList();
    return Future.all(futures).map(done -> done.<R>list());
  }
}
