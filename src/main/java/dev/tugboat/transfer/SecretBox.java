package dev.tugboat.transfer;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals a job's credentials with AES-256-GCM (random 96-bit nonce per value, stored as
 * {@code base64(nonce || ciphertext+tag)}). The key is shared by every node (transfer.secretKey, or one
 * generated once and kept in the database), so any node can resume any job.
 */
final class SecretBox {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int NONCE = 12;
  private final SecretKeySpec key;

  SecretBox(byte[] key) {
    if (key.length != 32) {
      throw new IllegalArgumentException("transfer.secretKey must be 32 bytes (base64), got " + key.length);
    }
    this.key = new SecretKeySpec(key, "AES");
  }

  static SecretBox fromBase64(String key) {
    return new SecretBox(Base64.getDecoder().decode(key.trim()));
  }

  static String newKey() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  String seal(JsonObject secrets) {
    try {
      byte[] nonce = new byte[NONCE];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      byte[] sealed = cipher.doFinal(secrets.encode().getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[NONCE + sealed.length];
      System.arraycopy(nonce, 0, out, 0, NONCE);
      System.arraycopy(sealed, 0, out, NONCE, sealed.length);
      return Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /** The secrets, or an exception when the value was sealed with another key or altered. */
  JsonObject open(String sealed) {
    try {
      byte[] in = Base64.getDecoder().decode(sealed);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, in, 0, NONCE));
      return new JsonObject(new String(cipher.doFinal(in, NONCE, in.length - NONCE), StandardCharsets.UTF_8));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException("the job's credentials cannot be decrypted (was transfer.secretKey changed?)");
    }
  }
}
