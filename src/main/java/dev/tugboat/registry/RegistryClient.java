package dev.tugboat.registry;

import dev.tugboat.config.Settings.RegistrySettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The asynchronous Docker/OCI registry client every capability uses. Each method is one registry
 * operation returning a future; blobs are streams. Auth, limits, retries and redirects are the
 * transport's job, so these methods only say what to ask and how to read the answer.
 */
public final class RegistryClient {
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
  private static final int MAX_PAGES = 100_000;

  /** The deadline of each request when none is given ({@code egress.timeout}'s default). */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private final RegistryTransport transport;
  /** The pool this client made for itself and closes; null for a view over someone else's pool. */
  private final RegistryPool owned;

  /** A client whose every request, redirect and token request obeys {@code egress}, each within 30 s. */
  public RegistryClient(Vertx vertx, List<RegistrySettings> registries, MeterRegistry metrics, EgressPolicy egress) {
    this(vertx, registries, metrics, egress, DEFAULT_TIMEOUT);
  }

  /** {@code timeout} is the deadline of each request ({@code egress.timeout}); streamed blob bodies have an idle timeout. */
  public RegistryClient(Vertx vertx, List<RegistrySettings> registries, MeterRegistry metrics, EgressPolicy egress,
                        Duration timeout) {
    this(vertx, registries, metrics, egress, timeout, RetryPolicy.DEFAULT, Clock.systemUTC(), Map.of());
  }

  /** A client whose requests to the registries named in {@code authorizers} are authorized by them alone. */
  public RegistryClient(Vertx vertx, List<RegistrySettings> registries, MeterRegistry metrics, EgressPolicy egress,
                        Duration timeout, RetryPolicy retry, Clock clock, Map<String, Authorizer> authorizers) {
    this.owned = new RegistryPool(vertx, metrics, egress, timeout, retry, clock);
    this.transport = new RegistryTransport(owned, registries, authorizers);
  }

  /** A view ({@link RegistryPool#client}). */
  RegistryClient(RegistryTransport transport, RegistryPool owned) {
    this.transport = transport;
    this.owned = owned;
  }

  /**
   * The pool under this client (its connections, limits, challenges and token cache per registry host), for views
   * with other credentials over the same registries ({@link RegistryPool#client}).
   */
  public RegistryPool pool() {
    return transport.pool();
  }

  /** Closes the client's own pool; a view over a shared pool has nothing of its own to close. */
  public Future<Void> close() {
    return owned == null ? Future.succeededFuture() : owned.close();
  }

  /** The rate-limit headers last seen from this registry, or null. */
  public RateLimit rateLimit(String registry) {
    return transport.rateLimit(registry);
  }

  // ---- manifests

  /** A manifest or index by tag or digest, with its exact bytes; the digest is computed and checked. */
  public Future<Manifest> manifest(Repository repo, String reference) {
    String op = "GET manifest " + repo + ":" + reference;
    return checked(op, repo, referenceProblem(reference), () -> transport.send(call(op, repo, HttpMethod.GET,
            "/manifests/" + reference, Scopes.pull(repo)).header("Accept", MediaTypes.MANIFEST_ACCEPT)))
        .map(response -> {
          expect(op, response, 200);
          Buffer bytes = response.body();
          String digest = Digests.of(bytes);
          String announced = response.headers().get("Docker-Content-Digest");
          String expected = reference.contains(":") ? reference : announced;
          if (expected != null && expected.startsWith("sha256:") && !expected.equals(digest)) {
            throw new RegistryException.DigestMismatch(op, expected, digest);
          }
          return new Manifest(mediaType(response.headers().get("Content-Type"), bytes), digest, bytes);
        });
  }

  /** HEAD of a manifest: its descriptor (digest from Docker-Content-Digest), or empty when absent. */
  public Future<Optional<Descriptor>> headManifest(Repository repo, String reference) {
    String op = "HEAD manifest " + repo + ":" + reference;
    return checked(op, repo, referenceProblem(reference), () -> transport.send(call(op, repo, HttpMethod.HEAD,
            "/manifests/" + reference, Scopes.pull(repo)).header("Accept", MediaTypes.MANIFEST_ACCEPT)))
        .map(response -> {
          if (response.status() == 404) {
            return Optional.<Descriptor>empty();
          }
          expect(op, response, 200);
          String digest = response.headers().get("Docker-Content-Digest");
          if (digest == null && ImageReference.isValidDigest(reference)) {
            digest = reference;
          }
          return Optional.of(new Descriptor(MediaTypes.base(response.headers().get("Content-Type")), digest,
              contentLength(response), null));
        });
  }

