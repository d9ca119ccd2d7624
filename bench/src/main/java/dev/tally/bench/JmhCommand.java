package dev.tally.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The JMH micro-benchmarks of the hot path ({@code bench/src/jmh/java}, in the packages of the code
 * they measure): {@code EventDecoder.decode} on Avro and on line protocol (into Strings, and in
 * place as the input stage decodes), and the aggregation
 * store's {@code add} and {@code flushCache}. JMH runs each in forked JVMs on this JVM's class path;
 * the command prints a table of nanoseconds per operation and writes it as Markdown.
 */
@Command(name = "jmh", mixinStandardHelpOptions = true,
    description = "Runs the JMH micro-benchmarks of the hot path (decoding Avro and line protocol, "
        + "into Strings and in place; the aggregation store's add and flushCache) in forked JVMs, prints nanoseconds per "
        + "operation, and writes a table (e.g. BENCHMARKS-JMH.md). Defaults are short (about a "
        + "minute); raise --forks and --iterations for figures to compare.")
public final class JmhCommand implements Callable<Integer> {

  /** Every benchmark of this build: they sit in Tally's own packages. */
  static final String ALL = "^dev\\.tally\\.";

  @Option(names = "--include", paramLabel = "REGEX", defaultValue = ALL,
      description = "Benchmarks to run, a regular expression on their full names, e.g. "
          + "Tallies (default: all of Tally's).")
  String include;

  @Option(names = "--forks", defaultValue = "1", description = "JVM forks per benchmark (default ${DEFAULT-VALUE}).")
  int forks;

  @Option(names = "--warmup-iterations", defaultValue = "3",
      description = "Warm-up iterations per fork (default ${DEFAULT-VALUE}).")
  int warmupIterations;

  @Option(names = "--iterations", defaultValue = "5",
      description = "Measured iterations per fork (default ${DEFAULT-VALUE}).")
  int iterations;

  @Option(names = "--iteration-seconds", defaultValue = "1",
      description = "Length of each warm-up and measured iteration (default ${DEFAULT-VALUE}).")
  int iterationSeconds;

  @Option(names = "--list", description = "List the benchmarks and their parameters; run nothing.")
  boolean list;

  @Option(names = "--output", paramLabel = "FILE", description = "Write the table here (e.g. BENCHMARKS-JMH.md).")
  Path output;

  @Spec
  CommandSpec spec;

  private final PrintStream log = System.err;

  /** Runs the benchmarks without the rest of the tally command. */
  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new JmhCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Options options = new OptionsBuilder()
        .include(include)
        .forks(forks)
        .warmupIterations(warmupIterations)
        .warmupTime(TimeValue.seconds(iterationSeconds))
        .measurementIterations(iterations)
        .measurementTime(TimeValue.seconds(iterationSeconds))
        .shouldFailOnError(true)
        .build();
    Runner runner = new Runner(options);
    if (list) {
      runner.listWithParams(new CommandLineOptions(include));
      return 0;
    }
    Collection<RunResult> results = runner.run();
    if (results.isEmpty()) {
      log.println("# no benchmark matches --include " + include);
      return 1;
    }
    String table = table(results);
    System.out.println();
    System.out.println(table);
    if (output != null) {
      Files.writeString(output, markdown(results, table));
      log.println("# wrote " + output);
    }
    return 0;
  }

  static String table(Collection<RunResult> results) {
    StringBuilder out = new StringBuilder("| benchmark | parameters | mean | ± (99.9% CI) | unit | samples |\n"
        + "|---|---|---:|---:|---|---:|\n");
    for (RunResult run : results) {
      BenchmarkParams params = run.getParams();
      Result<?> primary = run.getPrimaryResult();
      List<String> values = new ArrayList<>();
      for (String key : params.getParamsKeys()) {
        values.add(key + "=" + params.getParam(key));
      }
      double error = primary.getScoreError();
      out.append(String.format("| %s | %s | %,.1f | %s | %s | %d |%n", shortName(params.getBenchmark()),
          String.join(", ", values), primary.getScore(),
          Double.isNaN(error) ? "n/a" : String.format("%,.1f", error), primary.getScoreUnit(),
          primary.getStatistics().getN()));
    }
    return out.toString();
  }

  /** {@code EventDecoderBenchmark.decode} of {@code dev.tally.decode.EventDecoderBenchmark.decode}. */
  private static String shortName(String benchmark) {
    int method = benchmark.lastIndexOf('.');
    int type = benchmark.lastIndexOf('.', method - 1);
    return benchmark.substring(type + 1);
  }

  private String markdown(Collection<RunResult> results, String table) {
    BenchmarkParams first = results.iterator().next().getParams();
    return "# Micro-benchmarks (JMH)\n\n"
        + "Written by `./tally jmh`; do not edit by hand. `./tally bench` measures the whole pipeline "
        + "(BENCHMARKS.md); these are its hot path alone, each in a JVM of its own.\n\n"
        + "- machine: " + Runtime.getRuntime().availableProcessors() + " cores, Java "
        + first.getJdkVersion() + " (" + first.getVmName() + " " + first.getVmVersion() + "), "
        + System.getProperty("os.name") + "; the cores may be shared with other work\n"
        + "- date: " + Instant.now() + "\n"
        + "- JMH " + first.getJmhVersion() + ", mode: average time per operation; " + forks
        + " fork(s), " + warmupIterations + " warm-up and " + iterations + " measured iteration(s) "
        + "of " + iterationSeconds + " s; ± is JMH's 99.9% confidence interval (n/a with one sample)\n"
        + "- command: `./tally jmh " + String.join(" ", BenchmarkFile.ownArguments(spec)) + "`\n"
        + "- `EventDecoderBenchmark.decode`: `EventDecoder.decode` of one record holding one event, "
        + "Avro single-object encoding or InfluxDB line protocol (`event_type=..,product=.. "
        + "value=USER TIMESTAMP_NS`); 1,024 different records of 48 series and 500 users per series "
        + "in turn, each event's Strings built\n"
        + "- `EventDecoderBenchmark.decodeInPlace`: the same records decoded as the input stage "
        + "decodes them, each event handed over as byte ranges (`EventBytes`): an Avro event's lie in "
        + "the record, without Avro's decoder or Strings; a line-protocol event's are encoded into a "
        + "scratch array\n"
        + "- `TalliesBenchmark.add`: one event counted in the aggregating stage's tallies (tally "
        + "looked up or created, count, user set); per event over 100,000 events into an empty store, "
        + "48 series of one window; `newUsersPercent` of the events come from a user new to its "
        + "(window, series), the others repeat one; each user's UTF-8 bytes read in place, as from a "
        + "shuffle batch\n"
        + "- `TalliesBenchmark.flush`: per flush, one commit's changelog batches after "
        + "10,000 such events (48 dirty tallies, one record each with its new users), into a sink that counts "
        + "bytes; ten sets of tallies flushed per invocation, so that young GCs (which the flushes' garbage "
        + "and the set-up's cause) fall evenly\n\n"
        + table;
  }
}
