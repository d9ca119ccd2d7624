package dev.tally.reliability;

import dev.tally.localstack.ChildProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Tally instances as separate OS processes ({@code java ... dev.tally.topology.TallyApp KEY=VALUE...}),
 * sharing one {@code application.id} and nothing else, each with its own state directory and log
 * ({@code instance-N/tally.log}, appended across restarts). An instance that exits without the
 * harness having killed or stopped it is a crash, and is counted.
 */
final class TallyInstances implements AutoCloseable {

  private static final List<String> JVM_OPTIONS = List.of("-Xms128m", "-Xmx512m", "-XX:+UseSerialGC");
  private static final String LOG_CONFIG = """
      <?xml version="1.0" encoding="UTF-8"?>
      <Configuration status="WARN" shutdownHook="disable">
        <Appenders>
          <Console name="out" target="SYSTEM_OUT">
            <PatternLayout pattern="%d{ISO8601} %-5level [%t] %c{1} - %msg%n"/>
          </Console>
        </Appenders>
        <Loggers>
          <Logger name="dev.tally" level="INFO"/>
          <Logger name="org.apache.kafka.streams.KafkaStreams" level="INFO"/>
          <!-- assignments, task starts, suspensions and dirty closes: what a lost event needs -->
          <Logger name="org.apache.kafka.streams.processor.internals" level="INFO"/>
          <Root level="WARN"><AppenderRef ref="out"/></Root>
        </Loggers>
      </Configuration>
      """;

  private final Path dir;
  private final Map<String, String> settings;
  private final ChildProcess[] processes;
  private final boolean[] expectedDown;
  private final Path logConfig;
  private int crashes;
  private final List<String> crashReports = new ArrayList<>();

  /**
   * @param settings every instance's Tally settings; {@code state.dir} is set per instance
   */
  TallyInstances(Path dir, int count, Map<String, String> settings) {
    this.dir = dir;
    this.settings = Map.copyOf(settings);
    this.processes = new ChildProcess[count];
    this.expectedDown = new boolean[count];
    try {
      Files.createDirectories(dir);
      this.logConfig = Files.writeString(dir.resolve("log4j2-instances.xml"), LOG_CONFIG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the instances' log configuration in " + dir, e);
    }
  }

  /** Starts instance {@code index} (again). */
  synchronized void start(int index) {
    Path home = dir.resolve("instance-" + (index + 1));
    List<String> args = new ArrayList<>();
    settings.forEach((key, value) -> args.add(key + "=" + value));
    args.add("state.dir=" + home.resolve("state"));
    args.add("client.id=" + clientId(index));
    List<String> jvm = new ArrayList<>(JVM_OPTIONS);
    jvm.add("-Dlog4j2.configurationFile=" + logConfig);
    try {
      Files.createDirectories(home);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + home, e);
    }
    processes[index] = ChildProcess.start("tally-" + (index + 1),
        ChildProcess.javaCommand(jvm, "dev.tally.topology.TallyApp", args), home.resolve("tally.log"));
    expectedDown[index] = false;
  }

  /**
   * The {@code client.id} of instance {@code index}: Kafka Streams starts its clients' ids with it,
   * so the group's members tell which instance each stream thread belongs to.
   */
  static String clientId(int index) {
    return "tally-instance-" + (index + 1);
  }

  /** {@code kill -9} of instance {@code index}: no last commit, no clean close, no leaving the group. */
  synchronized void kill(int index) {
    expectedDown[index] = true;
    processes[index].kill();
  }

  int size() {
    return processes.length;
  }

  /**
   * Counts instances that died on their own since the last call (and starts them again, as an
   * orchestrator would, so that one crash does not end the run).
   */
  synchronized void checkForCrashes() {
    for (int i = 0; i < processes.length; i++) {
      ChildProcess process = processes[i];
      if (process != null && !expectedDown[i] && !process.isAlive()) {
        crashes++;
        crashReports.add("instance " + (i + 1) + " exited with " + process.exitCode() + ":\n"
            + process.logTail());
        start(i);
      }
    }
  }

  synchronized int crashes() {
    return crashes;
  }

  synchronized List<String> crashReports() {
    return List.copyOf(crashReports);
  }

  /** Stops every instance cleanly (SIGTERM: Tally commits and leaves the group). */
  @Override
  public synchronized void close() {
    for (int i = 0; i < processes.length; i++) {
      expectedDown[i] = true;
    }
    for (ChildProcess process : processes) {
      if (process != null) {
        process.close();
      }
    }
  }
}
