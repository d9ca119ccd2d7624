package dev.tally.bench;

import dev.tally.localstack.ChildProcess;
import dev.tally.localstack.KafkaCluster;
import dev.tally.localstack.WorkDir;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Cold catch-up on the footing a reviewer would choose: the broker in its own process, every job in
 * a fresh JVM ({@link CatchUpJob}; Flink's {@code FlinkCatchUpJob} in the {@code bench-flink} module,
 * on its own classpath) timed from the moment it is started until its last final result (the plain
 * consumer: its last record), an uncompressed topic unless asked otherwise. The jobs take turns
 * within each run, so that a drift of the machine touches them alike; medians are reported.
 */
@Command(name = "catchup", mixinStandardHelpOptions = true,
    description = "Preloads a backlog into a Kafka broker running in its own process, then starts "
        + "each job in a fresh JVM and times it from its start to its last final result: a plain "
        + "consumer decoding every event (the ceiling), Tally with each thread count, each --variant "
        + "and each --build, and with --flink the same counts as a Flink job. Prints (and writes) a "
        + "table of medians: events/s, ratio to the plain consumer, time until Kafka Streams was "
        + "RUNNING, events counted.")
public final class CatchUpCommand implements Callable<Integer> {

  private static final long SETTLE_MS = 2_000;
  private static final String PLAIN = "plain consumer (decode only)";
  private static final String FLINK = "Flink 2.2.1 local";

  @Option(names = "--events", defaultValue = "10000000", description = "Events in the backlog (default ${DEFAULT-VALUE}).")
  int events;