  /** Pushes the exact bytes under a tag or digest; returns the digest the registry stored. */
  public Future<String> putManifest(Repository repo, String reference, Manifest manifest) {
    String op = "PUT manifest " + repo + ":" + reference;
    return checked(op, repo, referenceProblem(reference), () -> transport.send(call(op, repo, HttpMethod.PUT,
            "/manifests/" + reference, Scopes.push(repo)).header("Content-Type", manifest.mediaType())
            .body(manifest.bytes())))
        .map(response -> {
          expect(op, response, 201);
          String stored = response.headers().get("Docker-Content-Digest");
          if (stored != null && !stored.equals(manifest.digest())) {
            throw new RegistryException.DigestMismatch(op, manifest.digest(), stored);
          }
          return manifest.digest();
        });
  }

  /** Deletes a manifest by digest (202); a missing one fails with {@link RegistryException.NotFound}. */
  public Future<Void> deleteManifest(Repository repo, String digest) {
    String op = "DELETE manifest " + repo + "@" + digest;
    return checked(op, repo, digestProblem(digest), () -> transport.send(call(op, repo, HttpMethod.DELETE,
            "/manifests/" + digest, Scopes.delete(repo))))
        .map(response -> {
          expect(op, response, 202);
          return null;
        });
  }

  /** The image config of an image manifest (created, platform, history). */
  public Future<ImageConfig> config(Repository repo, Manifest manifest) {
    Descriptor config = manifest.config();
    if (config == null) {
      return Future.failedFuture(new IllegalArgumentException(manifest.digest() + " is an index, it has no config"));
    }
    return blobBytes(repo, config.digest()).map(bytes -> {
      try {
        return ImageConfig.fromJson(new JsonObject(bytes));
      } catch (RuntimeException unreadable) { // not JSON, or fields of the wrong type
        throw new RegistryException("read config " + repo + "@" + config.digest() + " (not an image config)", 200,
            List.of(), null);
      }
    });
  }

  /** The platforms of a manifest: from the index entries, or from the image config of a single image. */
  public Future<List<Platform>> platforms(Repository repo, Manifest manifest) {
    if (manifest.isIndex()) {
      List<Platform> out = new ArrayList<>();
      manifest.children().forEach(child -> {
        if (child.platform() != null) {
          out.add(child.platform());
        }
      });
      return Future.succeededFuture(List.copyOf(out));
    }
    return config(repo, manifest).map(config -> List.of(config.platform()));
  }

  // ---- tags and catalog

  /** One page of tags: at most {@code n} after {@code last} (null for the start), and whether more follow. */
  public Future<Page> tagsPage(Repository repo, int n, String last) {
    String path = "/tags/list?n=" + n + (last == null ? "" : "&last=" + encode(last));
    return checked("GET tags " + repo, repo, null,
        () -> page("GET tags " + repo, call("GET tags " + repo, repo, HttpMethod.GET, path, Scopes.pull(repo)), "tags"));
  }

  /** Every tag, following {@code Link: <…>; rel="next"} pages. */
  public Future<List<String>> tags(Repository repo) {
    return all(tagsPage(repo, 1000, null), new ArrayList<>(), 0,
        next -> page("GET tags " + repo, call("GET tags " + repo, repo, HttpMethod.GET, "", Scopes.pull(repo))
            .target(next), "tags"));
  }

  /** One page of the registry catalog ({@code /v2/_catalog}). */
  public Future<Page> catalogPage(String registry, int n, String last) {
    String op = "GET catalog " + registry;
    String path = "/v2/_catalog?n=" + n + (last == null ? "" : "&last=" + encode(last));
    return checked(op, new Repository(registry, "catalog"), null, () -> page(op, RegistryCall.of(op,
        transport.endpoint(registry), HttpMethod.GET, path, List.of(Scopes.CATALOG)), "repositories"));
  }

  /** Every repository of the registry, following the catalog's pages. */
  public Future<List<String>> catalog(String registry) {
    return all(catalogPage(registry, 1000, null), new ArrayList<>(), 0,
        next -> page("GET catalog " + registry, RegistryCall.of("GET catalog " + registry, transport.endpoint(registry),
            HttpMethod.GET, next, List.of(Scopes.CATALOG)), "repositories"));
  }

  /** A page of names and the absolute URL of the next page (null on the last). */
  public record Page(List<String> items, String next) {}

