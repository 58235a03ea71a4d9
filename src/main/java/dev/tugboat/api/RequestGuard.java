package dev.tugboat.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The request's path and query must be well-formed percent-encoding of {@link Text}-acceptable UTF-8, so no
 * handler ever sees a NUL, a control character or a malformed escape (which the databases and the router's own
 * decoder would answer with a 500 or a bare 400). A path or query that cannot be decoded cannot be routed either:
 * it is answered before the router ({@link #undecodable}); every other refusal is the router's first handler,
 * so it comes in the error shape of the route the request was for. Refusals name {@code path} or the query
 * parameter.
 */
public final class RequestGuard implements Handler<RoutingContext> {
  /** Longest decoded path or query value accepted (the HTTP server's line limit bounds the raw form). */
  private static final int MAX_COMPONENT = 8192;

  /**
   * A 400 for a request the router cannot even look at, or null: a path it could not match, or a query Netty's
   * decoder throws on (malformed escapes, invalid UTF-8), which any route with path parameters reads while routing.
   */
  public static ApiError undecodable(io.vertx.core.http.HttpServerRequest request) {
    if (request.path() != null && decode(request.path(), false) == null) {
      return ApiError.invalid("path", "the request path is not valid percent-encoded UTF-8");
    }
    return queryProblem(request.query(), true);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String problem = problem(ctx.request().path(), false);
    if (problem != null) {
      ctx.fail(ApiError.invalid("path", "the request path " + problem));
      return;
    }
    ApiError query = queryProblem(ctx.request().query(), false);
    if (query != null) {
      ctx.fail(query);
      return;
    }
    ctx.next();
  }

  /** The first query parameter refused (only for its encoding when {@code encodingOnly}), named; or null. */
  private static ApiError queryProblem(String query, boolean encodingOnly) {
    if (query == null || query.isEmpty()) {
      return null;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String rawName = eq < 0 ? pair : pair.substring(0, eq);
      String name = decode(rawName, true);
      String field = name != null && Text.problem(name, 128) == null ? name : "query";
      String problem = name == null ? "is not valid percent-encoded UTF-8" : encodingOnly ? null : Text.problem(name, 128);
      if (problem == null && eq >= 0) {
        String value = pair.substring(eq + 1);
        problem = encodingOnly ? decode(value, true) == null ? "is not valid percent-encoded UTF-8" : null
            : problem(value, true);
      }
      if (problem != null) {
        return ApiError.invalid(field, "query parameter " + field + " " + problem);
      }
    }
    return null;
  }

  /** Why a raw path or query value is refused, or null. */
  static String problem(String raw, boolean query) {
    if (raw == null) {
      return null;
    }
    String decoded = decode(raw, query);
    return decoded == null ? "is not valid percent-encoded UTF-8" : Text.problem(decoded, MAX_COMPONENT);
  }

  /** Strict percent-decoding ({@code +} is a space in queries): null for a malformed escape or invalid UTF-8. */
  static String decode(String raw, boolean query) {
    if (raw.indexOf('%') < 0 && !(query && raw.indexOf('+') >= 0)) {
      return raw;
    }
    ByteBuffer bytes = ByteBuffer.allocate(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          return null;
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        bytes.put((byte) (hi << 4 | lo));
        i += 2;
      } else if (query && c == '+') {
        bytes.put((byte) ' ');
      } else if (c < 0x100) { // the HTTP decoder reads request-line bytes as ISO-8859-1: each char is a byte
        bytes.put((byte) c);
      } else {
        return null;
      }
    }
    bytes.flip();
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
