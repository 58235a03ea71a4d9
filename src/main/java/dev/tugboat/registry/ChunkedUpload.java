package dev.tugboat.registry;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * Cuts one paused source stream into consecutive chunks without buffering more than one network buffer:
 * each {@link #next(long)} view emits exactly {@code length} bytes of the source and then ends, pausing the
 * source and keeping the rest of a straddling buffer for the next view. Back-pressure passes straight through.
 */
final class ChunkedUpload {
  private final ReadStream<Buffer> source;
  private Buffer stash;
  private Throwable failure;
  private Chunk current;

  ChunkedUpload(ReadStream<Buffer> source) {
    this.source = source;
    source.pause();
    source.exceptionHandler(err -> {
      failure = err;
      if (current != null) {
        current.fail(err);
      }
    });
    source.endHandler(v -> {
      if (current != null) {
        current.sourceEnded();
      }
    });
  }

  /** The next {@code length} bytes as a stream (the previous view must have ended). */
  ReadStream<Buffer> next(long length) {
    current = new Chunk(length);
    return current;
  }

  Future<Void> failed() {
    return failure == null ? Future.succeededFuture() : Future.failedFuture(failure);
  }

  private final class Chunk implements ReadStream<Buffer> {
    private long remaining;
    private Handler<Buffer> handler;
    private Handler<Void> endHandler;
    private Handler<Throwable> exceptionHandler;
    private boolean paused = true;
    private boolean ended;

    Chunk(long length) {
      this.remaining = length;
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) {
      exceptionHandler = h;
      return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> h) {
      handler = h;
      source.handler(h == null ? null : this::accept);
      return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> h) {
      endHandler = h;
      return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
      paused = true;
      source.pause();
      return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
      paused = false;
      if (stash != null) {
        Buffer first = stash;
        stash = null;
        accept(first);
      }
      if (!ended && !paused) {
        source.resume();
      }
      return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
      return resume();
    }

    private void accept(Buffer buffer) {
      if (ended) {
        stash = stash == null ? buffer : stash.appendBuffer(buffer);
        return;
      }
      if (buffer.length() <= remaining) {
        remaining -= buffer.length();
        handler.handle(buffer);
      } else {
        int take = (int) remaining;
        stash = buffer.slice(take, buffer.length()).copy();
        remaining = 0;
        handler.handle(buffer.slice(0, take).copy());
      }
      if (remaining == 0) {
        ended = true;
        source.pause();
        if (endHandler != null) {
          endHandler.handle(null);
        }
      }
    }

    void sourceEnded() {
      if (!ended) {
        fail(new IllegalStateException("the source ended " + remaining + " bytes before the end of the chunk"));
      }
    }

    void fail(Throwable err) {
      ended = true;
      if (exceptionHandler != null) {
        exceptionHandler.handle(err);
      }
    }
  }
}