  private Future<Page> page(String op, RegistryCall call, String field) {
    return transport.send(call).map(response -> {
      expect(op, response, 200);
      List<String> items = new ArrayList<>();
      String next = null;
      try {
        // a repository whose tags were all deleted answers "tags": null
        JsonArray names = new JsonObject(response.body()).getJsonArray(field);
        if (names != null) {
          names.forEach(name -> items.add(String.valueOf(name)));
        }
        String link = response.headers().get("Link");
        Matcher m = link == null ? null : NEXT_LINK.matcher(link);
        if (m != null && m.find()) {
          next = URI.create(call.url()).resolve(m.group(1)).toString();
        }
      } catch (RuntimeException unreadable) { // not JSON, a field of the wrong type, a Link that is no URL
        throw new RegistryException(op + " (an answer that is not a list of " + field + ")", 200, List.of(), null);
      }
      return new Page(List.copyOf(items), next);
    });
  }

  private Future<List<String>> all(Future<Page> page, List<String> acc, int pages,
                                   java.util.function.Function<String, Future<Page>> nextPage) {
    return page.compose(p -> {
      acc.addAll(p.items());
      if (p.next() == null || pages >= MAX_PAGES) {
        return Future.succeededFuture(List.copyOf(acc));
      }
      return all(nextPage.apply(p.next()), acc, pages + 1, nextPage);
    });
  }

  // ---- blobs

  /** The size of a blob, or empty when the repository does not have it. */
  public Future<Optional<Long>> blobSize(Repository repo, String digest) {
    String op = "HEAD blob " + repo + "@" + digest;
    return checked(op, repo, digestProblem(digest), () -> transport.send(call(op, repo, HttpMethod.HEAD,
            "/blobs/" + digest, Scopes.pull(repo))))
        .map(response -> {
          if (response.status() == 404) {
            return Optional.<Long>empty();
          }
          expect(op, response, 200);
          return Optional.of(contentLength(response));
        });
  }

  /**
   * A blob as a paused stream whose digest (and size, when {@code size >= 0}) is verified as it flows:
   * a mismatch or an early end is a stream failure, never an end.
   */
  public Future<VerifyingStream> blob(Repository repo, String digest, long size) {
    String op = "GET blob " + repo + "@" + digest;
    return checked(op, repo, digestProblem(digest), () -> transport.open(call(op, repo, HttpMethod.GET,
            "/blobs/" + digest, Scopes.pull(repo))))
        .compose(response -> {
          if (response.statusCode() != 200) {
            return failure(op, response);
          }
          long announced = headerLength(response);
          return Future.succeededFuture(new VerifyingStream(response, digest, size >= 0 ? size : announced, op));
        });
  }

  /** A small blob (an image config) read whole within the deadline, verified; refuses anything over 16 MiB. */
  public Future<Buffer> blobBytes(Repository repo, String digest) {
    String op = "GET blob " + repo + "@" + digest;
    return checked(op, repo, digestProblem(digest), () -> transport.send(call(op, repo, HttpMethod.GET,
            "/blobs/" + digest, Scopes.pull(repo))))
        .map(response -> {
          expect(op, response, 200);
          String actual = Digests.of(response.body());
          if (!actual.equals(digest)) {
            throw new RegistryException.DigestMismatch(op, digest, actual);
          }
          return response.body();
        });
  }

  /** Starts an upload session; returns its absolute location. */
  public Future<String> startUpload(Repository repo) {
    String op = "POST blob upload " + repo;
    return checked(op, repo, null, () -> transport.send(upload(op, repo, HttpMethod.POST, "/blobs/uploads/",
            List.of(Scopes.push(repo)))))
        .map(response -> {
          expect(op, response, 202);
          return location(op, response);
        });
  }

  /** Result of a cross-repository mount: mounted, or an upload session to use (or cancel) instead. */
  public record Mount(boolean mounted, String uploadLocation) {}

  /** Mounts a blob from another repository of the same registry (201), or says where to upload (202). */
  public Future<Mount> mount(Repository repo, String digest, Repository from) {
    String op = "mount blob " + digest + " from " + from + " into " + repo;
    String path = "/blobs/uploads/?mount=" + encode(digest) + "&from=" + encode(from.name());
    String problem = digestProblem(digest) != null ? digestProblem(digest)
        : ImageReference.isValidRepository(from.name()) ? null : "the source is not a repository name";
    return checked(op, repo, problem, () -> transport.send(upload(op, repo, HttpMethod.POST, path,
            List.of(Scopes.push(repo), Scopes.pull(from)))))
        .map(response -> {
          if (response.status() == 201) {
            return new Mount(true, null);
          }
          expect(op, response, 202);
          return new Mount(false, location(op, response));
        });
  }

