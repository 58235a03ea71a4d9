package dev.tugboat.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests no well-behaved client sends: malformed escapes, invalid UTF-8,
 * bad chunk sizes, oversized lines. One request per connection ({@code Connection: close}); the answer is read
 * within a deadline (interim 1xx answers skipped), and a connection closed without an answer is reported as status 0.
 */
public final class RawHttp {
  /** An answer: status 0 when the server closed the connection without one. */
  public record Response(int status, Map<String, String> headers, String body, long millis) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private RawHttp() {}

  /** Sends {@code head} (request line and headers, CRLF-separated, without the blank line) and {@code body}. */
  public static Response send(int port, String head, byte[] body, int timeoutMillis) {
    long start = System.nanoTime();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
      var out = socket.getOutputStream();
      try {
        out.write((head + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
          out.write(body);
        }
        out.flush();
      } catch (java.net.SocketException refusedMidway) {
        // the server answered (and closed) before taking the whole body, e.g. an unparsable head: read its answer
      }
      return read(socket.getInputStream(), start);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no answer within " + timeoutMillis + " ms to: " + head.lines().findFirst().orElse(""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A request with a body and its Content-Length. An answer is checked against openapi.yaml ({@link ApiDescription}):
   * malformed requests have documented answers too. ({@link #send} is not checked: its heads may be refused by the
   * HTTP codec before any route sees them.)
   */
  public static Response request(int port, String method, String target, String contentType, byte[] body,
                                 int timeoutMillis) {
    StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port);
    if (contentType != null) {
      head.append("\r\nContent-Type: ").append(contentType);
    }
    if (body != null) {
      head.append("\r\nContent-Length: ").append(body.length);
    }
    Response response = send(port, head.toString(), body, timeoutMillis);
    if (response.status() != 0) {
      ApiDescription.check(method, target, response.status(), response.headers(), response.body());
    }
    return response;
  }

  private static Response read(InputStream in, long start) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        all.write(buffer, 0, n);
      }
    } catch (java.net.SocketException reset) {
      // a reset after the answer still leaves what was read
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    String text = all.toString(StandardCharsets.UTF_8);
    while (text.matches("(?s)HTTP/1\\.[01] 1\\d\\d .*") && text.contains("\r\n\r\n")) { // 100 Continue: interim
      text = text.substring(text.indexOf("\r\n\r\n") + 4);
    }
    int end = text.indexOf("\r\n\r\n");
    if (!text.startsWith("HTTP/") || end < 0) {
      return new Response(0, Map.of(), text, millis);
    }
    String[] lines = text.substring(0, end).split("\r\n");
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    String body = text.substring(end + 4);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = dechunk(body);
    }
    return new Response(Integer.parseInt(lines[0].split(" ")[1]), headers, body, millis);
  }

  private static String dechunk(String chunked) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (at < chunked.length()) {
      int eol = chunked.indexOf("\r\n", at);
      if (eol < 0) {
        break;
      }
      int size = Integer.parseInt(chunked.substring(at, eol).split(";")[0].trim(), 16);
      if (size == 0) {
        break;
      }
      out.append(chunked, eol + 2, Math.min(chunked.length(), eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    return out.toString();
  }
}
