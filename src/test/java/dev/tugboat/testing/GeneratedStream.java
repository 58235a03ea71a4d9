package dev.tugboat.testing;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/**
 * A reproducible stream of pseudo-random bytes of a given size, generated as it is read (so a test can
 * push hundreds of MiB without holding them), honouring pause/resume/fetch. {@link #digestOf} computes the
 * same content's digest without a stream.
 */
public final class GeneratedStream implements ReadStream<Buffer> {
  private static final int CHUNK = 64 * 1024;
  private final Context context;
  private final Random random;
  private final long size;
  private long produced;
  private long demand = Long.MAX_VALUE;
  private boolean scheduled;
  private boolean ended;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;

  public GeneratedStream(Vertx vertx, long seed, long size) {
    this.context = vertx.getOrCreateContext();
    this.random = new Random(seed);
    this.size = size;
  }

  public static String digestOf(long seed, long size) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      Random random = new Random(seed);
      byte[] chunk = new byte[CHUNK];
      for (long done = 0; done < size; done += CHUNK) {
        random.nextBytes(chunk);
        sha.update(chunk, 0, (int) Math.min(CHUNK, size - done));
      }
      return "sha256:" + HexFormat.of().formatHex(sha.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public GeneratedStream exceptionHandler(Handler<Throwable> h) {
    return this;
  }

  @Override
  public GeneratedStream handler(Handler<Buffer> h) {
    handler = h;
    schedule();
    return this;
  }

  @Override
  public GeneratedStream pause() {
    demand = 0;
    return this;
  }

  @Override
  public GeneratedStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public GeneratedStream fetch(long amount) {
    demand = amount == Long.MAX_VALUE || demand > Long.MAX_VALUE - amount ? Long.MAX_VALUE : demand + amount;
    schedule();
    return this;
  }

  @Override
  public GeneratedStream endHandler(Handler<Void> h) {
    endHandler = h;
    return this;
  }

  private void schedule() {
    if (!scheduled && handler != null && !ended) {
      scheduled = true;
      context.runOnContext(v -> emit());
    }
  }

  private void emit() {
    scheduled = false;
    int burst = 16; // bounded work per event-loop turn
    byte[] chunk = new byte[CHUNK];
    while (demand > 0 && produced < size && handler != null && burst-- > 0) {
      random.nextBytes(chunk);
      int length = (int) Math.min(CHUNK, size - produced);
      produced += length;
      if (demand != Long.MAX_VALUE) {
        demand--;
      }
      handler.handle(Buffer.buffer(length == CHUNK ? chunk.clone() : java.util.Arrays.copyOf(chunk, length)));
    }
    if (produced >= size && !ended) {
      ended = true;
      if (endHandler != null) {
        endHandler.handle(null);
      }
    } else if (demand > 0) {
      schedule();
    }
  }
}