  /**
   * Monolithic upload: one PUT with Content-Length streaming {@code content} (paused, not yet read).
   * On failure the upload session is cancelled, so nothing partial stays behind.
   */
  public Future<Void> putBlob(Repository repo, String digest, long size, ReadStream<Buffer> content) {
    content.pause();
    return startUpload(repo).compose(location -> putBlobAt(repo, location, digest, size, content));
  }

  /** Uploads a small blob held in memory (an image config); returns its digest. */
  public Future<String> putBlob(Repository repo, Buffer content) {
    String digest = Digests.of(content);
    String op = "PUT blob " + repo + "@" + digest;
    return startUpload(repo).compose(location -> transport.send(upload(op, repo, HttpMethod.PUT,
            withDigest(location, digest), List.of(Scopes.push(repo)))
            .header("Content-Type", MediaTypes.OCTET_STREAM).body(content))
        .map(response -> {
          expect(op, response, 201);
          return digest;
        })
        .recover(err -> cancelUpload(repo, location).transform(ignored -> Future.failedFuture(err))));
  }

  /** Monolithic upload into an existing session (e.g. one a 202 mount answer opened). */
  public Future<Void> putBlobAt(Repository repo, String location, String digest, long size, ReadStream<Buffer> content) {
    String op = "PUT blob " + repo + "@" + digest;
    return checked(op, repo, digestProblem(digest), () -> transport.upload(upload(op, repo, HttpMethod.PUT,
            withDigest(location, digest), List.of(Scopes.push(repo))).header("Content-Type", MediaTypes.OCTET_STREAM),
            content, size))
        .compose(response -> response.statusCode() == 201 ? RegistryTransport.drain(response) : failure(op, response))
        .recover(err -> cancelUpload(repo, location).transform(ignored -> Future.failedFuture(err)));
  }

  /**
   * Chunked upload: PATCH requests of {@code chunkSize} bytes with Content-Range, each to the Location the
   * previous one returned, then the closing PUT with the digest. Cancelled on failure.
   */
  public Future<Void> putBlobChunked(Repository repo, String digest, long size, ReadStream<Buffer> content, long chunkSize) {
    content.pause();
    return startUpload(repo).compose(location -> putBlobChunkedAt(repo, location, digest, size, content, chunkSize));
  }

  /** Chunked upload into an existing session; cancelled on failure. */
  public Future<Void> putBlobChunkedAt(Repository repo, String location, String digest, long size,
                                       ReadStream<Buffer> content, long chunkSize) {
    ChunkedUpload chunks = new ChunkedUpload(content);
    return patchFrom(repo, chunks, location, 0, size, chunkSize)
        .compose(last -> closeUpload(repo, last, digest))
        .recover(err -> cancelUpload(repo, location).transform(ignored -> Future.failedFuture(err)));
  }

  private Future<String> patchFrom(Repository repo, ChunkedUpload chunks, String location, long offset, long size,
                                   long chunkSize) {
    if (offset >= size) {
      return Future.succeededFuture(location);
    }
    long length = Math.min(chunkSize, size - offset);
    return patchChunk(repo, location, offset, length, chunks.next(length))
        .compose(next -> patchFrom(repo, chunks, next, offset + length, size, chunkSize));
  }

  /**
   * Sends {@code length} bytes at {@code offset} of an upload session (PATCH with Content-Range); returns the
   * Location for the next request. With {@link #uploadOffset} this resumes an interrupted upload.
   */
  public Future<String> patchChunk(Repository repo, String location, long offset, long length, ReadStream<Buffer> bytes) {
    String op = "PATCH blob upload " + repo + " bytes " + offset + "-" + (offset + length - 1);
    return checked(op, repo, null, () -> transport.upload(upload(op, repo, HttpMethod.PATCH, location,
            List.of(Scopes.push(repo))).header("Content-Type", MediaTypes.OCTET_STREAM)
            .header("Content-Range", offset + "-" + (offset + length - 1)), bytes, length))
        .compose(response -> response.statusCode() == 202
            ? RegistryTransport.drain(response).map(v -> absolute(response.getHeader("Location"), location))
            : failure(op, response));
  }

  /** Commits an upload session with its digest (PUT, no further bytes). */
  public Future<Void> closeUpload(Repository repo, String location, String digest) {
    String op = "PUT blob " + repo + "@" + digest + " (close upload)";
    return checked(op, repo, digestProblem(digest), () -> transport.send(upload(op, repo, HttpMethod.PUT,
            withDigest(location, digest), List.of(Scopes.push(repo))).header("Content-Length", "0")))
        .map(response -> {
          expect(op, response, 201);
          return null;
        });
  }

