package dev.tally.testkit;

import dev.tally.localstack.ChildProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} child process with any arguments (cluster node, Sentinel, TLS, ACL
 * file), for the tests that the local stack's plain {@code RedisServer} does not cover: a
 * {@link ChildProcess} ready when its log shows a given line; {@link #kill()} is a SIGKILL, for
 * failover tests.
 */
public final class RedisProcess implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final ChildProcess process;
  private final Path log;
  private final int port;

  private RedisProcess(ChildProcess process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** A server on {@code port} in {@code dir}, with extra arguments, ready to accept connections. */
  public static RedisProcess server(Path directory, int port, List<String> extraArgs) {
    Path dir = directory.toAbsolutePath();
    List<String> command = new ArrayList<>(List.of("redis-server",
        "--bind", "127.0.0.1", "--port", Integer.toString(port), "--save", "", "--appendonly", "no",
        "--dir", dir.toString(), "--daemonize", "no"));
    command.addAll(extraArgs);
    return start("redis-" + port, dir, command, port, "Ready to accept connections");
  }

  /** A Sentinel from {@code config} (which it rewrites), ready once it monitors its master. */
  public static RedisProcess sentinel(Path directory, int port, String config) {
    Path dir = directory.toAbsolutePath();
    Path file = dir.resolve("sentinel.conf");
    try {
      Files.createDirectories(dir);
      Files.writeString(file, config, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return start("sentinel-" + port, dir, List.of("redis-server", file.toString(), "--sentinel"), port,
        "+monitor master");
  }

  private static RedisProcess start(String name, Path dir, List<String> command, int port,
      String readyLine) {
    Path log = dir.resolve(name + ".log");
    try {
      Files.createDirectories(dir);
      Files.deleteIfExists(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RedisProcess redis = new RedisProcess(ChildProcess.start(name, command, log), log, port);
    try {
      redis.awaitLog(readyLine, START_TIMEOUT);
    } catch (RuntimeException e) {
      redis.process.kill();
      throw e;
    }
    return redis;
  }

  /** Waits until the log has {@code line}. */
  public void awaitLog(String line, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!logText().contains(line)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(process + " exited: " + logText());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(process + " did not log '" + line + "': " + logText());
      }
      sleep(20);
    }
  }

  public String logText() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }

  public int port() {
    return port;
  }

  /** SIGKILL: the server dies without a word, as in a crash. */
  public void kill() {
    process.kill();
  }

  @Override
  public void close() {
    process.close();
  }

  public static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code count} ports that are free, each with its cluster bus port (+10000) free as well. */
  public static List<Integer> freePortsWithBus(int count) {
    List<Integer> ports = new ArrayList<>();
    while (ports.size() < count) {
      int port = ThreadLocalRandom.current().nextInt(20_000, 55_000);
      if (!ports.contains(port) && isFree(port) && isFree(port + 10_000)) {
        ports.add(port);
      }
    }
    return ports;
  }

  public static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Runs a command to the end; returns its output, or throws with it when it fails. */
  public static String run(Path dir, List<String> command) {
    try {
      Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return process.toString();
  }
}
