package dev.tally.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.localstack.ChildProcess;
import dev.tally.localstack.KafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tally as an operating-system process ({@link TallyApp#main}, which {@code tally run} shares through
 * {@link TallyApp#runUntilStopped}): it joins its group, and SIGTERM stops it cleanly and leaves the
 * group.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TallyAppProcessTest {

  @TempDir
  Path dir;

  @Test
  void runsUntilSigtermThenStopsCleanly() throws Exception {
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0);
        Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      ChildProcess tally = ChildProcess.start("tally", ChildProcess.javaCommand(List.of("-Xmx256m"),
          TallyApp.class.getName(), List.of("bootstrap.servers=" + kafka.bootstrapServers(),
              "application.id=process-test", "state.dir=" + dir.resolve("state"),
              TallyConfig.TOPIC_REPLICATION + "=1", "num.standby.replicas=0")),
          dir.resolve("tally.log"));
      try {
        awaitMember(admin, tally);
        assertTrue(tally.isAlive());
      } finally {
        tally.close(); // SIGTERM, then waits
      }
      assertFalse(tally.isAlive());
      // 143: the JVM ended by SIGTERM, after its shutdown hooks ran
      assertEquals(143, tally.exitCode().getAsInt(), tally.logTail());
      String log = tally.logTail();
      assertTrue(log.contains("PENDING_SHUTDOWN -> NOT_RUNNING"), "no clean close in the log:\n" + log);
      assertFalse(log.contains("ERROR"), "errors in the log:\n" + log);
      // it left the group: the others need not wait session.timeout.ms to take its tasks over
      assertEquals(List.of(), admin.describeConsumerGroups(List.of("process-test")).all().get()
          .get("process-test").members());
    }
  }

  @Test
  void refusesAnArgumentThatIsNoSetting() throws Exception {
    ChildProcess tally = ChildProcess.start("tally", ChildProcess.javaCommand(List.of(),
        TallyApp.class.getName(), List.of("not-a-setting")), dir.resolve("bad.log"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (tally.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(2, tally.exitCode().getAsInt());
    assertTrue(tally.logTail().contains("not a setting: not-a-setting"), tally.logTail());
    tally.close();
  }

  private static void awaitMember(Admin admin, ChildProcess tally) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      assertTrue(tally.isAlive(), () -> "Tally exited:\n" + tally.logTail());
      try {
        ConsumerGroupDescription group = admin.describeConsumerGroups(List.of("process-test")).all()
            .get().get("process-test");
        if (group.groupState() == GroupState.STABLE && group.members().size() == 1) {
          return;
        }
      } catch (ExecutionException notYet) {
        // no group before the first join
      }
      Thread.sleep(200);
    }
    throw new AssertionError("Tally never joined its group:\n" + tally.logTail());
  }
}