  /** How many bytes an upload session holds (its resume point), from {@code GET <location>} → 204 Range. */
  public Future<Long> uploadOffset(Repository repo, String location) {
    String op = "GET blob upload status " + repo;
    return checked(op, repo, null, () -> transport.send(call(op, repo, HttpMethod.GET, "", Scopes.push(repo))
        .target(location))).map(response -> {
      expect(op, response, 204);
      String range = response.headers().get("Range");
      if (range == null) {
        return 0L;
      }
      String r = range.startsWith("bytes=") ? range.substring(6) : range;
      return Long.parseLong(r.substring(r.indexOf('-') + 1).trim()) + 1;
    });
  }

  /** Cancels an upload session (204); an unknown session is not an error. */
  public Future<Void> cancelUpload(Repository repo, String location) {
    String op = "DELETE blob upload " + repo;
    return checked(op, repo, null, () -> transport.send(call(op, repo, HttpMethod.DELETE, "", Scopes.push(repo))
        .target(location))).map(response -> null);
  }

  // ---- helpers

  /**
   * Runs {@code request} only when it can be built: a registry host or repository name outside the grammar, or
   * {@code problem} (a reference that is none), is an immediate {@link RegistryException.InvalidRequest} — never a
   * throw, never a request on the wire that would hang in the HTTP codec.
   */
  private static <T> Future<T> checked(String op, Repository repo, String problem, Supplier<Future<T>> request) {
    String refusal = !ImageReference.isValidHost(repo.registry()) ? "not a registry host"
        : !ImageReference.isValidRepository(repo.name()) ? "not a repository name" : problem;
    if (refusal != null) {
      return Future.failedFuture(new RegistryException.InvalidRequest(op, refusal));
    }
    try {
      return request.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private static String referenceProblem(String reference) {
    return ImageReference.isValidTag(reference) || ImageReference.isValidDigest(reference) ? null
        : "neither a tag nor a digest";
  }

  private static String digestProblem(String digest) {
    return ImageReference.isValidDigest(digest) ? null : "not a digest";
  }

  private RegistryCall call(String op, Repository repo, HttpMethod method, String suffix, String scope) {
    return RegistryCall.of(op, transport.endpoint(repo.registry()), method, "/v2/" + repo.name() + suffix, List.of(scope));
  }

  private RegistryCall upload(String op, Repository repo, HttpMethod method, String target, List<String> scopes) {
    String path = target.startsWith("http") ? target : "/v2/" + repo.name() + target;
    return new RegistryCall(op, transport.endpoint(repo.registry()), method, path, scopes, Map.of(), null, false);
  }

  private String location(String op, RegistryResponse response) {
    String location = response.headers().get("Location");
    if (location == null) {
      throw new RegistryException(op + " (no Location header)", response.status(), List.of(), null);
    }
    return location;
  }

  private static String absolute(String location, String previous) {
    if (location == null) {
      return previous;
    }
    return URI.create(previous).resolve(location).toString();
  }

  private static String withDigest(String location, String digest) {
    return location + (location.contains("?") ? "&" : "?") + "digest=" + encode(digest);
  }

  private static String mediaType(String contentType, Buffer bytes) {
    String type = MediaTypes.base(contentType);
    if (type != null && MediaTypes.isManifest(type)) {
      return type;
    }
    try {
      String declared = new JsonObject(bytes).getString("mediaType");
      return declared != null ? declared : type;
    } catch (RuntimeException e) {
      return type;
    }
  }

  private static long contentLength(RegistryResponse response) {
    String length = response.headers().get("Content-Length");
    return length == null ? -1 : Long.parseLong(length.trim());
  }

  private static long headerLength(HttpClientResponse response) {
    String length = response.getHeader("Content-Length");
    return length == null ? -1 : Long.parseLong(length.trim());
  }

  private static void expect(String op, RegistryResponse response, int status) {
    if (response.status() != status) {
      throw error(op, response.status(), RegistryError.parse(response.body()));
    }
  }

  private static <T> Future<T> failure(String op, HttpClientResponse response) {
    return RegistryTransport.head(response, 64 * 1024).transform(read -> Future.failedFuture(error(op,
        response.statusCode(), read.succeeded() ? RegistryError.parse(read.result()) : List.of())));
  }

  static RegistryException error(String op, int status, List<RegistryError> errors) {
    return switch (status) {
      case 404 -> new RegistryException.NotFound(op, status, errors);
      case 401, 403 -> new RegistryException.Unauthorized(op, status, errors);
      case 429 -> new RegistryException.TooManyRequests(op, errors);
      default -> new RegistryException(op, status, errors, null);
    };
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
