package dev.tally.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Free TCP ports on the loopback interface.
 *
 * <p>A port is free when it is asked for, not when it is used: another process may take it in
 * between. The servers in this package that pick a port themselves retry with a new one when
 * their bind fails.
 */
public final class Ports {

  /** The address every server of the local stack binds to. */
  public static final String LOOPBACK = "127.0.0.1";

  private Ports() {
  }

  /** Returns one port that is free on 127.0.0.1 at the time of the call. */
  public static int free() {
    return free(1).get(0);
  }

  /**
   * Returns {@code count} distinct ports that are free on 127.0.0.1 at the time of the call.
   * They are held open together while chosen, so no two of them are the same.
   */
  public static List<Integer> free(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1, was " + count);
    }
    List<ServerSocket> sockets = new ArrayList<>(count);
    try {
      List<Integer> ports = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket();
        sockets.add(socket);
        socket.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), 0));
        ports.add(socket.getLocalPort());
      }
      return List.copyOf(ports);
    } catch (IOException e) {
      throw new UncheckedIOException("No free port on " + LOOPBACK, e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // the port was only probed
        }
      }
    }
  }

  /** Returns {@code port} itself, or a free port when it is 0. */
  static int orFree(int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0 (any free port) or 1-65535, was " + port);
    }
    return port == 0 ? free() : port;
  }
}
