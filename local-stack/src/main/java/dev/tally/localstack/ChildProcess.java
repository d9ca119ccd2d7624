package dev.tally.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * A server running as a child process of this JVM: its output goes to a log file, it is stopped
 * on {@link #close()}, and a shutdown hook stops it if the JVM exits first (Ctrl-C included).
 *
 * <p>The server is run in the foreground (never daemonized), so the JVM holds its PID.
 */
public final class ChildProcess implements AutoCloseable {

  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  private static final int LOG_TAIL_LINES = 30;
  /** Starts on a free port, which another process may take first, before a server gives up. */
  private static final int BIND_ATTEMPTS = 3;

  private final String name;
  private final Process process;
  private final Path log;
  private final Thread shutdownHook;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ChildProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.shutdownHook = new Thread(this::stop, "stop-" + name);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts {@code command}, appending its stdout and stderr to {@code log}. */
  public static ChildProcess start(String name, List<String> command, Path log) {
    try {
      Process process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
          .start();
      return new ChildProcess(name, process, log);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + name + ": " + String.join(" ", command), e);
    }
  }

  /**
   * The command line of a Java program run on this JVM's own class path, by the same {@code java}
   * binary, so a child sees exactly the classes its parent has.
   *
   * @param jvmOptions e.g. {@code -Xmx512m}
   */
  public static List<String> javaCommand(List<String> jvmOptions, String mainClass, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    return command;
  }

  /**
   * Polls {@code ready} until it returns true.
   *
   * @throws IllegalStateException if the process exits or the timeout passes first; the message
   *     has the tail of the server's log
   */
  public void awaitReady(Duration timeout, BooleanSupplier ready) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with code " + process.exitValue()
            + " while starting. Log " + log + ":\n" + logTail());
      }
      if (ready.getAsBoolean()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(name + " did not become ready within " + timeout.toMillis()
            + " ms. Log " + log + ":\n" + logTail());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for " + name, e);
      }
    }
  }

  /**
   * A server started on a port: its process, when it is ready, and what to return once it is.
   *
   * @param <T> the server
   */
  record Launch<T>(ChildProcess child, BooleanSupplier ready, Supplier<T> server) {
  }

  /**
   * Starts a server on {@code port}, or on a free one when it is 0, and waits until it is ready. A
   * free port can be taken by another process between being chosen and being bound: then the
   * server is started again on another one, {@value #BIND_ATTEMPTS} times at the most.
   *
   * @param launch starts the server on the port it is given
   * @throws IllegalStateException if the server does not start (the message has its log's tail)
   */
  static <T> T startOnPort(int port, Duration timeout, IntFunction<Launch<T>> launch) {
    for (int attempt = 1; ; attempt++) {
      Launch<T> started = launch.apply(Ports.orFree(port));
      try {
        started.child().awaitReady(timeout, started.ready());
        return started.server().get();
      } catch (RuntimeException e) {
        started.child().close();
        if (port != 0 || attempt == BIND_ATTEMPTS || !started.child().failedToBind()) {
          throw e;
        }
      }
    }
  }

  /** Whether the server's log says its port was taken (so another free port may work). */
  boolean failedToBind() {
    return logTail().toLowerCase(Locale.ROOT).contains("address already in use");
  }

  /** The last lines of the server's log. */
  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code, or empty while the process runs. */
  public OptionalInt exitCode() {
    return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
  }

  /**
   * Kills the process with SIGKILL, as a crash or {@code kill -9} would: no shutdown hook, no clean
   * close, no last commit. Waits until it is gone.
   */
  public void kill() {
    if (!release()) {
      return;
    }
    try {
      process.destroyForcibly().waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL after a grace period) and waits for it. Idempotent. */
  @Override
  public void close() {
    if (release()) {
      stop();
    }
  }

  /** Marks the process closed and drops its shutdown hook; false if it was closed already. */
  private boolean release() {
    if (!closed.compareAndSet(false, true)) {
      return false;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or about to: it stops the process too
    }
    return true;
  }

  private void stop() {
    process.destroy();
    try {
      if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
