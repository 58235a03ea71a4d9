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
 * an outage without stopping the shared server.
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
  private volatile boolean closed;
  /** Bytes per second through the proxy in all (both directions, all connections); 0 = unlimited. */
  private volatile long rate;
  private long nextFree; // System.nanoTime() from which the next bytes may pass (guarded by this)

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

  public void unblock() {
    blocked = false;
  }

  /** Limits the bytes per second through the proxy in all (a slow link); 0 lifts the limit. */
  public TcpProxy throttle(long bytesPerSecond) {
    rate = bytesPerSecond;
    return this;
  }

  /** Waits until {@code n} more bytes fit in the limit. */
  private void pace(int n) throws InterruptedException {
    long limit = rate;
    if (limit <= 0) {
      return;
    }
    long until;
    synchronized (this) {
      long now = System.nanoTime();
      nextFree = Math.max(nextFree, now) + n * 1_000_000_000L / limit;
      until = nextFree;
    }
    long wait = until - System.nanoTime();
    if (wait > 0) {
      Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
    }
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
      pool.execute(() -> connect(client));
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
    pool.execute(() -> pump(client, target));
    pool.execute(() -> pump(target, client));
  }

  private void pump(Socket from, Socket to) {
    byte[] buf = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      for (int n; (n = in.read(buf)) >= 0; ) { // ends when either side closes
        pace(n);
        out.write(buf, 0, n);
        out.flush();
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
    try {
      server.close();
    } catch (IOException ignored) {
      // already closed
    }
    block();
    pool.shutdownNow();
  }
}
