package dev.tugboat.registry;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.security.MessageDigest;

/**
 * A blob as it streams: every buffer is hashed on the way through; at the end the digest and size are
 * checked and a mismatch (or a source that ended early) is reported as a failure instead of an end, so a
 * pipe with {@code endOnFailure(false)} never commits a truncated or corrupt blob.
 */
public final class VerifyingStream implements ReadStream<Buffer> {
  private final ReadStream<Buffer> source;
  private final String expectedDigest;
  private final long expectedSize;
  private final String operation;
  private final MessageDigest sha256 = Digests.sha256();
  private long count;
  private Handler<Throwable> exceptionHandler;
  private Handler<Void> endHandler;
  /** A failure of the source before anyone listened (kept for the handler set later). */
  private Throwable failure;

  public VerifyingStream(ReadStream<Buffer> source, String expectedDigest, long expectedSize, String operation) {
    this.source = source;
    this.expectedDigest = expectedDigest;
    this.expectedSize = expectedSize;
    this.operation = operation;
    source.endHandler(v -> finish());
    // from the start: a connection that closes while the stream waits to be piped (its first bytes already read)
    // reports its failure once, at that moment; missed, the consumer would wait for an end that never comes
    source.exceptionHandler(this::failed);
  }

  private void failed(Throwable err) {
    if (exceptionHandler != null) {
      exceptionHandler.handle(err);
    } else if (failure == null) {
      failure = err;
    }
  }

  /** Bytes passed through so far. */
  public long count() {
    return count;
  }

  @Override
  public VerifyingStream exceptionHandler(Handler<Throwable> handler) {
    exceptionHandler = handler;
    if (handler != null && failure != null) {
      Throwable early = failure;
      failure = null;
      handler.handle(early);
    }
    return this;
  }

  @Override
  public VerifyingStream handler(Handler<Buffer> handler) {
    if (handler == null) {
      source.handler(null);
    } else {
      source.handler(buffer -> {
        sha256.update(buffer.getBytes());
        count += buffer.length();
        handler.handle(buffer);
      });
    }
    return this;
  }

  @Override
  public VerifyingStream endHandler(Handler<Void> handler) {
    endHandler = handler;
    return this;
  }

  private void finish() {
    String actual = Digests.format(sha256.digest());
    RegistryException problem = null;
    if (expectedSize >= 0 && count != expectedSize) {
      problem = new RegistryException(operation + ": expected " + expectedSize + " bytes, got " + count, 0,
          java.util.List.of(), null);
    } else if (!actual.equals(expectedDigest)) {
      problem = new RegistryException.DigestMismatch(operation, expectedDigest, actual);
    }
    if (problem == null) {
      if (endHandler != null) {
        endHandler.handle(null);
      }
    } else if (exceptionHandler != null) {
      exceptionHandler.handle(problem);
    }
  }

  /** Aborts the download: the connection is reset, so a cancelled copy stops reading at once. */
  public void cancel() {
    if (source instanceof io.vertx.core.http.HttpClientResponse response) {
      response.request().reset();
    }
  }

  @Override
  public VerifyingStream pause() {
    source.pause();
    return this;
  }

  @Override
  public VerifyingStream resume() {
    source.resume();
    return this;
  }

  @Override
  public VerifyingStream fetch(long amount) {
    source.fetch(amount);
    return this;
  }
}
