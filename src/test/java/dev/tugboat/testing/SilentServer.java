package dev.tugboat.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A registry that hangs: a loopback TCP listener that accepts every connection and never reads or answers, so
 * a client's request waits until its own deadline. {@link #connections()} counts what reached it.
 */
public final class SilentServer implements AutoCloseable {
  private final ServerSocket socket;
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();

  private SilentServer(ServerSocket socket) {
    this.socket = socket;
    Thread acceptor = new Thread(() -> {
      while (!socket.isClosed()) {
        try {
          accepted.add(socket.accept());
        } catch (IOException closed) {
          return;
        }
      }
    }, "silent-server-" + socket.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public static SilentServer start() {
    try {
      return new SilentServer(new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code 127.0.0.1:PORT}, as it appears in image references. */
  public String host() {
    return "127.0.0.1:" + socket.getLocalPort();
  }

  /** Connections accepted so far (each is held open, unanswered). */
  public int connections() {
    return accepted.size();
  }

  @Override
  public void close() {
    try {
      socket.close();
      for (Socket s : accepted) {
        s.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
