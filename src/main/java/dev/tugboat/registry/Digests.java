package dev.tugboat.registry;

import io.vertx.core.buffer.Buffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** sha256 digests in the {@code sha256:<hex>} form registries use. */
public final class Digests {
  private Digests() {}

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String of(Buffer content) {
    return format(sha256().digest(content.getBytes()));
  }

  public static String format(byte[] hash) {
    return "sha256:" + HexFormat.of().formatHex(hash);
  }
}