  @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the events topic (default ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--series", defaultValue = "48", description = "(product, event_type) series (default ${DEFAULT-VALUE}).")
  int series;

  @Option(names = "--users", defaultValue = "1000", description = "Users per series (default ${DEFAULT-VALUE}).")
  int users;

  @Option(names = "--minutes", defaultValue = "20", description = "Event-time span in minutes (default ${DEFAULT-VALUE}).")
  int minutes;

  @Option(names = "--skew", defaultValue = "zipf", description = "Series distribution: uniform or zipf (default ${DEFAULT-VALUE}).")
  String skew;

  @Option(names = "--keys", defaultValue = "null,user", split = ",",
      description = "The backlogs, a topic each with the same events: null (no keys) and user (keyed by username) (default ${DEFAULT-VALUE}).")
  List<String> keys;

  @Option(names = "--compression", defaultValue = "none",
      description = "The producer's compression.type for the backlog: none, lz4, zstd, ... (default ${DEFAULT-VALUE}).")
  String compression;

  @Option(names = "--threads", defaultValue = "1", split = ",", description = "Tally's stream thread counts (default ${DEFAULT-VALUE}).")
  int[] threads;

  @Option(names = "--variant", paramLabel = "KEY=VALUE[;KEY=VALUE]",
      description = "Tally with these settings too, with the first thread count (repeatable), e.g. tally.input.packing=false.")
  List<String> variants = new ArrayList<>();

  @Option(names = "--build", paramLabel = "NAME=CLASSPATH",
      description = "Tally with the first thread count from these classes too, as a row of its own "
          + "(repeatable): another build, to compare builds in the same runs. The classpath must hold "
          + "this build's dev.tally.bench classes (CatchUpJob, Backlog) after the other build's.")
  List<String> builds = new ArrayList<>();

  @Option(names = "--flink", description = "Flink beside Tally: the same counts as a Flink job "
      + "(bench-flink, built with mvn -Pflink; ./tally catchup --flink builds it), parallelism = each "
      + "thread count.")
  boolean flink;

  @Option(names = "--flink-module", defaultValue = "bench-flink", paramLabel = "DIR",
      description = "The built Flink module: its target/classes and target/classpath.txt (default ${DEFAULT-VALUE}).")
  Path flinkModule;

  @Option(names = "--warm", description = "Also each job in a warm JVM: the job runs once to warm up, "
      + "then again in the same JVM (a new application), timed from its second start; compared "
      + "with the warm plain consumer.")
  boolean warm;

  @Option(names = "--runs", defaultValue = "3", description = "Runs; medians are reported (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--job-java-opts", defaultValue = "",
      description = "JVM options of every job, space-separated (default: none, the JVM's defaults).")
  String jobJavaOpts;

  @Mixin
  BenchmarkFile resultsFile;

  @Spec
  CommandSpec spec;

  private final PrintStream log = System.err;

  /**
   * A job's row: its name, the job, Tally's thread count and settings, and the classpath of its JVM
   * ({@code null}: this one's).
   */
  private record Row(String name, String job, int threads, List<String> settings, String classpath,
      boolean warm, String topic) {

    Row(String name, String job, int threads, List<String> settings, String classpath) {
      this(name, job, threads, settings, classpath, false, null);
    }

    Row warmed() {
      return new Row(name + ", warm JVM", job, threads, settings, classpath, true, topic);
    }

    Row reading(String backlogTopic) {
      return new Row(name, job, threads, settings, classpath, warm, backlogTopic);
    }

    /** What the row's backlog is keyed by, for the table. */
    String input() {
      return topic.endsWith("-user") ? "keyed by user" : "null keys";
    }
  }

  /** One run of one job: seconds from its start to done, and to RUNNING (NaN for the consumer). */
  private record Run(double seconds, double runningSeconds, long counted) {
  }

  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new CatchUpCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    List<Row> rows = new ArrayList<>();
    List<Backlog> backlogs = new ArrayList<>();
    for (String key : keys) {
      if (!key.equals("null") && !key.equals("user")) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "--keys takes null and user, not " + key);
      }
      Backlog backlog = new Backlog("bench-events-" + key, events, partitions, series, users,
          minutes, skew, key.equals("user"), compression);
      backlogs.add(backlog);
      rows().forEach(row -> rows.add(row.reading(backlog.topic())));
    }
    Path work = Files.createTempDirectory("tally-catchup");
    Map<Row, List<Run>> results = new LinkedHashMap<>();
    try (KafkaCluster broker = KafkaCluster.start(work.resolve("kafka"), 1)) {
      String bootstrap = broker.bootstrapServers();
      Backlog.Expected expected = null;
      for (Backlog backlog : backlogs) {
        // the same seed: every backlog holds the same events, so one set of expected counts
        expected = backlog.produce(bootstrap, log);
      }
      Path expectedFile = work.resolve("expected.tsv");
      expected.write(expectedFile);
      for (int run = 1; run <= runs; run++) {
        for (int r = 0; r < rows.size(); r++) {
          Row row = rows.get(r);
          Thread.sleep(SETTLE_MS);
          Run result = runJob(row, "catchup-" + r + "-" + run, bootstrap, expectedFile, work);
          results.computeIfAbsent(row, key -> new ArrayList<>()).add(result);
          log.printf("# run %d of %d, %s, %s: %.1f s%s, %,d of %,d events counted%n", run, runs,
              row.input(), row.name(), result.seconds(), Double.isNaN(result.runningSeconds()) ? ""
                  : String.format(" (RUNNING at %.1f s)", result.runningSeconds()),
              result.counted(), expected.events());
        }
      }
    } finally {
      WorkDir.deleteRecursively(work);
    }
    String table = table(results);
    System.out.println(table);
    resultsFile.write("catchup", markdown(backlogs.get(0), table), log);
    return 0;
  }

  private List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    rows.add(new Row(PLAIN, "plain", 0, List.of(), null));
    for (int t : threads) {
      rows.add(new Row("Tally, " + BenchCommand.threadsLabel(t), "tally", t, List.of(), null));
      if (flink) {
        rows.add(new Row(FLINK + ", parallelism " + t, "flink", t, List.of(), flinkClasspath()));
      }
    }
    for (String variant : variants) {
      List<String> settings = new ArrayList<>();
      for (String setting : variant.split(";")) {
        if (!setting.contains("=")) {
          throw new picocli.CommandLine.ParameterException(spec.commandLine(),
              "--variant takes KEY=VALUE pairs separated by ';', not " + variant);
        }
        settings.add(setting.trim());
      }
      rows.add(new Row("Tally, " + BenchCommand.threadsLabel(threads[0]) + ", "
          + String.join(", ", settings), "tally", threads[0], settings, null));
    }
    for (String build : builds) {
      String[] pair = build.split("=", 2);
      if (pair.length < 2 || pair[1].isBlank()) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "--build takes NAME=CLASSPATH, not " + build);
      }
      rows.add(new Row("Tally, " + BenchCommand.threadsLabel(threads[0]) + ", build " + pair[0],
          "tally", threads[0], List.of(), pair[1]));
    }
    if (warm) {
      List<Row> cold = List.copyOf(rows);
      for (Row row : cold) {
        if (row.settings().isEmpty() && (row.classpath() == null || row.job().equals("flink"))) {
          rows.add(row.warmed());
        }
      }
    }
    return rows;
  }

  /** Starts the job's JVM, waits for its RESULT line and times it from the start. */
  private Run runJob(Row row, String id, String bootstrap, Path expected, Path work)
      throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("--job", row.job(), "--bootstrap", bootstrap,
        "--topic", row.topic(),
        "--partitions", Integer.toString(partitions), "--expected", expected.toString(),
        "--threads", Integer.toString(Math.max(1, row.threads())), "--id", id,
        "--state-dir", work.resolve(id).toString()));
    for (String setting : row.settings()) {
      args.add("--set");
      args.add(setting);
    }
    if (row.warm()) {
      args.add("--warm");
    }
    List<String> jvm = jobJavaOpts.isBlank() ? List.of() : List.of(jobJavaOpts.trim().split("\\s+"));
    List<String> command = row.job().equals("flink")
        ? ChildProcess.javaCommand(jvm, "dev.tally.bench.flink.FlinkCatchUpJob", List.of(bootstrap,
            row.topic(), expected.toString(), Integer.toString(row.threads()),
            row.warm() ? "warm" : "cold"))
        : ChildProcess.javaCommand(jvm, CatchUpJob.class.getName(), args);
    if (row.classpath() != null) {
      command.set(command.indexOf("-cp") + 1, row.classpath());
    }
    Path jobLog = work.resolve(id + ".log");
    long started = System.currentTimeMillis();
    Process process = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.to(jobLog.toFile()))
        .start();
    String result = null;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.startsWith("RESULT ")) {
          result = line;
        }
      }
    }
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      process.destroyForcibly();
    }
    if (result == null) {
      throw new IllegalStateException(row.name() + " ended without a result (exit "
          + process.exitValue() + "); its log " + jobLog + " ends with:\n" + tail(jobLog));
    }
    Map<String, Long> fields = new LinkedHashMap<>();
    for (String field : result.substring("RESULT ".length()).split(" ")) {
      String[] pair = field.split("=", 2);
      fields.put(pair[0], Long.parseLong(pair[1]));
    }
    long from = fields.get("started") >= 0 ? fields.get("started") : started;
    double running = row.job().equals("plain") ? Double.NaN : (fields.get("running") - from) / 1e3;
    return new Run((fields.get("done") - from) / 1e3, running, fields.get("counted"));
  }

  /** The Flink module's classes and dependencies, as its build wrote them. */
  private String flinkClasspath() {
    Path classes = flinkModule.resolve("target/classes");
    Path dependencies = flinkModule.resolve("target/classpath.txt");
    if (!Files.isDirectory(classes) || !Files.isRegularFile(dependencies)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--flink needs the built "
          + "Flink module in " + flinkModule.toAbsolutePath() + ": mvn -B -Pflink -pl bench-flink -am "
          + "package -DskipTests (./tally catchup --flink builds it)");
    }
    try {
      return classes.toAbsolutePath() + java.io.File.pathSeparator + Files.readString(dependencies).trim();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String tail(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }

  private String table(Map<Row, List<Run>> results) {
    // a cold job against the cold plain consumer of its backlog, a warm one against the warm one
    Map<String, Double> ceiling = new LinkedHashMap<>();
    results.forEach((row, runsOfRow) -> {
      if (row.job().equals("plain")) {
        ceiling.put(row.topic() + row.warm(), events / median(runsOfRow, Run::seconds));
      }
    });
    StringBuilder out = new StringBuilder();
    out.append("| input | job (a fresh JVM each run) | events/s | vs plain consumer | start until "
        + "RUNNING | seconds per run | events counted |\n|---|---|---:|---:|---:|---|---:|\n");
    for (Map.Entry<Row, List<Run>> entry : results.entrySet()) {
      List<Run> runsOfRow = entry.getValue();
      double rate = events / median(runsOfRow, Run::seconds);
      double plainRate = ceiling.get(entry.getKey().topic() + entry.getKey().warm());
      double running = median(runsOfRow, Run::runningSeconds);
      List<String> seconds = new ArrayList<>();
      long counted = Long.MAX_VALUE;
      for (Run run : runsOfRow) {
        seconds.add(String.format("%.1f", run.seconds()));
        counted = Math.min(counted, run.counted());
      }
      out.append(String.format("| %s | %s | %,.0f | %.2fx | %s | %s | %,d of %,d |%n",
          entry.getKey().input(), entry.getKey().name(), rate, rate / plainRate,
          Double.isNaN(running) ? "-" : String.format("%.1f s", running),
          String.join(", ", seconds), counted, events));
    }
    return out.toString();
  }

  private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> figure) {
    return BenchCommand.median(runs.stream().mapToDouble(figure).toArray());
  }


  /** A command-line argument as the results file shows it: another build's classpath elided. */
  private String shown(String arg) {
    for (String build : builds) {
      String name = build.split("=", 2)[0];
      if (arg.equals(build)) {
        return name + "=CLASSPATH";
      }
      if (arg.equals("--build=" + build)) {
        return "--build=" + name + "=CLASSPATH";
      }
    }
    return arg;
  }

  private String markdown(Backlog backlog, String table) {
    return "## Catch-up: the peers' footing (broker apart, a fresh JVM per job)\n\n"
        + "Written by `./tally catchup`; do not edit by hand.\n\n"
        + "- machine: " + Runtime.getRuntime().availableProcessors() + " cores, Java "
        + System.getProperty("java.version") + ", " + System.getProperty("os.name") + "\n"
        + "- date: " + Instant.now() + "\n"
        + "- command: `./tally catchup " + String.join(" ", resultsFile.ownArguments().stream()
            .map(this::shown).toList()) + "`\n"
        + "- backlog: " + backlog.describe() + ", 1-minute windows, grace 10 s; "
        + (keys.size() > 1 ? "the same events in a topic per input (null keys: the producer's "
            + "sticky partitioning; keyed by user: partitioned by username)" : "one topic")
        + "\n"
        + "- broker: one KRaft node in its own JVM (the local stack's child-process cluster)\n"
        + (builds.isEmpty() ? "" : "- other builds, from their own classes in the same runs: "
            + String.join(", ", builds.stream().map(build -> build.split("=", 2)[0]).toList())
            + "\n")
        + "- each job in a fresh JVM" + (jobJavaOpts.isBlank() ? " with the JVM's defaults"
            : " with `" + jobJavaOpts + "`") + ", timed from the moment its process was started "
        + "until the poll that brought its last final result (read_committed; the plain consumer: "
        + "until its last record decoded), so JVM start, class loading, Kafka Streams' start-up and "
        + "the way through both shuffles are included (start until RUNNING: until Kafka Streams "
        + "was RUNNING; Flink: until its job was submitted to its local mini-cluster); the jobs "
        + "take turns within each run, with a 2-s pause before each; medians of " + runs + " runs"
        + (warm ? "; a warm-JVM row: the job ran once in its JVM to warm up, then again (a new "
            + "application, a new consumer group), timed from that second start" : "") + "\n\n"
        + table;
  }
}
