package dev.tugboat.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tugboat.db.DbUrl;
import dev.tugboat.db.Vendor;
import dev.tugboat.testing.FaultProxy;
import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.ServerProcess;
import dev.tugboat.testing.TcpProxy;
import dev.tugboat.testing.TestDatabases;
import dev.tugboat.testing.TestImages;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 10's fault test "kill -9 of the node running a transfer": two nodes as their own processes on one database,
 * real registries; the node holding the job's lease is killed mid-copy and the other resumes the job: identical
 * digests at the target, blobs completed before the kill not sent again, no attempt counted for the lost node.
 */
@ParameterizedClass
@EnumSource(Vendor.class)
class TransferKillTest {
  static final long LAYER = 16L * 1024 * 1024;
  static final long RATE = 16L * 1024 * 1024; // the source streams a layer a second: the kill lands mid-copy
  static final String REPO = "kill/app";
  /** Little JIT and GC work: on a small shared machine a node busy compiling could miss a 3 s lease by itself. */
  static final List<String> JVM = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
  @Parameter Vendor vendor;
  final HttpClient http = HttpClient.newHttpClient();

  static Map<String, String> node(DbUrl db) {
    Map<String, String> sets = new LinkedHashMap<>();
    sets.put("db.url", TestServer.urlOf(db));
    sets.put("transfer.leaseTtl", "3s");
    sets.put("transfer.sweepInterval", "300ms");
    sets.put("transfer.progressInterval", "100ms");
    sets.put("transfer.parallelBlobs", "1");
    return sets;
  }

  @Test
  @DisplayName("kill -9 of the node holding a job's lease mid-copy: the other node takes it over and finishes it")
  void killedNodeIsTakenOver() throws Exception {
    DbUrl db = TestDatabases.fresh(vendor);
    Path work = Files.createTempDirectory("transfer-kill-");
    List<ServerProcess> nodes = new ArrayList<>();
    try (RegistryFixture source = RegistryFixture.start(); RegistryFixture target = RegistryFixture.start();
         TcpProxy slowSource = TcpProxy.start("127.0.0.1", source.port()).throttle(RATE);
         FaultProxy targetSeen = FaultProxy.start(target)) {
      TestImages.Layout image = TestImages.single(work.resolve("image"), "v1", List.of(LAYER, LAYER, LAYER, LAYER),
          TestImages.Platform.LINUX_AMD64, TestImages.Options.defaults().uncompressed().seed(42));
      TestImages.push(image, source, REPO, "v1");
      for (String name : List.of("kill-a-" + vendor, "kill-b-" + vendor)) {
        nodes.add(ServerProcess.start(name, node(db), JVM, Duration.ofSeconds(120)));
      }
      JsonObject job = new JsonObject()
          .put("source", new JsonObject().put("endpoint", "http://127.0.0.1:" + slowSource.port() + "/v2")
              .put("image", REPO).put("ref", "v1"))
          .put("targets", new JsonArray().add(new JsonObject().put("endpoint", targetSeen.baseUrl() + "/v2")));
      String id = new Jobs(nodes.get(0).port()).submit(job);

      String started = "transfer job " + id + ": attempt 1 of 3 started";
      Jobs jobs = new Jobs(nodes.get(0).port());
      JsonObject[] before = {null};
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
          .until(() -> Jobs.target(before[0] = jobs.status(id), 0).getLong("bytes_done") > 2 * LAYER + LAYER / 2);
      // the holder is the node that logged the job's latest start (a starved node may have lost a lease already)
      int takeovers = before[0].getInteger("takeovers");
      String latest = takeovers == 0 ? started : started + " (takeovers: " + takeovers + ")";
      ServerProcess holder = nodes.stream().filter(n -> n.log().lines().anyMatch(l -> l.endsWith(latest)))
          .findFirst().orElseThrow();
      ServerProcess survivor = nodes.get(nodes.indexOf(holder) == 0 ? 1 : 0);
      Jobs survivors = new Jobs(survivor.port());
      List<String> completedBefore = committedBlobs(targetSeen);
      holder.kill();
      long killed = System.nanoTime();
      assertThat(completedBefore).as("blobs the killed node completed").hasSizeGreaterThanOrEqualTo(2);

      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
          .until(() -> survivors.status(id).getInteger("takeovers") > takeovers);
      long resumed = System.nanoTime();
      JsonObject done = survivors.awaitOver(id, Duration.ofSeconds(120));
      long finished = System.nanoTime();
      System.out.printf("TransferKillTest[%s]: kill -9 -> resumed %d ms, -> finished %d ms (takeovers before the kill:"
          + " %d)%n", vendor, (resumed - killed) / 1_000_000, (finished - killed) / 1_000_000, takeovers);

      assertThat(done.getString("value")).as(done.encodePrettily()).isEqualTo("FINISHED");
      assertThat(done.getInteger("attempts")).as("the lost node is not a failed attempt").isEqualTo(1);
      assertThat(done.getInteger("max_attempts")).isEqualTo(3);
      assertThat(done.getInteger("takeovers")).isEqualTo(takeovers + 1);
      assertThat(Jobs.target(done, 0).getInteger("attempts")).isEqualTo(1);
      assertThat(Jobs.target(done, 0).getInteger("blobs_present")).isGreaterThanOrEqualTo(completedBefore.size());
      assertThat(survivor.log()).contains(started + " (takeovers: " + (takeovers + 1) + ")");

      assertThat(TestImages.headManifest(target.baseUrl(), REPO, "v1", null)).contains(image.digest());
      for (TestImages.Blob blob : image.blobs()) {
        assertThat(blobStatus(target, blob.digest())).as(blob.digest()).isEqualTo(200);
      }
      List<String> committed = committedBlobs(targetSeen);
      for (String digest : completedBefore) {
        assertThat(committed.stream().filter(digest::equals)).as("%s was not sent again", digest).hasSize(1);
      }
      assertThat(committed).as("every blob committed once").doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(image.blobs().stream().map(TestImages.Blob::digest).toList());
      assertThat(survivor.alive()).isTrue();
    } finally {
      nodes.forEach(ServerProcess::close);
      TestDatabases.drop(db);
    }
  }

  /** Digests of the blob uploads the target committed ({@code PUT ...?digest=} answered 201), in order. */
  static List<String> committedBlobs(FaultProxy target) {
    return target.requests("/blobs/uploads/").stream()
        .filter(r -> r.method().equals("PUT") && r.status() == 201 && r.path().contains("digest="))
        .map(r -> r.path().replaceAll(".*digest=([^&]+).*", "$1").replace("%3A", ":"))
        .toList();
  }

  int blobStatus(RegistryFixture registry, String digest) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(registry.baseUrl() + "/v2/" + REPO + "/blobs/" + digest))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
