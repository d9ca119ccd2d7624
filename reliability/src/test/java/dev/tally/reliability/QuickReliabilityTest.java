package dev.tally.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short version of the reliability harness, in the default suite: a 3-node Kafka cluster and
 * two Tally instances as separate processes, the sinks in a Connect worker, a 75 s live stream with
 * poison, duplicates and late events; one Tally instance killed with {@code kill -9} mid-stream and
 * redis-server down for 30 s. Every window must come out exactly once, exact, in the results topic,
 * Redis and InfluxDB. The long version: {@code ./tally reliability}.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class QuickReliabilityTest {

  @TempDir
  Path dir;

  @Test
  void anInstanceKillAndARedisOutageLoseNothingAndCountNothingTwice() throws Exception {
    ReliabilityRun.Result result = ReliabilityRun.run(Scenario.quick(20261201L), dir, System.out);
    Verdict verdict = result.verdict();

    assertEquals(Map.of(Fault.INSTANCE_KILL, 1, Fault.REDIS_OUTAGE, 1), result.faultsInjected());
    assertEquals(List.of(), result.faultErrors(), "faults that could not be carried out");
    assertTrue(verdict.windowsChecked() >= 40, "too few windows to be a test: " + verdict.windowsChecked());
    assertTrue(verdict.poisonSent() > 0 && verdict.lateSent() > 0,
        "no poison or no late events sent: " + verdict);
    assertEquals(0, result.sendsFailed(), "sends never acknowledged: the reference would be unsure");
    // on a mismatch, say also where the missing events went (the examples only say which windows)
    assertEquals(List.of(), verdict.examples(), () -> "mismatches; events lost " + verdict.lostEvents()
        + ", duplicates " + verdict.duplicates() + ", unexpected dead letters "
        + verdict.unexpectedLetters() + ", late routed " + verdict.lateRouted() + " of "
        + verdict.lateSent() + ", instances that died " + result.crashes() + ", fail-over ms "
        + result.failoverMs());
    assertEquals(0, verdict.lostEvents());
    assertEquals(0, verdict.duplicates());
    assertEquals(verdict.poisonSent(), verdict.poisonRouted());
    assertEquals(verdict.lateSent(), verdict.lateRouted());
    assertTrue(verdict.exact(), verdict::toString);
    assertEquals(0, result.crashes(), "Tally instances that died on their own");
    assertTrue(result.passed());
    assertEquals(1, result.failoverMs().size(), "the kill was not timed: no instance held partitions");
    assertTrue(result.failoverMs().get(0) > 0, "the fail-over never finished");
  }
}
