package dev.tally.localstack;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A throwaway {@code redis-server} on 127.0.0.1, run as a child process of this JVM.
 *
 * <p>Nothing is persisted ({@code --save ''}, no AOF) unless asked for: a persistent server keeps
 * an append-only file fsynced on every write, so a stop and a start on the same directory lose
 * nothing it acknowledged. The server log is {@code redis.log} in its directory. A directory given by the caller is kept on close; with {@code null} a temporary one
 * is used and deleted.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.start(null, 0)) {
 *     connect(redis.uri()); // redis://127.0.0.1:PORT
 * }
 * }</pre>
 */
public final class RedisServer implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

  private final ChildProcess process;
  private final WorkDir dir;
  private final int port;

  private RedisServer(ChildProcess process, WorkDir dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  /**
   * Starts {@code redis-server} and waits until it answers (as itself, checked by PID).
   *
   * @param dir its working directory (kept on close), or {@code null} for a temporary one
   * @param port the port, or 0 for a free one
   * @throws IllegalStateException if {@code redis-server} is not installed or does not start (the
   *     message has the tail of its log)
   */
  public static RedisServer start(Path dir, int port) {
    return start(dir, port, false);
  }

  /**
   * Starts {@code redis-server} as {@link #start(Path, int)} does.
   *
   * @param persistent keep the data in an append-only file in {@code dir} (fsync always), so a
   *     restart on the same directory finds it again
   */
  public static RedisServer start(Path dir, int port, boolean persistent) {
    Commands.require(Commands.REDIS_SERVER);
    WorkDir workDir = WorkDir.of(dir, "tally-redis-");
    try {
      return ChildProcess.startOnPort(port, START_TIMEOUT, chosen -> {
        ChildProcess child = ChildProcess.start("redis-server",
            command(workDir.path(), chosen, persistent), workDir.path().resolve("redis.log"));
        return new ChildProcess.Launch<>(child, () -> answersAs(chosen, child.pid()),
            () -> new RedisServer(child, workDir, chosen));
      });
    } catch (RuntimeException e) {
      workDir.release();
      throw e;
    }
  }

  private static List<String> command(Path dir, int port, boolean persistent) {
    return List.of(Commands.REDIS_SERVER,
        "--bind", Ports.LOOPBACK,
        "--port", Integer.toString(port),
        "--save", "",
        "--appendonly", persistent ? "yes" : "no",
        "--appendfsync", "always",
        "--dir", dir.toString(),
        "--daemonize", "no");
  }

  /** Whether a Redis server on 127.0.0.1:{@code port} answers PING with PONG. */
  static boolean ping(int port) {
    return "+PONG".equals(call(port, "*1\r\n$4\r\nPING\r\n"));
  }

  /**
   * Whether the server on {@code port} is the process {@code pid}: a port that is already taken
   * would otherwise pass for a started server, answering from someone else's Redis.
   */
  private static boolean answersAs(int port, long pid) {
    String info = call(port, "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n");
    return info != null && info.contains("\r\nprocess_id:" + pid + "\r\n");
  }

  /** Sends one RESP request; returns the reply's first line (and a bulk reply's body), or null. */
  private static String call(int port, String request) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(Ports.LOOPBACK, port), 500);
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String line = readLine(in);
      if (line.startsWith("$") && !line.equals("$-1")) {
        return new String(in.readNBytes(Integer.parseInt(line.substring(1))), StandardCharsets.UTF_8);
      }
      return line;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b = in.read(); b != -1; b = in.read()) {
      if (b == '\n' && line.length() > 0 && line.charAt(line.length() - 1) == '\r') {
        return line.substring(0, line.length() - 1);
      }
      line.append((char) b);
    }
    throw new IOException("connection closed");
  }

  /** Always 127.0.0.1. */
  public String host() {
    return Ports.LOOPBACK;
  }

  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:PORT}. */
  public String uri() {
    return "redis://" + host() + ":" + port;
  }

  /** The PID of the {@code redis-server} process. */
  public long pid() {
    return process.pid();
  }

  /** The server's working directory (its log is {@code redis.log} there). */
  public Path directory() {
    return dir.path();
  }

  /** Stops the server, waits for it to exit, and deletes a temporary directory. Idempotent. */
  @Override
  public void close() {
    process.close();
    dir.release();
  }

  @Override
  public String toString() {
    return "Redis " + uri() + " (pid " + pid() + ")";
  }
}
