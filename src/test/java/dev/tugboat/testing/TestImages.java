package dev.tugboat.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Real container images for registry tests: written to disk as OCI image layouts (streaming, so multi-hundred-MiB
 * layers never sit in memory) and pushed with {@code skopeo}, the reference client, or over plain HTTP for small,
 * fast fixtures.
 *
 * <pre>{@code
 * TestImages.Layout img = TestImages.single(dir, "v1", List.of(1024L, 2048L), "linux", "amd64");
 * TestImages.Layout idx = TestImages.multiPlatform(dir2, "v1", List.of(1024L), TestImages.format(Format.DOCKER));
 * TestImages.push(img, registry, "team/app", "v1");
 * TestImages.push(img, registry, "team/app", "v1", "alice:secret");
 * }</pre>
 *
 * <p>Layers are tar archives holding one file of seeded pseudo-random bytes (reproducible: same options, same
 * digests), gzip-compressed at {@link Deflater#BEST_SPEED} unless {@link Compression#NONE} is chosen. Configs are
 * real image configs ({@code rootfs.diff_ids} are the digests of the uncompressed tars).
 */
public final class TestImages {
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  public static final String OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
  public static final String DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";
  /** All four manifest media types, as an {@code Accept} header value. */
  public static final String ACCEPT_ALL = String.join(", ", OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST,
      DOCKER_MANIFEST);
  public static final Duration PUSH_TIMEOUT = Duration.ofMinutes(5);
  public static final Path SKOPEO = Path.of("/usr/bin/skopeo");

  private static final String REF_NAME = "org.opencontainers.image.ref.name";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BUF = 64 * 1024;
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER)
      .build();

  private TestImages() {
  }

  // ---------------------------------------------------------------------------------------------------------------
  // options and results

  public enum Format { OCI, DOCKER }

  public enum Compression { GZIP, NONE }

  /** Immutable options; start from {@link #defaults()} or {@link TestImages#format(Format)}. */
  public record Options(Format format, Compression compression, long seed, Instant created) {
    public Options {
      Objects.requireNonNull(format, "format");
      Objects.requireNonNull(compression, "compression");
      Objects.requireNonNull(created, "created");
    }

    /** OCI, gzip, seed 1, created 2024-01-01T00:00:00Z. */
    public static Options defaults() {
      return new Options(Format.OCI, Compression.GZIP, 1L, Instant.parse("2024-01-01T00:00:00Z"));
    }

    public Options format(Format f) {
      return new Options(f, compression, seed, created);
    }

    public Options compression(Compression c) {
      return new Options(format, c, seed, created);
    }

    /** Layers stored as plain tar ({@code ...layer.v1.tar} / {@code ...rootfs.diff.tar}). */
    public Options uncompressed() {
      return compression(Compression.NONE);
    }

    /** Different seeds give different layer bytes (and so different digests). */
    public Options seed(long s) {
      return new Options(format, compression, s, created);
    }

    public Options created(Instant c) {
      return new Options(format, compression, seed, c);
    }
  }

  public static Options format(Format format) {
    return Options.defaults().format(format);
  }

  public record Platform(String os, String architecture, String variant) {
    public Platform {
      Objects.requireNonNull(os, "os");
      Objects.requireNonNull(architecture, "architecture");
    }

    public static final Platform LINUX_AMD64 = new Platform("linux", "amd64", null);
    public static final Platform LINUX_ARM64_V8 = new Platform("linux", "arm64", "v8");

    @Override
    public String toString() {
      return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
  }

  /** A content-addressed blob of the layout ({@code path} is its file under {@code blobs/sha256}). */
  public record Blob(String mediaType, String digest, long size, Path path) {
  }

  /** A layer blob plus what the config says about it. */
  public record Layer(String mediaType, String digest, long size, Path path, String diffId, long uncompressedSize,
                      long fileSize) {
    public Blob blob() {
      return new Blob(mediaType, digest, size, path);
    }
  }

  /** One image manifest (a single-platform image, or one child of an index). */
  public static final class Image {
    private final Platform platform;
    private final String mediaType;
    private final String digest;
    private final byte[] manifestBytes;
    private final Blob config;
    private final byte[] configBytes;
    private final List<Layer> layers;

    Image(Platform platform, String mediaType, byte[] manifestBytes, Blob config, byte[] configBytes,
          List<Layer> layers) {
      this.platform = platform;
      this.mediaType = mediaType;
      this.manifestBytes = manifestBytes;
      this.digest = sha256(manifestBytes);
      this.config = config;
      this.configBytes = configBytes;
      this.layers = List.copyOf(layers);
    }

    public Platform platform() {
      return platform;
    }

    public String mediaType() {
      return mediaType;
    }

    public String digest() {
      return digest;
    }

    public long size() {
      return manifestBytes.length;
    }

    public byte[] manifestBytes() {
      return manifestBytes.clone();
    }

    public Blob config() {
      return config;
    }

    public byte[] configBytes() {
      return configBytes.clone();
    }

    public List<Layer> layers() {
      return layers;
    }

    public List<String> layerDigests() {
      return layers.stream().map(Layer::digest).toList();
    }

    /** Config + layers. */
    public List<Blob> blobs() {
      List<Blob> out = new ArrayList<>();
      out.add(config);
      layers.forEach(l -> out.add(l.blob()));
      return out;
    }

    @Override
    public String toString() {
      return "Image[" + platform + " " + digest + "]";
    }
  }

  /**
   * An OCI layout directory with one tagged entry: a single image manifest, or an index / manifest list whose
   * children are {@link #images()}.
   */
  public static final class Layout {
    private final Path dir;
    private final String tag;
    private final Format format;
    private final String mediaType;
    private final byte[] manifestBytes;
    private final String digest;
    private final List<Image> images;

    Layout(Path dir, String tag, Format format, String mediaType, byte[] manifestBytes, List<Image> images) {
      this.dir = dir;
      this.tag = tag;
      this.format = format;
      this.mediaType = mediaType;
      this.manifestBytes = manifestBytes;
      this.digest = sha256(manifestBytes);
      this.images = List.copyOf(images);
    }

    public Path dir() {
      return dir;
    }

    public String tag() {
      return tag;
    }

    public Format format() {
      return format;
    }

    /** Media type of the top-level manifest (image manifest, OCI index or Docker manifest list). */
    public String mediaType() {
      return mediaType;
    }

    public boolean isIndex() {
      return mediaType.equals(OCI_INDEX) || mediaType.equals(DOCKER_MANIFEST_LIST);
    }

    /** Digest of the top-level manifest / index. */
    public String digest() {
      return digest;
    }

    public long size() {
      return manifestBytes.length;
    }

    /** The exact top-level manifest / index bytes. */
    public byte[] manifestBytes() {
      return manifestBytes.clone();
    }

    public String manifestString() {
      return new String(manifestBytes, StandardCharsets.UTF_8);
    }

    /** The images: one for a single-platform layout, the children (in index order) for an index. */
    public List<Image> images() {
      return images;
    }

    /** The single image of a non-index layout. */
    public Image image() {
      if (isIndex()) {
        throw new IllegalStateException("layout " + tag + " is an index; use images()");
      }
      return images.get(0);
    }

    /** Children digests of an index, in order (empty for a single image). */
    public List<String> childDigests() {
      return isIndex() ? images.stream().map(Image::digest).toList() : List.of();
    }

    public Optional<Image> image(Platform platform) {
      return images.stream().filter(i -> i.platform().equals(platform)).findFirst();
    }

    /** Config of the single image. */
    public Blob config() {
      return image().config();
    }

    /** Layers of the single image. */
    public List<Layer> layers() {
      return image().layers();
    }

    /** All distinct blobs (configs and layers) of all images. */
    public List<Blob> blobs() {
      Map<String, Blob> out = new LinkedHashMap<>();
      images.forEach(i -> i.blobs().forEach(b -> out.putIfAbsent(b.digest(), b)));
      return List.copyOf(out.values());
    }

    /** {@code oci:<dir>:<tag>}, the skopeo source reference. */
    public String ociReference() {
      return "oci:" + dir + ":" + tag;
    }

    @Override
    public String toString() {
      return "Layout[" + ociReference() + " " + mediaType + " " + digest + "]";
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // building layouts

  /** A single-platform OCI image (gzip layers, seed 1). */
  public static Layout single(Path dir, String tag, List<Long> layerSizes, String os, String arch) {
    return single(dir, tag, layerSizes, os, arch, Options.defaults());
  }

  public static Layout single(Path dir, String tag, List<Long> layerSizes, String os, String arch,
                              Options options) {
    return single(dir, tag, layerSizes, new Platform(os, arch, null), options);
  }

  public static Layout single(Path dir, String tag, List<Long> layerSizes, Platform platform, Options options) {
    try {
      prepare(dir);
      Image image = writeImage(dir, tag, layerSizes, platform, options, 0);
      Layout layout = new Layout(dir, tag, options.format(), image.mediaType(), image.manifestBytes, List.of(image));
      addToIndex(dir, tag, layout.mediaType(), layout.digest(), layout.size(), options.format());
      return layout;
    } catch (IOException e) {
      throw new UncheckedIOException("could not write OCI layout " + dir, e);
    }
  }

  /** An OCI index with linux/amd64 and linux/arm64/v8 children, each a full image with its own layers. */
  public static Layout multiPlatform(Path dir, String tag, List<Long> layerSizes) {
    return multiPlatform(dir, tag, layerSizes, Options.defaults());
  }

  /** {@link Format#DOCKER} gives a Docker manifest list with schema2 children. */
  public static Layout multiPlatform(Path dir, String tag, List<Long> layerSizes, Options options) {
    return multiPlatform(dir, tag, layerSizes, List.of(Platform.LINUX_AMD64, Platform.LINUX_ARM64_V8), options);
  }

  public static Layout multiPlatform(Path dir, String tag, List<Long> layerSizes, List<Platform> platforms,
                                     Options options) {
    if (platforms.isEmpty()) {
      throw new IllegalArgumentException("at least one platform");
    }
    try {
      prepare(dir);
      List<Image> images = new ArrayList<>();
      for (int i = 0; i < platforms.size(); i++) {
        images.add(writeImage(dir, tag, layerSizes, platforms.get(i), options, i));
      }
      boolean docker = options.format() == Format.DOCKER;
      String mediaType = docker ? DOCKER_MANIFEST_LIST : OCI_INDEX;
      ObjectNode index = JSON.createObjectNode();
      index.put("schemaVersion", 2);
      index.put("mediaType", mediaType);
      ArrayNode manifests = index.putArray("manifests");
      for (Image image : images) {
        ObjectNode d = manifests.addObject();
        d.put("mediaType", image.mediaType());
        d.put("digest", image.digest());
        d.put("size", image.size());
        ObjectNode p = d.putObject("platform");
        p.put("architecture", image.platform().architecture());
        p.put("os", image.platform().os());
        if (image.platform().variant() != null) {
          p.put("variant", image.platform().variant());
        }
      }
      byte[] bytes = JSON.writeValueAsBytes(index);
      writeBlob(dir, bytes);
      Layout layout = new Layout(dir, tag, options.format(), mediaType, bytes, images);
      addToIndex(dir, tag, mediaType, layout.digest(), layout.size(), options.format());
      return layout;
    } catch (IOException e) {
      throw new UncheckedIOException("could not write OCI layout " + dir, e);
    }
  }

  private static void prepare(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("blobs").resolve("sha256"));
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}", StandardCharsets.UTF_8);
  }

  private static Image writeImage(Path dir, String tag, List<Long> layerSizes, Platform platform, Options options,
                                  int platformIndex) throws IOException {
    boolean docker = options.format() == Format.DOCKER;
    boolean gzip = options.compression() == Compression.GZIP;
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < layerSizes.size(); i++) {
      long size = layerSizes.get(i);
      if (size < 0) {
        throw new IllegalArgumentException("negative layer size " + size);
      }
      String mediaType = docker ? (gzip ? DOCKER_LAYER_GZIP : DOCKER_LAYER_TAR)
          : (gzip ? OCI_LAYER_GZIP : OCI_LAYER_TAR);
      long seed = options.seed() * 1_000_003L + platformIndex * 10_007L + i;
      layers.add(writeLayer(dir, mediaType, "tugboat/layer-" + i + ".bin", size, seed, gzip,
          options.created()));
    }

    ObjectNode config = JSON.createObjectNode();
    config.put("created", options.created().toString());
    config.put("architecture", platform.architecture());
    if (platform.variant() != null) {
      config.put("variant", platform.variant());
    }
    config.put("os", platform.os());
    ObjectNode cc = config.putObject("config");
    ArrayNode env = cc.putArray("Env");
    env.add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    env.add("TUGBOAT_TEST_IMAGE=" + tag);
    env.add("TUGBOAT_TEST_PLATFORM=" + platform);
    cc.putArray("Cmd").add("/bin/sh");
    cc.put("WorkingDir", "/");
    ObjectNode rootfs = config.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode diffIds = rootfs.putArray("diff_ids");
    layers.forEach(l -> diffIds.add(l.diffId()));
    ArrayNode history = config.putArray("history");
    for (int i = 0; i < layers.size(); i++) {
      ObjectNode h = history.addObject();
      h.put("created", options.created().toString());
      h.put("created_by", "tugboat TestImages: layer " + i + " (" + layers.get(i).fileSize() + " random bytes)");
    }
    ObjectNode cmd = history.addObject();
    cmd.put("created", options.created().toString());
    cmd.put("created_by", "CMD [\"/bin/sh\"]");
    cmd.put("empty_layer", true);
    byte[] configBytes = JSON.writeValueAsBytes(config);
    String configType = docker ? DOCKER_CONFIG : OCI_CONFIG;
    Blob configBlob = writeBlob(dir, configBytes, configType);

    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    String manifestType = docker ? DOCKER_MANIFEST : OCI_MANIFEST;
    manifest.put("mediaType", manifestType);
    ObjectNode c = manifest.putObject("config");
    c.put("mediaType", configType);
    c.put("digest", configBlob.digest());
    c.put("size", configBlob.size());
    ArrayNode ls = manifest.putArray("layers");
    for (Layer l : layers) {
      ObjectNode d = ls.addObject();
      d.put("mediaType", l.mediaType());
      d.put("digest", l.digest());
      d.put("size", l.size());
    }
    byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
    writeBlob(dir, manifestBytes);
    return new Image(platform, manifestType, manifestBytes, configBlob, configBytes, layers);
  }

  /** Streams a one-file tar (optionally gzip) to a temp file, hashing both forms, then moves it into place. */
  private static Layer writeLayer(Path dir, String mediaType, String fileName, long fileSize, long seed,
                                  boolean gzip, Instant mtime) throws IOException {
    Path blobs = dir.resolve("blobs").resolve("sha256");
    Path tmp = Files.createTempFile(blobs, ".layer-", ".tmp");
    MessageDigest blobSha = sha();
    MessageDigest tarSha = sha();
    CountingOutputStream counted;
    CountingOutputStream tarCounted;
    try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tmp), BUF)) {
      counted = new CountingOutputStream(new DigestOutputStream(file, blobSha));
      OutputStream compressed = gzip ? new FastGzip(counted) : counted;
      tarCounted = new CountingOutputStream(new DigestOutputStream(compressed, tarSha));
      writeTar(tarCounted, fileName, fileSize, seed, mtime);
      tarCounted.close(); // finishes gzip and closes the file
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    String digest = "sha256:" + HexFormat.of().formatHex(blobSha.digest());
    Path target = blobs.resolve(digest.substring(7));
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    String diffId = "sha256:" + HexFormat.of().formatHex(tarSha.digest());
    return new Layer(mediaType, digest, counted.count, target, diffId, tarCounted.count, fileSize);
  }

  private static void writeTar(OutputStream out, String name, long size, long seed, Instant mtime)
      throws IOException {
    if (size >= 8L * 1024 * 1024 * 1024) {
      throw new IllegalArgumentException("layer file too big for a ustar header: " + size);
    }
    byte[] header = new byte[512];
    putString(header, 0, 100, name);
    putOctal(header, 100, 8, 0644);
    putOctal(header, 108, 8, 0);
    putOctal(header, 116, 8, 0);
    putOctal(header, 124, 12, size);
    putOctal(header, 136, 12, mtime.getEpochSecond());
    Arrays.fill(header, 148, 156, (byte) ' ');
    header[156] = '0';
    putString(header, 257, 6, "ustar");
    putString(header, 263, 2, "00");
    putString(header, 265, 32, "root");
    putString(header, 297, 32, "root");
    long sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    byte[] chk = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(chk, 0, header, 148, 6);
    header[154] = 0;
    header[155] = ' ';
    out.write(header);

    SplittableRandom random = new SplittableRandom(seed);
    byte[] buf = new byte[BUF];
    ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    long remaining = size;
    while (remaining > 0) {
      bb.clear();
      while (bb.remaining() >= 8) {
        bb.putLong(random.nextLong());
      }
      int n = (int) Math.min(buf.length, remaining);
      out.write(buf, 0, n);
      remaining -= n;
    }
    int pad = (int) ((512 - size % 512) % 512);
    out.write(new byte[pad + 1024]); // padding + end-of-archive (two zero blocks)
  }

  private static void putString(byte[] h, int off, int len, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    if (b.length > len) {
      throw new IllegalArgumentException("tar field too long: " + s);
    }
    System.arraycopy(b, 0, h, off, b.length);
  }

  private static void putOctal(byte[] h, int off, int len, long v) {
    String s = String.format("%0" + (len - 1) + "o", v);
    putString(h, off, len - 1, s);
    h[off + len - 1] = 0;
  }

  private static String writeBlob(Path dir, byte[] bytes) throws IOException {
    return writeBlob(dir, bytes, "application/octet-stream").digest();
  }

  private static Blob writeBlob(Path dir, byte[] bytes, String mediaType) throws IOException {
    String digest = sha256(bytes);
    Path target = dir.resolve("blobs").resolve("sha256").resolve(digest.substring(7));
    if (!Files.exists(target)) {
      Files.write(target, bytes);
    }
    return new Blob(mediaType, digest, bytes.length, target);
  }

  /** index.json: replaces an entry with the same ref name, keeps the others. */
  private static synchronized void addToIndex(Path dir, String tag, String mediaType, String digest, long size,
                                              Format format) throws IOException {
    Path indexFile = dir.resolve("index.json");
    ObjectNode index;
    if (Files.exists(indexFile)) {
      index = (ObjectNode) JSON.readTree(indexFile.toFile());
    } else {
      index = JSON.createObjectNode();
      index.put("schemaVersion", 2);
      index.put("mediaType", OCI_INDEX);
      index.putArray("manifests");
    }
    ArrayNode old = (ArrayNode) index.get("manifests");
    ArrayNode manifests = JSON.createArrayNode();
    for (JsonNode d : old) {
      if (!tag.equals(d.path("annotations").path(REF_NAME).asText(null))) {
        manifests.add(d);
      }
    }
    ObjectNode d = manifests.addObject();
    d.put("mediaType", mediaType);
    d.put("digest", digest);
    d.put("size", size);
    d.putObject("annotations").put(REF_NAME, tag);
    index.set("manifests", manifests);
    Files.write(indexFile, JSON.writeValueAsBytes(index));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // pushing with skopeo

  /** Anonymous push of the layout's tag to {@code registry/repository:tag} with skopeo; verifies the digest. */
  public static void push(Layout layout, RegistryFixture registry, String repository, String tag) {
    push(layout, registry.host(), repository, tag, null);
  }

  /** Push with basic credentials {@code "user:password"}. */
  public static void push(Layout layout, RegistryFixture registry, String repository, String tag, String creds) {
    push(layout, registry.host(), repository, tag, creds);
  }

  /**
   * {@code skopeo copy --all --preserve-digests oci:<dir>:<tag> docker://<host>/<repository>:<tag>} against any
   * plain-HTTP loopback registry ({@code host} is {@code 127.0.0.1:PORT}, e.g. a {@link FaultProxy}); {@code creds}
   * is {@code "user:password"} or null. Afterwards HEAD {@code /v2/<repository>/manifests/<tag>} must answer the
   * layout's digest.
   */
  public static void push(Layout layout, String host, String repository, String tag, String creds) {
    if (!Files.isExecutable(SKOPEO)) {
      throw new IllegalStateException(SKOPEO + " is missing: apt-get install -y skopeo");
    }
    Path work = null;
    Process process = null;
    try {
      work = Files.createTempDirectory("tugboat-skopeo-");
      Path policy = work.resolve("policy.json");
      Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
      Path authFile = work.resolve("auth.json");
      Files.writeString(authFile, "{\"auths\":{}}");
      Path registriesConf = work.resolve("registries.conf");
      Files.writeString(registriesConf, "");
      Path output = work.resolve("skopeo.log");

      List<String> cmd = new ArrayList<>(List.of(SKOPEO.toString(), "--policy", policy.toString(),
          "--tmpdir", work.toString(),
          "copy", "--all", "--preserve-digests", "--retry-times", "0",
          "--dest-tls-verify=false", "--dest-authfile", authFile.toString()));
      if (creds != null) {
        cmd.add("--dest-creds");
        cmd.add(creds);
      } else {
        cmd.add("--dest-no-creds");
      }
      cmd.add(sourceReference(layout, work));
      cmd.add("docker://" + host + "/" + repository + ":" + tag);

      ProcessBuilder pb = new ProcessBuilder(cmd)
          .directory(work.toFile())
          .redirectErrorStream(true)
          .redirectOutput(output.toFile());
      pb.environment().put("TMPDIR", work.toString());
      pb.environment().put("REGISTRY_AUTH_FILE", authFile.toString());
      pb.environment().put("CONTAINERS_REGISTRIES_CONF", registriesConf.toString());
      pb.environment().put("XDG_RUNTIME_DIR", work.toString());
      process = pb.start();
      if (!process.waitFor(PUSH_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        throw new IllegalStateException("skopeo did not finish within " + PUSH_TIMEOUT + ": " + cmd + "\n"
            + Files.readString(output));
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException("skopeo exited with " + process.exitValue() + ": " + String.join(" ", cmd)
            + "\n" + Files.readString(output));
      }
      String pushed = headManifest("http://" + host, repository, tag, creds)
          .orElseThrow(() -> new IllegalStateException("after skopeo push, " + repository + ":" + tag
              + " is not in the registry"));
      if (!pushed.equals(layout.digest())) {
        throw new IllegalStateException("after skopeo push, " + repository + ":" + tag + " has digest " + pushed
            + ", the layout has " + layout.digest());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("skopeo push of " + layout + " failed", e);
    } catch (InterruptedException e) {
      if (process != null) {
        process.destroyForcibly();
      }
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while pushing " + layout, e);
    } finally {
      deleteTree(work);
    }
  }

  /**
   * skopeo 1.9 (containers/image 5.23) only resolves {@code oci:<dir>:<tag>} to OCI-typed descriptors; a Docker
   * schema2 manifest or manifest list is taken from a single-entry view of the layout ({@code blobs} symlinked)
   * addressed as {@code oci:<view>} without a tag. The bytes pushed are the same.
   */
  private static String sourceReference(Layout layout, Path work) throws IOException {
    if (layout.format() == Format.OCI) {
      return layout.ociReference();
    }
    Path view = Files.createDirectories(work.resolve("view"));
    Files.writeString(view.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}", StandardCharsets.UTF_8);
    Files.createSymbolicLink(view.resolve("blobs"), layout.dir().resolve("blobs").toAbsolutePath());
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", OCI_INDEX);
    ObjectNode d = index.putArray("manifests").addObject();
    d.put("mediaType", layout.mediaType());
    d.put("digest", layout.digest());
    d.put("size", layout.size());
    Files.write(view.resolve("index.json"), JSON.writeValueAsBytes(index));
    return "oci:" + view;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // plain HTTP helpers (small fixtures)

  /** Monolithic blob upload (POST + PUT ?digest=); returns the digest. */
  public static String pushBlob(RegistryFixture registry, String repository, byte[] bytes) {
    return pushBlob(registry.baseUrl(), repository, bytes, null);
  }

  public static String pushBlob(RegistryFixture registry, String repository, byte[] bytes, String creds) {
    return pushBlob(registry.baseUrl(), repository, bytes, creds);
  }

  /** {@code baseUrl} is {@code http://host:port}; {@code creds} {@code "user:password"} or null. */
  public static String pushBlob(String baseUrl, String repository, byte[] bytes, String creds) {
    String digest = sha256(bytes);
    HttpResponse<String> start = send(request(baseUrl + "/v2/" + repository + "/blobs/uploads/", creds)
        .POST(HttpRequest.BodyPublishers.noBody()).build());
    if (start.statusCode() != 202) {
      throw new IllegalStateException("POST blob upload answered " + start.statusCode() + ": " + start.body());
    }
    String location = start.headers().firstValue("Location")
        .orElseThrow(() -> new IllegalStateException("blob upload without Location"));
    URI uploadUri = URI.create(baseUrl + "/").resolve(location);
    String sep = uploadUri.toString().contains("?") ? "&" : "?";
    HttpResponse<String> put = send(request(uploadUri + sep + "digest=" + digest, creds)
        .header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
    if (put.statusCode() != 201) {
      throw new IllegalStateException("PUT blob " + digest + " answered " + put.statusCode() + ": " + put.body());
    }
    return digest;
  }

  /** PUT a manifest under {@code reference} (tag or digest); returns the registry's Docker-Content-Digest. */
  public static String pushManifest(RegistryFixture registry, String repository, String reference,
                                    String mediaType, byte[] bytes) {
    return pushManifest(registry.baseUrl(), repository, reference, mediaType, bytes, null);
  }

  public static String pushManifest(RegistryFixture registry, String repository, String reference,
                                    String mediaType, byte[] bytes, String creds) {
    return pushManifest(registry.baseUrl(), repository, reference, mediaType, bytes, creds);
  }

  public static String pushManifest(String baseUrl, String repository, String reference, String mediaType,
                                    byte[] bytes, String creds) {
    HttpResponse<String> put = send(request(baseUrl + "/v2/" + repository + "/manifests/" + reference, creds)
        .header("Content-Type", mediaType)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
    if (put.statusCode() != 201) {
      throw new IllegalStateException("PUT manifest " + repository + ":" + reference + " answered "
          + put.statusCode() + ": " + put.body());
    }
    return put.headers().firstValue("Docker-Content-Digest").orElse(sha256(bytes));
  }

  /** A small image pushed over plain HTTP: its manifest bytes and digest, and the blobs' digests. */
  public record SmallImage(String mediaType, byte[] manifestBytes, String digest, String configDigest,
                           String layerDigest) {
  }

  /**
   * Pushes a tiny OCI image (one small layer, seeded) and tags it with every tag in {@code tags} — the same
   * manifest bytes PUT under each tag, so 150 tags take well under a second.
   */
  public static SmallImage pushSmallImage(RegistryFixture registry, String repository, Collection<String> tags,
                                          long seed) {
    return pushSmallImage(registry.baseUrl(), repository, tags, seed, null);
  }

  public static SmallImage pushSmallImage(String baseUrl, String repository, Collection<String> tags, long seed,
                                          String creds) {
    if (tags.isEmpty()) {
      throw new IllegalArgumentException("at least one tag");
    }
    SplittableRandom random = new SplittableRandom(seed);
    byte[] layer = new byte[256];
    for (int i = 0; i < layer.length; i++) {
      layer[i] = (byte) random.nextInt(256);
    }
    ObjectNode config = JSON.createObjectNode();
    config.put("created", "2024-01-01T00:00:00Z");
    config.put("architecture", "amd64");
    config.put("os", "linux");
    config.putObject("config").putArray("Env").add("TUGBOAT_SMALL_SEED=" + seed);
    ObjectNode rootfs = config.putObject("rootfs");
    rootfs.put("type", "layers");
    rootfs.putArray("diff_ids").add(sha256(layer));
    byte[] configBytes;
    byte[] manifestBytes;
    try {
      configBytes = JSON.writeValueAsBytes(config);
      ObjectNode m = JSON.createObjectNode();
      m.put("schemaVersion", 2);
      m.put("mediaType", OCI_MANIFEST);
      ObjectNode c = m.putObject("config");
      c.put("mediaType", OCI_CONFIG);
      c.put("digest", sha256(configBytes));
      c.put("size", configBytes.length);
      ObjectNode l = m.putArray("layers").addObject();
      l.put("mediaType", OCI_LAYER_TAR);
      l.put("digest", sha256(layer));
      l.put("size", layer.length);
      manifestBytes = JSON.writeValueAsBytes(m);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String configDigest = pushBlob(baseUrl, repository, configBytes, creds);
    String layerDigest = pushBlob(baseUrl, repository, layer, creds);
    String digest = null;
    for (String tag : tags) {
      digest = pushManifest(baseUrl, repository, tag, OCI_MANIFEST, manifestBytes, creds);
    }
    return new SmallImage(OCI_MANIFEST, manifestBytes, digest, configDigest, layerDigest);
  }

  /** HEAD {@code /v2/<repository>/manifests/<reference>} accepting all four types: the digest, empty on 404. */
  public static Optional<String> headManifest(String baseUrl, String repository, String reference, String creds) {
    HttpResponse<String> head = send(request(baseUrl + "/v2/" + repository + "/manifests/" + reference, creds)
        .header("Accept", ACCEPT_ALL)
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    if (head.statusCode() == 404) {
      return Optional.empty();
    }
    if (head.statusCode() != 200) {
      throw new IllegalStateException("HEAD manifest " + repository + ":" + reference + " answered "
          + head.statusCode());
    }
    return Optional.of(head.headers().firstValue("Docker-Content-Digest")
        .orElseThrow(() -> new IllegalStateException("HEAD manifest without Docker-Content-Digest")));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // utilities

  public static String sha256(byte[] bytes) {
    return "sha256:" + HexFormat.of().formatHex(sha().digest(bytes));
  }

  /** {@code Basic base64(user:password)}. */
  public static String basicAuth(String creds) {
    return "Basic " + Base64.getEncoder().encodeToString(creds.getBytes(StandardCharsets.UTF_8));
  }

  private static HttpRequest.Builder request(String url, String creds) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    if (creds != null) {
      b.header("Authorization", basicAuth(creds));
    }
    return b;
  }

  private static HttpResponse<String> send(HttpRequest request) {
    try {
      return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + request.method() + " " + request.uri(), e);
    }
  }

  private static MessageDigest sha() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (var walk = Files.walk(root)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }

  private static final class FastGzip extends GZIPOutputStream {
    FastGzip(OutputStream out) throws IOException {
      super(out, BUF);
      def.setLevel(Deflater.BEST_SPEED);
    }
  }

  private static final class CountingOutputStream extends java.io.FilterOutputStream {
    long count;

    CountingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }
}
