package dev.tally.topology.commit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CommitPacerTest {

  private long now = 10_000;
  private final CommitPacer pacer = new CommitPacer(() -> now);

  @Test
  void afterSlowCommitsACommitWaitsUntilTheyTookLessThanHalfOfTheLastSecond() {
    assertTrue(pacer.mayCommit(), "no commit yet");
    // a commit: two tasks' stores flushed, then 800 ms in the producer and the coordinator
    pacer.flushing();
    now += 5;
    pacer.flushing();
    now += 795;
    pacer.working(); // the next record: the commit took 800 ms
    now += 10;
    assertFalse(pacer.mayCommit(), "back to back with a slow commit");
    now += 490;
    assertFalse(pacer.mayCommit(), "half of the last second in that commit");
    now += 1;
    assertTrue(pacer.mayCommit(), "499 ms of it");
  }

  @Test
  void fastCommitsFollowOneAnotherAtOnce() {
    for (int stage = 0; stage < 3; stage++) { // a final result's way through the three stages
      pacer.flushing();
      now += 40;
      pacer.working();
      assertTrue(pacer.mayCommit(), "stage " + stage);
    }
    for (int more = 0; more < 10; more++) { // but not commits all the time
      pacer.flushing();
      now += 40;
      pacer.working();
    }
    assertFalse(pacer.mayCommit());
  }
}
