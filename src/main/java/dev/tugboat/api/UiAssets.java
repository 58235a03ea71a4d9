package dev.tugboat.api;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The web UI's files, read once from the classpath ({@code webroot/} and the Pico stylesheet from its webjar) and
 * kept in memory with a gzip copy each: the whole UI is some 100 KB. {@link #version()} is a hash of every file,
 * so asset URLs change with their content and can be cached for good. Blocking: load it off the event loop.
 */
final class UiAssets {
  static final String ROOT = "webroot/";
  /** Where the stylesheet is served, under the asset prefix. */
  static final String PICO = "vendor/pico.min.css";
  /** Replaced in {@code index.html} by the versioned asset prefix ({@code /ui/assets/<version>}). */
  static final String PREFIX_MARK = "{{assets}}";

  /** One file: its bytes as served, gzipped, and its entity tag. */
  record Asset(String contentType, Buffer identity, Buffer gzip, String etag) {}

  private final Map<String, Asset> files;
  private final String version;

  private UiAssets(Map<String, Asset> files, String version) {
    this.files = files;
    this.version = version;
  }

  String version() {
    return version;
  }

  /** An asset by its path under the prefix ({@code js/app.js}), or null. */
  Asset asset(String path) {
    return files.get(path);
  }

  static UiAssets load(String prefixBase) {
    ClassLoader loader = UiAssets.class.getClassLoader();
    Map<String, byte[]> raw = new TreeMap<>();
    for (String name : list(loader)) {
      raw.put(name, read(loader, ROOT + name));
    }
    if (!raw.containsKey("index.html")) {
      throw new IllegalStateException("the web UI is missing from the classpath (" + ROOT + "index.html)");
    }
    String pico = properties("tugboat-ui.properties").getProperty("pico");
    raw.put(PICO, read(loader, pico));
    MessageDigest all = sha256();
    raw.forEach((name, bytes) -> {
      all.update(name.getBytes(StandardCharsets.UTF_8));
      all.update(sha256().digest(bytes));
    });
    String version = HexFormat.of().formatHex(all.digest()).substring(0, 16);
    String index = new String(raw.get("index.html"), StandardCharsets.UTF_8).replace(PREFIX_MARK, prefixBase + version);
    raw.put("index.html", index.getBytes(StandardCharsets.UTF_8));
    Map<String, Asset> files = new TreeMap<>();
    raw.forEach((name, bytes) -> files.put(name, new Asset(contentType(name), Buffer.buffer(bytes), Buffer.buffer(gzip(bytes)),
        "\"" + HexFormat.of().formatHex(sha256().digest(bytes)).substring(0, 32) + "\"")));
    return new UiAssets(Map.copyOf(files), version);
  }

  /** The file names under {@link #ROOT}, from a directory (development) or from the jar. */
  private static Iterable<String> list(ClassLoader loader) {
    URL index = loader.getResource(ROOT + "index.html");
    if (index == null) {
      return java.util.List.of();
    }
    try {
      if (index.getProtocol().equals("jar")) {
        JarURLConnection connection = (JarURLConnection) index.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
          return jar.stream().map(java.util.zip.ZipEntry::getName)
              .filter(n -> n.startsWith(ROOT) && !n.endsWith("/")).map(n -> n.substring(ROOT.length())).toList();
        }
      }
      Path root = Path.of(index.toURI()).getParent();
      try (Stream<Path> walk = Files.walk(root)) {
        return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/')).toList();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A properties file from the classpath (empty when absent). */
  static Properties properties(String resource) {
    Properties p = new Properties();
    try {
      p.load(new java.io.StringReader(text(resource, "")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  /** A text file from the classpath, or {@code fallback} when absent. */
  static String text(String resource, String fallback) {
    ClassLoader loader = UiAssets.class.getClassLoader();
    return loader.getResource(resource) == null ? fallback : new String(read(loader, resource), StandardCharsets.UTF_8);
  }

  private static byte[] read(ClassLoader loader, String resource) {
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("web UI file " + resource + " is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out) {
      {
        def.setLevel(Deflater.BEST_COMPRESSION);
      }
    }) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static String contentType(String name) {
    String ext = name.substring(name.lastIndexOf('.') + 1);
    return switch (ext) {
      case "html" -> "text/html; charset=utf-8";
      case "js" -> "text/javascript; charset=utf-8";
      case "css" -> "text/css; charset=utf-8";
      case "svg" -> "image/svg+xml";
      case "png" -> "image/png";
      case "json" -> "application/json";
      default -> "application/octet-stream";
    };
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
