package dev.tugboat.api;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemException;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.Yaml;

/**
 * Bearer tokens from an imagelist-format file ({@code tokens: [{name, token, is_disabled, description}]}).
 * The file is re-read every {@code auth.reloadInterval} and compared by content, which notices in-place
 * writes, replacement by rename, deletion and Kubernetes ConfigMap symlink swaps alike (a directory
 * watch misses the last). A missing file means no token is accepted; a file that fails to parse keeps
 * the last good tokens. Tokens are kept as SHA-256 hashes and compared in constant time.
 */
public final class TokenAuth {
  private static final Logger LOG = LoggerFactory.getLogger(TokenAuth.class);

  private final Vertx vertx;
  private final String path;
  private volatile List<byte[]> tokenHashes = List.of();
  private byte[] lastContentHash;
  private long timer = -1;

  private TokenAuth(Vertx vertx, String path) {
    this.vertx = vertx;
    this.path = path;
  }

  /** Auth off: every request passes (imagelist without --tokens-file). */
  public static TokenAuth disabled(Vertx vertx) {
    return new TokenAuth(vertx, null);
  }

  /** Reads the file once, then keeps checking it. */
  public static Future<TokenAuth> watch(Vertx vertx, String path, Duration interval) {
    TokenAuth auth = new TokenAuth(vertx, path);
    return auth.reload().map(ignored -> {
      auth.timer = vertx.setPeriodic(interval.toMillis(), id -> auth.reload());
      return auth;
    });
  }

  public boolean enabled() {
    return path != null;
  }

  /** Route handler for mutating routes: 401 unless auth is off or the bearer token is known and enabled. */
  public Handler<RoutingContext> required() {
    return ctx -> {
      if (accepts(ctx.request().getHeader("Authorization"))) {
        ctx.next();
      } else {
        ErrorHandler.send(ctx, ApiError.unauthorized());
      }
    };
  }

  public boolean accepts(String authorization) {
    if (path == null) {
      return true;
    }
    return bearerMatches(authorization, tokenHashes);
  }

  /** The hash a token is kept as ({@link #bearerMatches} compares hashes, never the tokens themselves). */
  public static byte[] hash(String token) {
    return sha256(token.trim().getBytes(StandardCharsets.UTF_8));
  }

  /** Whether {@code authorization} is {@code Bearer <token>} for one of the {@link #hash hashed} tokens, in constant time. */
  public static boolean bearerMatches(String authorization, List<byte[]> hashes) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    String token = authorization.substring(7).trim();
    if (token.isEmpty()) {
      return false;
    }
    byte[] presented = hash(token);
    boolean found = false;
    for (byte[] known : hashes) { // no early exit: time does not depend on which token matched
      found |= MessageDigest.isEqual(known, presented);
    }
    return found;
  }

  Future<Void> reload() {
    return vertx.fileSystem().readFile(path).transform(read -> {
      if (read.failed()) {
        onUnreadable(read.cause());
      } else {
        onContent(read.result());
      }
      return Future.<Void>succeededFuture();
    });
  }

  private void onUnreadable(Throwable cause) {
    if (lastContentHash == null || lastContentHash.length > 0) { // log the change, not every check
      boolean missing = cause instanceof FileSystemException && cause.getCause() instanceof NoSuchFileException;
      LOG.warn("tokens file {} {}: no token is accepted until it can be read", path,
          missing ? "is missing" : "cannot be read (" + cause.getMessage() + ")");
    }
    tokenHashes = List.of();
    lastContentHash = new byte[0];
  }

  private void onContent(Buffer content) {
    byte[] contentHash = sha256(content.getBytes());
    if (lastContentHash != null && MessageDigest.isEqual(contentHash, lastContentHash)) {
      return;
    }
    lastContentHash = contentHash;
    try {
      List<byte[]> parsed = parse(content.toString(StandardCharsets.UTF_8));
      tokenHashes = parsed;
      LOG.info("tokens file {} loaded: {} enabled token(s)", path, parsed.size());
    } catch (RuntimeException e) {
      LOG.warn("tokens file {} not loaded, keeping the {} token(s) loaded before: {}", path, tokenHashes.size(), e.getMessage());
    }
  }

  /** The enabled tokens' hashes; throws with a reason (never a token value) when the file is malformed. */
  static List<byte[]> parse(String yaml) {
    Object root;
    try {
      root = new Yaml().load(yaml);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not valid YAML: " + e.getClass().getSimpleName());
    }
    if (!(root instanceof Map<?, ?> map) || !(map.get("tokens") instanceof List<?> tokens)) {
      throw new IllegalArgumentException("expected a top-level 'tokens:' list");
    }
    List<byte[]> hashes = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      if (!(tokens.get(i) instanceof Map<?, ?> entry)) {
        throw new IllegalArgumentException("tokens[" + i + "] is not a mapping");
      }
      Object token = entry.get("token");
      String s = token instanceof String || token instanceof Number ? String.valueOf(token) : null; // token: 12345
      if (s == null || s.isBlank()) {
        throw new IllegalArgumentException("tokens[" + i + "].token is missing or empty");
      }
      Object disabled = entry.get("is_disabled");
      if (disabled != null && !(disabled instanceof Boolean)) {
        throw new IllegalArgumentException("tokens[" + i + "].is_disabled must be true or false");
      }
      if (!Boolean.TRUE.equals(disabled)) {
        hashes.add(hash(s));
      }
    }
    return List.copyOf(hashes);
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public void close() {
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
  }
}
