package dev.tally.reliability;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** {@code RELIABILITY.md}: written by the harness from its runs, never by hand. */
final class ReliabilityReport {

  private ReliabilityReport() {
  }

  static String markdown(List<ReliabilityRun.Result> results, String commandLine) {
    StringBuilder md = new StringBuilder();
    md.append("# Reliability\n\n");
    md.append("Written by `").append(commandLine).append("`; do not edit by hand.\n\n");
    md.append("- machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, Java ")
        .append(System.getProperty("java.version")).append(", ").append(System.getProperty("os.name"))
        .append("\n");
    md.append("- date: ").append(Instant.now()).append("\n");
    md.append("- each run: a Kafka cluster of separate KRaft processes (replication 3, min ISR 2), Tally "
        + "instances as separate processes (exactly_once_v2), redis-server and influxd, the Redis "
        + "mirror and InfluxDB sink in a Connect worker; a live stream stamped with the wall clock "
        + "(20% up to 3 s out of order, duplicates, 1% poison of six kinds, late events aimed at "
        + "windows already final), checked window by window against an in-memory reference\n");
    md.append("- fail-over: from the kill -9 of an instance that held partitions until other members "
        + "of a stable group hold every one of them (of the events topic and of both shuffles) and "
        + "each has committed progress since (session.timeout.ms 6000)\n\n");

    md.append("| seed | standbys | stream | faults injected | windows checked | mismatches (results / Redis / InfluxDB) "
        + "| events lost | duplicates | poison routed | late routed | unexpected dead letters | crashes "
        + "| fail-over ms p50 / max | verdict |\n");
    md.append("|---:|---:|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|\n");
    for (ReliabilityRun.Result result : results) {
      Verdict v = result.verdict();
      Scenario s = result.scenario();
      md.append("| ").append(s.seed())
          .append(" | ").append(s.standbys())
          .append(" | ").append(s.streamDuration().toSeconds()).append(" s, ")
          .append(result.eventsCounted()).append(" events (run: ").append(result.took().toSeconds())
          .append(" s)")
          .append(" | ").append(faults(result.faultsInjected()))
          .append(" | ").append(v.windowsChecked())
          .append(" | ").append(v.kafkaMismatches()).append(" / ").append(v.redisMismatches())
          .append(" / ").append(v.influxMismatches())
          .append(" | ").append(v.lostEvents())
          .append(" | ").append(v.duplicates())
          .append(" | ").append(v.poisonRouted()).append(" of ").append(v.poisonSent())
          .append(" | ").append(v.lateRouted()).append(" of ").append(v.lateSent())
          .append(" | ").append(v.unexpectedLetters())
          .append(" | ").append(result.crashes())
          .append(" | ").append(failover(result.failoverMs()))
          .append(" | ").append(result.passed() ? "exact"
              : "**FAILED**" + (result.faultErrors().isEmpty() ? "" : " (a fault failed: "
                  + result.faultErrors().get(0).replace('|', '/') + ")"))
          .append(" |\n");
    }
    md.append("\n## Totals\n\n");
    Map<Fault, Integer> faults = new EnumMap<>(Fault.class);
    List<Long> failovers = new ArrayList<>();
    long windows = 0;
    long mismatches = 0;
    long lost = 0;
    long duplicates = 0;
    for (ReliabilityRun.Result result : results) {
      result.faultsInjected().forEach((fault, count) -> faults.merge(fault, count, Integer::sum));
      failovers.addAll(result.failoverMs());
      windows += result.verdict().windowsChecked();
      mismatches += result.verdict().kafkaMismatches() + result.verdict().redisMismatches()
          + result.verdict().influxMismatches();
      lost += result.verdict().lostEvents();
      duplicates += result.verdict().duplicates();
    }
    md.append("| runs | faults by kind | windows checked | mismatches | events lost | duplicates |\n");
    md.append("|---:|---|---:|---:|---:|---:|\n");
    md.append("| ").append(results.size()).append(" | ").append(faults(faults)).append(" | ")
        .append(windows).append(" | ").append(mismatches).append(" | ").append(lost).append(" | ")
        .append(duplicates).append(" |\n");
    for (int standbys : results.stream().map(r -> r.scenario().standbys()).distinct().sorted().toList()) {
      List<Long> times = results.stream().filter(r -> r.scenario().standbys() == standbys)
          .flatMap(r -> r.failoverMs().stream()).toList();
      if (!times.isEmpty()) {
        md.append("\nFail-over with ").append(standbys).append(" standby replica(s): ")
            .append(failover(times)).append(" ms (p50 / max over ").append(times.size()).append(" kills)\n");
      }
    }
    return md.toString();
  }

  private static String faults(Map<Fault, Integer> faults) {
    if (faults.isEmpty()) {
      return "none";
    }
    return new EnumMap<>(faults).entrySet().stream()
        .map(e -> e.getValue() + "x " + e.getKey().label()).collect(Collectors.joining(", "));
  }

  /** p50 / max; a fail-over that never finished shows as "never". */
  static String failover(List<Long> times) {
    if (times.isEmpty()) {
      return "-";
    }
    if (times.stream().anyMatch(t -> t < 0)) {
      return "never (" + times + ")";
    }
    List<Long> sorted = times.stream().sorted().toList();
    return sorted.get((sorted.size() - 1) / 2) + " / " + sorted.get(sorted.size() - 1);
  }
}
