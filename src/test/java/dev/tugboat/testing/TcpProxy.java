package dev.tugboat.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback TCP proxy that can play "the database is down": {@link #block()} drops every open connection and
 * refuses new ones (accepted, then closed at once) until {@link #unblock()}. Used to put a real database behind
 * an outage without stopping the shared server. {@link #stall()} plays "the database stopped answering": bytes
 * are held in both directions and new connections are accepted but never connected, until {@link #unblock()}.
 * {@link #throttle} makes the upstream slow (a registry far away).
 */
public final class TcpProxy implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress upstream;
  private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "tcp-proxy");
    t.setDaemon(true);
    return t;
  });
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean blocked;
  private volatile long bytesPerSecond;
  private volatile boolean closed;
  private final Object stallLock = new Object();
  private boolean stalled; // guarded by stallLock

  private TcpProxy(String host, int port) throws IOException {
    this.upstream = new InetSocketAddress(host, port);
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    pool.execute(this::accept);
  }

  public static TcpProxy start(String host, int port) {
    try {
      return new TcpProxy(host, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Cuts every connection and refuses new ones. */
  public void block() {
    blocked = true;
    sockets.forEach(TcpProxy::closeQuietly);
    sockets.clear();
  }

  /** Holds every byte in both directions and leaves new connections unanswered (a hung server). */
  public void stall() {
    synchronized (stallLock) {
      stalled = true;
    }
  }

  /** Ends {@link #block()} and {@link #stall()}. */
  public void unblock() {
    blocked = false;
    synchronized (stallLock) {
      stalled = false;
      stallLock.notifyAll();
    }
  }

  /** Waits while stalled (or until closed); false when the proxy was closed meanwhile. */
  private boolean awaitFlowing() {
    synchronized (stallLock) {
      while (stalled && !closed) {
        try {
          stallLock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return !closed;
  }

  /** Limits every connection's upstream-to-client bytes to {@code bytesPerSecond} (0: no limit). */
  public TcpProxy throttle(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
    return this;
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      if (blocked) {
        closeQuietly(client);
        continue;
      }
      pool.execute(() -> {
        if (awaitFlowing()) {
          connect(client);
        }
      });
    }
  }

  private void connect(Socket client) {
    Socket target = new Socket();
    try {
      target.connect(upstream, 5000);
    } catch (IOException e) {
      closeQuietly(client);
      closeQuietly(target);
      return;
    }
    sockets.add(client);
    sockets.add(target);
    pool.execute(() -> pump(client, target, false));
    pool.execute(() -> pump(target, client, true));
  }

  private void pump(Socket from, Socket to, boolean downstream) {
    byte[] buf = new byte[16 * 1024];
    long next = System.nanoTime(); // when the throttled direction may send again
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      for (int n; (n = in.read(buf)) >= 0; ) { // ends when either side closes
        if (!awaitFlowing()) {
          break;
        }
        out.write(buf, 0, n);
        out.flush();
        long rate = bytesPerSecond;
        if (downstream && rate > 0) {
          next = Math.max(next, System.nanoTime()) + n * 1_000_000_000L / rate;
          long wait = next - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
        }
      }
    } catch (IOException ignored) {
      // a cut connection
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      sockets.remove(from);
      sockets.remove(to);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (stallLock) {
      stallLock.notifyAll();
    }
    try {
      server.close();
    } catch (IOException ignored) {
      // already closed
    }
    block();
    pool.shutdownNow();
  }
}
