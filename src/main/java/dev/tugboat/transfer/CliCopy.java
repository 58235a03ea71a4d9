package dev.tugboat.transfer;

import dev.tugboat.config.Settings;
import dev.tugboat.config.Settings.RegistrySettings;
import dev.tugboat.registry.ImageReference;
import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.RegistryEndpoint;
import dev.tugboat.registry.RegistryPool;
import dev.tugboat.registry.RetryPolicy;
import dev.tugboat.registry.Repository;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code tugboat copy SRC DST [DST...]}: the job engine as a one-shot command (like {@code skopeo copy
 * --all}), reading the source once for all destinations, with a progress line on stderr. No database.
 */
public final class CliCopy {
  private CliCopy() {}

  /** Copies and answers the exit code: 0 only when every destination has the image. */
  public static int run(Settings settings, String src, List<String> dsts, String srcCreds, String destCreds,
                        PrintWriter out) {
    ImageReference from = ImageReference.parse(strip(src));
    String reference = from.digest() != null ? from.digest() : from.tag() != null ? from.tag() : "latest";
    Vertx vertx = Vertx.vertx();
    RegistryPool pool = new RegistryPool(vertx, new SimpleMeterRegistry(),
        EgressPolicy.of(settings.egress().allow(), settings.egress().deny()), settings.egress().timeout(),
        RetryPolicy.DEFAULT, Clock.systemUTC());
    try {
      RegistryClient source = client(pool, settings, from.registry(), srcCreds);
      List<CopyTarget> targets = new ArrayList<>();
      for (String dst : dsts) {
        ImageReference to = ImageReference.parse(strip(dst));
        String ref = to.digest() != null ? to.digest() : to.tag() != null ? to.tag() : reference;
        targets.add(new CopyTarget(dst, client(pool, settings, to.registry(), destCreds),
            Repository.of(to), ref, true));
      }
      Progress progress = Progress.start(dsts);
      ImageCopy copy = new ImageCopy(vertx, new CopySource(source, Repository.of(from), reference), targets, progress,
          new ImageCopy.Options(settings.transfer().parallelBlobs(), settings.transfer().chunkSize()), () -> { });
      long started = System.nanoTime();
      long timer = vertx.setPeriodic(500, id -> {
        out.print("\r" + line(progress, started));
        out.flush();
      });
      Throwable failure = null;
      try {
        copy.run(1).await();
      } catch (RuntimeException e) {
        failure = e;
      }
      vertx.cancelTimer(timer);
      out.println("\r" + line(progress, started));
      progress.targets.forEach(t -> out.println("  " + t.endpoint + ": " + t.state
          + (t.lastError != null ? " (" + t.lastError + ")" : "")));
      if (failure != null) {
        out.println("copy failed: " + failure.getMessage());
        out.flush();
        return 1;
      }
      out.flush();
      return progress.allDone() ? 0 : 1;
    } finally {
      pool.close().await();
      vertx.close().await();
    }
  }

  private static String line(Progress progress, long started) {
    long done = 0;
    long total = 0;
    for (Progress.Target t : progress.targets) {
      done += t.bytesDone;
      total += t.bytesTotal;
    }
    int width = 30;
    int filled = total == 0 ? width : (int) Math.min(width, done * width / total);
    double seconds = (System.nanoTime() - started) / 1e9;
    return String.format("[%s%s] %8.1f / %.1f MiB  %5.1fs", "#".repeat(filled), " ".repeat(width - filled),
        done / 1048576.0, total / 1048576.0, seconds);
  }

  /** A view per registry over the command's one pool; {@code creds} ({@code user:password}) overrides {@code registries[]}. */
  private static RegistryClient client(RegistryPool pool, Settings settings, String registry, String creds) {
    List<RegistrySettings> list = new ArrayList<>(settings.registries());
    if (creds != null) {
      int colon = creds.indexOf(':');
      if (colon < 1) {
        throw new IllegalArgumentException("credentials must be USER:PASSWORD");
      }
      // scheme, TLS and concurrency as the registry is configured (or its defaults), with these credentials
      RegistryEndpoint base = RegistryEndpoint.forRegistry(registry, list);
      list.removeIf(r -> RegistryEndpoint.normalise(r.host()).equals(base.registry()));
      list.add(new RegistrySettings(registry, creds.substring(0, colon), creds.substring(colon + 1), !base.https(),
          base.tlsVerify(), base.maxConcurrency()));
    }
    return pool.client(list, Map.of());
  }

  private static String strip(String ref) {
    return ref.startsWith("docker://") ? ref.substring("docker://".length()) : ref;
  }
}
