package dev.tugboat.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A loopback HTTP/1.1 reverse proxy in front of a registry, with fault injection. Bodies are streamed in both
 * directions (never buffered), all end-to-end headers pass through (Location, WWW-Authenticate,
 * Docker-Content-Digest, Range, Link, ...); {@code Host} is set to the upstream and absolute {@code Location}
 * headers pointing at the upstream are rewritten to the proxy. Each request gets its own upstream connection;
 * client connections are kept alive.
 *
 * <p>Rules are thread-safe and may be changed while requests flow. Path regexes are matched with
 * {@link java.util.regex.Matcher#find()} against the request path without query string, e.g.
 * {@code "/manifests/"} or {@code "^/v2/app/blobs/sha256:"}. Fault rules ({@link #tooManyRequests},
 * {@link #serverError}) are checked in the order they were added; the first with remaining budget answers.
 *
 * <pre>{@code
 * try (RegistryFixture registry = RegistryFixture.start(); FaultProxy proxy = FaultProxy.start(registry)) {
 *   proxy.tooManyRequests("/manifests/", 2, 1);
 *   ... client against proxy.baseUrl() ...
 *   assertThat(proxy.requests()).extracting(FaultProxy.Request::status).startsWith(429, 429, 200);
 * }
 * }</pre>
 */
public final class FaultProxy implements AutoCloseable {
  private static final String LOOPBACK = "127.0.0.1";
  private static final int IO_TIMEOUT_MS = 60_000;
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  private static final int MAX_HEAD_BYTES = 64 * 1024;
  private static final int MAX_HEADERS = 200;
  private static final int MAX_REQUESTS_PER_CONNECTION = 100_000;
  private static final long MAX_DRAIN = 1024 * 1024;
  private static final int BUF = 64 * 1024;

  private final String upstreamHost;
  private final ServerSocket server;
  private final ExecutorService pool;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final List<StatusRule> statusRules = new CopyOnWriteArrayList<>();
  private final List<CutRule> cutRules = new CopyOnWriteArrayList<>();
  private final List<HeaderRule> headerRules = new CopyOnWriteArrayList<>();
  private final List<Request> log = new CopyOnWriteArrayList<>();
  /** Exchanges between reading a request head and logging it; the client may see the answer before the log line. */
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closed;

  /**
   * One proxied or answered request. {@code fault} is "" when the upstream answered untouched; {@code nanos} is
   * {@link System#nanoTime()} when it was logged (its answer had been sent).
   */
  public record Request(String method, String path, int status, String fault, long nanos) {
    Request(String method, String path, int status, String fault) {
      this(method, path, status, fault, System.nanoTime());
    }

    @Override
    public String toString() {
      return method + " " + path + " -> " + status + (fault.isEmpty() ? "" : " [" + fault + "]");
    }
  }

  private record StatusRule(Pattern path, AtomicInteger remaining, int status, int retryAfterSeconds, String code,
                            String message) {
  }

  private record CutRule(Pattern path, AtomicInteger remaining, long bytes) {
  }

  private record HeaderRule(Pattern path, Map<String, String> headers) {
  }

  private final List<String> authorized = new CopyOnWriteArrayList<>();
  private final List<String[]> redirects = new CopyOnWriteArrayList<>();
  private String bindAddress = LOOPBACK;

  private FaultProxy(String upstreamHost, ServerSocket server) {
    this.upstreamHost = upstreamHost;
    this.server = server;
    AtomicLong n = new AtomicLong();
    this.pool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fault-proxy-" + server.getLocalPort() + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public static FaultProxy start(RegistryFixture upstream) {
    return start(upstream.host());
  }

  /** {@code upstreamHost} is {@code 127.0.0.1:PORT}. */
  public static FaultProxy start(String upstreamHost) {
    return start(upstreamHost, LOOPBACK);
  }

  /** A proxy listening on another loopback address (e.g. 127.0.0.2: another host as far as clients can tell). */
  public static FaultProxy start(String upstreamHost, String bindAddress) {
    Objects.requireNonNull(upstreamHost, "upstreamHost");
    if (!upstreamHost.contains(":")) {
      throw new IllegalArgumentException("upstream must be host:port, got " + upstreamHost);
    }
    try {
      ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName(bindAddress));
      FaultProxy proxy = new FaultProxy(upstreamHost, server);
      proxy.bindAddress = bindAddress;
      proxy.pool.execute(proxy::acceptLoop);
      return proxy;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("could not start fault proxy", e);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // rules

  /**
   * The first {@code times} matching requests get {@code 429 Too Many Requests} with {@code Retry-After} and an OCI
   * error body {@code TOOMANYREQUESTS}, without reaching the upstream.
   */
  public FaultProxy tooManyRequests(String pathRegex, int times, int retryAfterSeconds) {
    statusRules.add(new StatusRule(Pattern.compile(pathRegex), new AtomicInteger(times), 429, retryAfterSeconds,
        "TOOMANYREQUESTS", "slow down"));
    return this;
  }

  /** The first {@code times} matching requests get {@code status} (e.g. 503) with an OCI error body. */
  public FaultProxy serverError(String pathRegex, int times, int status) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("not an error status: " + status);
    }
    String code = switch (status) {
      case 503 -> "UNAVAILABLE";
      case 429 -> "TOOMANYREQUESTS";
      default -> "UNKNOWN";
    };
    statusRules.add(new StatusRule(Pattern.compile(pathRegex), new AtomicInteger(times), status, -1, code,
        "injected error " + status));
    return this;
  }

  /**
   * Every matching request: the upstream's status and headers (incl. the full Content-Length) pass, then the
   * connection is closed after {@code bytes} body bytes.
   */
  public FaultProxy cutAfter(String pathRegex, long bytes) {
    return cutAfter(pathRegex, bytes, Integer.MAX_VALUE);
  }

  /** Like {@link #cutAfter(String, long)} for the first {@code times} matching requests only. */
  public FaultProxy cutAfter(String pathRegex, long bytes, int times) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes < 0");
    }
    cutRules.add(new CutRule(Pattern.compile(pathRegex), new AtomicInteger(times), bytes));
    return this;
  }

  /** Adds (or replaces) these response headers on every matching response, proxied or injected. */
  public FaultProxy addHeaders(String pathRegex, Map<String, String> headers) {
    headerRules.add(new HeaderRule(Pattern.compile(pathRegex), Map.copyOf(new LinkedHashMap<>(headers))));
    return this;
  }

  /** Removes all rules (the request log stays). */
  /** Matching GET/HEAD requests get {@code 307} to {@code toBaseUrl} + the same path and query (a storage/CDN redirect). */
  public FaultProxy redirect(String pathRegex, String toBaseUrl) {
    redirects.add(new String[] {pathRegex, toBaseUrl});
    return this;
  }

  /** Paths of the requests that carried an {@code Authorization} header, in arrival order. */
  public List<String> authorizedPaths() {
    return List.copyOf(authorized);
  }

  public FaultProxy clearRules() {
    redirects.clear();
    authorized.clear();
    statusRules.clear();
    cutRules.clear();
    headerRules.clear();
    return this;
  }

  /** Snapshot of all requests so far, in completion order (after in-flight exchanges are logged). */
  public List<Request> requests() {
    settle();
    return List.copyOf(log);
  }

  /** Requests whose path (with query) finds {@code pathRegex}. */
  public List<Request> requests(String pathRegex) {
    settle();
    Pattern p = Pattern.compile(pathRegex);
    return log.stream().filter(r -> p.matcher(r.path()).find()).toList();
  }

  /**
   * The proxy logs an exchange after flushing its answer, so a client can hold the response before the
   * log line exists; wait (bounded) until no exchange is between its request head and its log line.
   */
  private void settle() {
    long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  public void clearRequests() {
    log.clear();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // addresses

  /** {@code http://127.0.0.1:PORT} */
  public String baseUrl() {
    return "http://" + host();
  }

  /** {@code 127.0.0.1:PORT} */
  public String host() {
    return bindAddress + ":" + port();
  }

  public int port() {
    return server.getLocalPort();
  }

  public String upstreamHost() {
    return upstreamHost;
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    pool.shutdownNow();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "FaultProxy[" + baseUrl() + " -> " + upstreamHost + "]";
  }

  // ---------------------------------------------------------------------------------------------------------------
  // proxying

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      sockets.add(client);
      try {
        pool.execute(() -> serve(client));
      } catch (RuntimeException e) { // rejected after close
        sockets.remove(client);
        closeQuietly(client);
      }
    }
  }

  private void serve(Socket client) {
    try {
      client.setSoTimeout(IO_TIMEOUT_MS);
      client.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(client.getInputStream(), BUF);
      OutputStream out = new BufferedOutputStream(client.getOutputStream(), BUF);
      for (int i = 0; i < MAX_REQUESTS_PER_CONNECTION && !closed; i++) {
        Head request = readHead(in);
        if (request == null) {
          break;
        }
        inFlight.incrementAndGet();
        try {
          if (!handle(request, in, out)) {
            break;
          }
        } finally {
          inFlight.decrementAndGet();
        }
      }
    } catch (IOException ignored) {
      // client went away or timed out
    } finally {
      sockets.remove(client);
      closeQuietly(client);
    }
  }

  /** Returns whether the client connection may be reused. */
  private boolean handle(Head req, InputStream clientIn, OutputStream clientOut) throws IOException {
    String[] parts = req.startLine.split(" ", 3);
    if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
      writeSimple(clientOut, "GET", 400, "Bad Request", "text/plain", "bad request line\n", List.of(), true);
      return false;
    }
    String method = parts[0];
    String target = parts[1];
    String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
    boolean http10 = parts[2].equals("HTTP/1.0");
    boolean clientClose = http10 ? !req.hasToken("Connection", "keep-alive") : req.hasToken("Connection", "close");
    boolean chunkedRequest = req.hasToken("Transfer-Encoding", "chunked");
    long requestLength = chunkedRequest ? -1 : req.contentLength();
    boolean expectContinue = req.hasToken("Expect", "100-continue");
    boolean head = method.equals("HEAD");
    List<String[]> extra = extraHeaders(path);

    if (req.first("Authorization") != null) {
      authorized.add(path);
    }
    for (String[] redirect : redirects) {
      if ((method.equals("GET") || head) && Pattern.compile(redirect[0]).matcher(path).find()) {
        List<String[]> headers = new ArrayList<>(extra);
        headers.add(new String[] {"Location", redirect[1] + target});
        writeSimple(clientOut, method, 307, "Temporary Redirect", "text/plain", "", headers, clientClose);
        log.add(new Request(method, target, 307, "redirected"));
        return !clientClose;
      }
    }

    StatusRule fault = takeStatusRule(path);
    if (fault != null) {
      // The body is not wanted: drain a small one to keep the connection, otherwise close it.
      boolean keep = !clientClose;
      if (chunkedRequest || expectContinue || requestLength > MAX_DRAIN) {
        keep = false;
      } else if (requestLength > 0) {
        copyFixed(clientIn, OutputStream.nullOutputStream(), requestLength);
      }
      List<String[]> headers = new ArrayList<>();
      if (fault.retryAfterSeconds >= 0) {
        headers.add(new String[] {"Retry-After", Integer.toString(fault.retryAfterSeconds)});
      }
      headers.add(new String[] {"Docker-Distribution-Api-Version", "registry/2.0"});
      headers.addAll(extra);
      String body = "{\"errors\":[{\"code\":\"" + fault.code + "\",\"message\":\"" + fault.message + "\"}]}";
      writeSimple(clientOut, method, fault.status, reason(fault.status), "application/json; charset=utf-8", body,
          headers, !keep);
      log.add(new Request(method, target, fault.status, "injected " + fault.status));
      return keep;
    }

    Socket upstream = new Socket();
    sockets.add(upstream);
    try {
      try {
        upstream.connect(upstreamAddress(), CONNECT_TIMEOUT_MS);
        upstream.setSoTimeout(IO_TIMEOUT_MS);
        upstream.setTcpNoDelay(true);
      } catch (IOException e) {
        writeSimple(clientOut, method, 502, "Bad Gateway", "text/plain", "upstream unreachable: " + e + "\n",
            extra, true);
        log.add(new Request(method, target, 502, "upstream unreachable"));
        return false;
      }
      InputStream upIn = new BufferedInputStream(upstream.getInputStream(), BUF);
      OutputStream upOut = new UpstreamOut(new BufferedOutputStream(upstream.getOutputStream(), BUF));

      StringBuilder head2 = new StringBuilder();
      head2.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
      head2.append("Host: ").append(upstreamHost).append("\r\n");
      for (String[] h : req.headers) {
        String name = h[0].toLowerCase(Locale.ROOT);
        if (name.equals("host") || name.equals("connection") || name.equals("keep-alive")
            || name.equals("proxy-connection") || name.equals("expect") || name.equals("upgrade")) {
          continue;
        }
        head2.append(h[0]).append(": ").append(h[1]).append("\r\n");
      }
      head2.append("Connection: close\r\n\r\n");
      boolean requestBodyComplete = true;
      try {
        upOut.write(head2.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (expectContinue) {
          clientOut.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
          clientOut.flush();
        }
        if (chunkedRequest) {
          copyChunked(clientIn, upOut, Long.MAX_VALUE);
        } else if (requestLength > 0) {
          copyFixed(clientIn, upOut, requestLength);
        }
        upOut.flush();
      } catch (UpstreamWriteException e) {
        requestBodyComplete = false; // upstream answered early and closed; read its answer below
      }

      Head resp = readHead(upIn);
      int interim = 0;
      while (resp != null && resp.status() >= 100 && resp.status() < 200 && interim++ < 10) {
        resp = readHead(upIn); // our own 100 Continue was sent already
      }
      if (resp == null) {
        writeSimple(clientOut, method, 502, "Bad Gateway", "text/plain", "upstream closed without answer\n",
            extra, true);
        log.add(new Request(method, target, 502, "upstream closed"));
        return false;
      }
      int status = resp.status();
      boolean noBody = head || status == 204 || status == 304;
      boolean chunkedResponse = !noBody && resp.hasToken("Transfer-Encoding", "chunked");
      long responseLength = noBody || chunkedResponse ? -1 : resp.contentLength();
      boolean untilEof = !noBody && !chunkedResponse && responseLength < 0;
      CutRule cut = takeCutRule(path);
      boolean keep = !clientClose && !untilEof && requestBodyComplete && cut == null;

      StringBuilder out = new StringBuilder();
      out.append("HTTP/1.1 ").append(resp.startLine.length() > 9 ? resp.startLine.substring(9) : status)
          .append("\r\n");
      Set<String> overridden = new java.util.HashSet<>();
      extra.forEach(h -> overridden.add(h[0].toLowerCase(Locale.ROOT)));
      for (String[] h : resp.headers) {
        String name = h[0].toLowerCase(Locale.ROOT);
        if (name.equals("connection") || name.equals("keep-alive") || name.equals("proxy-connection")
            || overridden.contains(name)) {
          continue;
        }
        String value = name.equals("location") ? rewriteLocation(h[1]) : h[1];
        out.append(h[0]).append(": ").append(value).append("\r\n");
      }
      for (String[] h : extra) {
        out.append(h[0]).append(": ").append(h[1]).append("\r\n");
      }
      if (!keep) {
        out.append("Connection: close\r\n");
      }
      out.append("\r\n");
      clientOut.write(out.toString().getBytes(StandardCharsets.ISO_8859_1));

      long limit = cut == null ? Long.MAX_VALUE : cut.bytes;
      boolean cutHappened = false;
      if (chunkedResponse) {
        cutHappened = !copyChunked(upIn, clientOut, limit);
      } else if (responseLength > 0) {
        long n = Math.min(limit, responseLength);
        copyFixed(upIn, clientOut, n);
        cutHappened = n < responseLength;
      } else if (untilEof) {
        cutHappened = copyUntilEof(upIn, clientOut, limit);
      }
      clientOut.flush();
      log.add(new Request(method, target, status, cutHappened ? "cut after " + limit + " bytes" : ""));
      return keep;
    } finally {
      sockets.remove(upstream);
      closeQuietly(upstream);
    }
  }

  private InetSocketAddress upstreamAddress() {
    int colon = upstreamHost.lastIndexOf(':');
    return new InetSocketAddress(upstreamHost.substring(0, colon), Integer.parseInt(upstreamHost.substring(colon + 1)));
  }

  private String rewriteLocation(String value) {
    for (String scheme : List.of("http://", "https://")) {
      String prefix = scheme + upstreamHost;
      if (value.startsWith(prefix) && (value.length() == prefix.length() || value.charAt(prefix.length()) == '/'
          || value.charAt(prefix.length()) == '?')) {
        return "http://" + host() + value.substring(prefix.length());
      }
    }
    return value;
  }

  private StatusRule takeStatusRule(String path) {
    for (StatusRule r : statusRules) {
      if (r.path.matcher(path).find() && r.remaining.getAndUpdate(x -> x > 0 ? x - 1 : x) > 0) {
        return r;
      }
    }
    return null;
  }

  private CutRule takeCutRule(String path) {
    for (CutRule r : cutRules) {
      if (r.path.matcher(path).find() && r.remaining.getAndUpdate(x -> x > 0 ? x - 1 : x) > 0) {
        return r;
      }
    }
    return null;
  }

  private List<String[]> extraHeaders(String path) {
    Map<String, String[]> out = new LinkedHashMap<>();
    for (HeaderRule r : headerRules) {
      if (r.path.matcher(path).find()) {
        r.headers.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), new String[] {k, v}));
      }
    }
    return new ArrayList<>(out.values());
  }

  private static void writeSimple(OutputStream out, String method, int status, String reason, String contentType,
                                  String body, List<String[]> headers, boolean close) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder();
    b.append("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n");
    b.append("Content-Type: ").append(contentType).append("\r\n");
    b.append("Content-Length: ").append(bytes.length).append("\r\n");
    for (String[] h : headers) {
      b.append(h[0]).append(": ").append(h[1]).append("\r\n");
    }
    if (close) {
      b.append("Connection: close\r\n");
    }
    b.append("\r\n");
    out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (!method.equals("HEAD")) {
      out.write(bytes);
    }
    out.flush();
  }

  private static String reason(int status) {
    return switch (status) {
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "Error";
    };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // HTTP/1.1 framing

  private static final class Head {
    final String startLine;
    final List<String[]> headers;

    Head(String startLine, List<String[]> headers) {
      this.startLine = startLine;
      this.headers = headers;
    }

    String first(String name) {
      for (String[] h : headers) {
        if (h[0].equalsIgnoreCase(name)) {
          return h[1];
        }
      }
      return null;
    }

    boolean hasToken(String name, String token) {
      for (String[] h : headers) {
        if (h[0].equalsIgnoreCase(name)) {
          for (String t : h[1].split(",")) {
            if (t.trim().equalsIgnoreCase(token)) {
              return true;
            }
          }
        }
      }
      return false;
    }

    long contentLength() throws IOException {
      String v = first("Content-Length");
      if (v == null) {
        return -1;
      }
      try {
        return Long.parseLong(v.trim());
      } catch (NumberFormatException e) {
        throw new IOException("bad Content-Length " + v);
      }
    }

    int status() throws IOException {
      String[] p = startLine.split(" ", 3);
      try {
        return Integer.parseInt(p[1]);
      } catch (RuntimeException e) {
        throw new IOException("bad status line " + startLine);
      }
    }
  }

  /** Reads a start line and headers; null on a clean EOF before the first byte. */
  private static Head readHead(InputStream in) throws IOException {
    int[] budget = {MAX_HEAD_BYTES};
    String start = readLine(in, budget);
    if (start == null) {
      return null;
    }
    int blank = 0;
    while (start.isEmpty() && blank++ < 4) { // tolerate stray CRLF between requests
      start = readLine(in, budget);
      if (start == null) {
        return null;
      }
    }
    List<String[]> headers = new ArrayList<>();
    for (int i = 0; i <= MAX_HEADERS; i++) {
      String line = readLine(in, budget);
      if (line == null) {
        throw new EOFException("EOF in headers");
      }
      if (line.isEmpty()) {
        return new Head(start, headers);
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IOException("bad header line " + line);
      }
      headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
    }
    throw new IOException("too many headers");
  }

  /** A CRLF (or LF) terminated line in ISO-8859-1; null on EOF before any byte. */
  private static String readLine(InputStream in, int[] budget) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(128);
    while (true) {
      int c = in.read();
      if (c < 0) {
        if (b.size() == 0) {
          return null;
        }
        throw new EOFException("EOF in line");
      }
      if (--budget[0] < 0) {
        throw new IOException("head too large");
      }
      if (c == '\n') {
        byte[] bytes = b.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
      }
      b.write(c);
    }
  }

  /** Marks a failed write to the upstream (as opposed to a failed read from the client). */
  private static final class UpstreamWriteException extends IOException {
    UpstreamWriteException(IOException cause) {
      super(cause);
    }
  }

  private static void copyFixed(InputStream in, OutputStream out, long n) throws IOException {
    byte[] buf = new byte[BUF];
    long remaining = n;
    while (remaining > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, remaining));
      if (r < 0) {
        throw new EOFException("EOF with " + remaining + " of " + n + " bytes left");
      }
      write(out, buf, r);
      remaining -= r;
    }
  }

  /** Copies until EOF or {@code limit} bytes; returns whether it stopped at the limit with data left. */
  private static boolean copyUntilEof(InputStream in, OutputStream out, long limit) throws IOException {
    byte[] buf = new byte[BUF];
    long copied = 0;
    while (true) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, Math.max(1, limit - copied)));
      if (r < 0) {
        return false;
      }
      if (copied >= limit) {
        return true;
      }
      write(out, buf, r);
      copied += r;
    }
  }

  /**
   * Relays a chunked body verbatim (framing included). Stops after {@code limit} payload bytes: returns false when
   * cut, true when the terminating chunk and trailers were relayed.
   */
  private static boolean copyChunked(InputStream in, OutputStream out, long limit) throws IOException {
    long payload = 0;
    int[] budget = {Integer.MAX_VALUE};
    while (true) {
      String sizeLine = readLine(in, budget);
      if (sizeLine == null) {
        throw new EOFException("EOF in chunked body");
      }
      String hex = sizeLine.contains(";") ? sizeLine.substring(0, sizeLine.indexOf(';')) : sizeLine;
      long size;
      try {
        size = Long.parseLong(hex.trim(), 16);
      } catch (NumberFormatException e) {
        throw new IOException("bad chunk size line " + sizeLine);
      }
      if (size == 0) {
        write(out, (sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        for (int i = 0; i <= MAX_HEADERS; i++) {
          String trailer = readLine(in, budget);
          if (trailer == null) {
            throw new EOFException("EOF in chunked trailers");
          }
          write(out, (trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          if (trailer.isEmpty()) {
            return true;
          }
        }
        throw new IOException("too many trailers");
      }
      long allowed = Math.min(size, limit - payload);
      write(out, (sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      copyFixed(in, out, allowed);
      payload += allowed;
      if (allowed < size) {
        return false;
      }
      String crlf = readLine(in, budget);
      if (crlf == null || !crlf.isEmpty()) {
        throw new IOException("bad chunk terminator");
      }
      write(out, "\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
  }

  private static void write(OutputStream out, byte[] b) throws IOException {
    write(out, b, b.length);
  }

  private static void write(OutputStream out, byte[] b, int len) throws IOException {
    out.write(b, 0, len);
  }

  /** Turns every write/flush failure into an {@link UpstreamWriteException}. */
  private static final class UpstreamOut extends java.io.FilterOutputStream {
    UpstreamOut(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      try {
        out.write(b);
      } catch (IOException e) {
        throw new UpstreamWriteException(e);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        throw new UpstreamWriteException(e);
      }
    }

    @Override
    public void flush() throws IOException {
      try {
        out.flush();
      } catch (IOException e) {
        throw new UpstreamWriteException(e);
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
