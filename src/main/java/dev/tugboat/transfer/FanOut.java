package dev.tugboat.transfer;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * One source stream read once and handed to several consumers at the same pace: the source only flows
 * while every attached branch wants data, so the slowest target sets the speed and memory stays at a few
 * network buffers per branch. A branch whose upload failed is detached and no longer holds the others back.
 * Event-loop confined, like the streams it joins.
 */
final class FanOut {
  private final ReadStream<Buffer> source;
  private final List<Branch> live = new ArrayList<>();
  private boolean flowing;
  private boolean ended;

  FanOut(ReadStream<Buffer> source) {
    this.source = source;
    source.pause();
  }

  /** A new branch, paused until its consumer asks for data; {@code onBytes} sees every buffer it is given. */
  Branch branch(LongConsumer onBytes) {
    Branch branch = new Branch(onBytes);
    live.add(branch);
    return branch;
  }

  /** Starts reading; call once every branch has been handed to its consumer. */
  void start() {
    source.handler(buffer -> {
      for (Branch branch : List.copyOf(live)) {
        branch.offer(buffer);
      }
      update();
    });
    source.endHandler(v -> {
      ended = true;
      List.copyOf(live).forEach(Branch::sourceEnded);
    });
    source.exceptionHandler(err -> List.copyOf(live).forEach(branch -> branch.fail(err)));
    update();
  }

  boolean ended() {
    return ended;
  }

  void detach(Branch branch) {
    live.remove(branch);
    update();
  }

  private void update() {
    boolean ready = !live.isEmpty() && live.stream().allMatch(Branch::ready);
    if (ready && !flowing) {
      flowing = true;
      source.resume();
    } else if (!ready && flowing) {
      flowing = false;
      source.pause();
    }
  }

  /** What one consumer reads: the source's buffers, queued only while this branch is paused. */
  final class Branch implements ReadStream<Buffer> {
    private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
    private final LongConsumer onBytes;
    private long demand;
    private boolean sourceEnded;
    private boolean endSent;
    private boolean draining;
    private Throwable failure;
    private Handler<Buffer> handler;
    private Handler<Void> endHandler;
    private Handler<Throwable> exceptionHandler;

    private Branch(LongConsumer onBytes) {
      this.onBytes = onBytes;
    }

    boolean ready() {
      return demand > 0 && queue.isEmpty();
    }

    private void offer(Buffer buffer) {
      queue.add(buffer);
      drain();
    }

    private void sourceEnded() {
      sourceEnded = true;
      drain();
    }

    private void fail(Throwable err) {
      failure = err;
      queue.clear();
      if (exceptionHandler != null) {
        exceptionHandler.handle(err);
      }
    }

    private void drain() {
      if (draining) {
        return;
      }
      draining = true;
      try {
        while (demand > 0 && !queue.isEmpty()) {
          Buffer buffer = queue.poll();
          if (demand != Long.MAX_VALUE) {
            demand--;
          }
          onBytes.accept(buffer.length());
          if (handler != null) {
            handler.handle(buffer);
          }
        }
        if (queue.isEmpty() && sourceEnded && !endSent && failure == null) {
          endSent = true;
          if (endHandler != null) {
            endHandler.handle(null);
          }
        }
      } finally {
        draining = false;
      }
    }

    @Override
    public Branch exceptionHandler(Handler<Throwable> handler) {
      exceptionHandler = handler;
      if (handler != null && failure != null) {
        handler.handle(failure);
      }
      return this;
    }

    @Override
    public Branch handler(Handler<Buffer> handler) {
      this.handler = handler;
      return this;
    }

    @Override
    public Branch pause() {
      demand = 0;
      update();
      return this;
    }

    @Override
    public Branch resume() {
      return fetch(Long.MAX_VALUE);
    }

    @Override
    public Branch fetch(long amount) {
      demand = Long.MAX_VALUE - demand < amount ? Long.MAX_VALUE : demand + amount;
      drain();
      update();
      return this;
    }

    @Override
    public Branch endHandler(Handler<Void> handler) {
      endHandler = handler;
      return this;
    }
  }
}
