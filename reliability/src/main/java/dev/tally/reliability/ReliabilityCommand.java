package dev.tally.reliability;

import dev.tally.localstack.WorkDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tally reliability}: runs the fault-injection harness and writes {@code RELIABILITY.md}. Each
 * run is seeded; the faults, the stream and the poison come from the seed.
 */
@Command(name = "reliability", mixinStandardHelpOptions = true,
    description = {"Runs Tally under failure on this machine: a 3-node Kafka cluster, Tally instances, "
        + "redis-server and influxd as separate processes, the two sinks in a Connect worker, and a "
        + "live seeded stream with poison and late events, while instances and brokers are killed "
        + "with kill -9 and Redis and InfluxDB go down. Then checks every window of the results "
        + "topic, Redis and InfluxDB against an independent reference and writes a table.",
        "Needs redis-server and influxd (./tally installs them). The default is the long version: "
            + "every fault kind, with and without standby replicas (about 25 minutes)."})
public final class ReliabilityCommand implements Callable<Integer> {

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the first run; run i uses seed + i (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--runs", defaultValue = "2", description = "Runs per standby setting (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--standbys", defaultValue = "1,0", split = ",", description = "num.standby.replicas settings to run (default ${DEFAULT-VALUE}).")
  int[] standbys;

  @Option(names = "--minutes", defaultValue = "5", description = "Stream length of each run in minutes (default ${DEFAULT-VALUE}).")
  int minutes;

  @Option(names = "--rate", defaultValue = "300", description = "Events per second (default ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--faults", defaultValue = "INSTANCE_KILL,BROKER_KILL,REDIS_OUTAGE,REDIS_WIPE,INFLUX_OUTAGE",
      split = ",", description = "Fault kinds, each injected --per-kind times a run: ${COMPLETION-CANDIDATES} (default: all).")
  List<Fault> faults;

  @Option(names = "--per-kind", defaultValue = "1", description = "Faults of each kind per run (default ${DEFAULT-VALUE}).")
  int perKind;

  @Option(names = "--quick", description = "The short version of the test suite instead: one instance kill and one Redis outage on a 75 s stream, per run.")
  boolean quick;

  @Option(names = "--work-dir", description = "Where the servers write (default: a new temporary directory, deleted when the run passed).")
  Path workDir;

  @Option(names = "--output", defaultValue = "RELIABILITY.md", description = "The table to write (default ${DEFAULT-VALUE}).")
  Path output;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A Tally or Kafka Streams setting of "
      + "every instance, over the harness's own, e.g. transaction.timeout.ms=5000. Repeatable.")
  Map<String, String> settings = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    List<ReliabilityRun.Result> results = new ArrayList<>();
    Path base = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("tally-reliability-");
    boolean allExact = true;
    int total = runs * standbys.length;
    int done = 0;
    for (int standby : standbys) {
      for (int i = 0; i < runs; i++) {
        long runSeed = seed + done;
        Scenario scenario = (quick ? Scenario.quick(runSeed) : scenario(runSeed)).withStandbys(standby);
        System.err.printf("tally reliability: run %d of %d (seed %d, %d standby replicas)%n",
            ++done, total, runSeed, standby);
        ReliabilityRun.Result result = ReliabilityRun.run(scenario, settings,
            base.resolve("run-" + done), System.err);
        results.add(result);
        boolean exact = result.passed();
        allExact &= exact;
        System.err.printf("tally reliability: run %d %s: %d windows, fail-over %s ms%n", done,
            exact ? "exact" : "FAILED", result.verdict().windowsChecked(),
            ReliabilityReport.failover(result.failoverMs()));
      }
    }
    String commandLine = "./tally reliability " + (quick ? "--quick " : "") + "--seed " + seed
        + " --runs " + runs + " --standbys " + Arrays.toString(standbys).replaceAll("[\\[\\] ]", "")
        + (quick ? "" : " --minutes " + minutes + " --rate " + rate + " --per-kind " + perKind
            + (faults.size() == Fault.values().length ? "" : " --faults " + faults.stream()
                .map(Fault::name).collect(Collectors.joining(","))))
        + settings.entrySet().stream().map(e -> " --set " + e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining());
    String markdown = ReliabilityReport.markdown(results, commandLine);
    Files.writeString(output, markdown);
    System.out.print(markdown);
    if (workDir == null && allExact) {
      WorkDir.deleteRecursively(base);
      System.err.println("tally reliability: wrote " + output);
    } else {
      System.err.println("tally reliability: wrote " + output + "; servers' files and logs in " + base);
    }
    return allExact ? 0 : 1;
  }

  private Scenario scenario(long runSeed) {
    Duration stream = Duration.ofMinutes(minutes);
    Duration outage = Duration.ofSeconds(30);
    return new Scenario(runSeed, stream, rate, 16, 200, 10_000, 15_000, 3, 3, 4, 1,
        Scenario.plan(runSeed, stream, outage, faults, perKind), outage, 0.01, 0.02, 5);
  }
}
