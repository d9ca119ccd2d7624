package dev.tally.topology.window;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CommitPacerTest {

  private long now = 1_000;
  private final CommitPacer pacer = new CommitPacer(() -> now);

  @Test
  void aCommitIsGrantedOnlyAfterAsMuchProcessingAsTheLastCommitTook() {
    assertTrue(pacer.mayCommit(), "no commit yet");
    // a commit: two tasks' stores flushed, then 800 ms in the producer and the coordinator
    pacer.flushing();
    now += 5;
    pacer.flushing();
    now += 795;
    pacer.working(); // the next record: the commit took 800 ms
    now += 10;
    assertFalse(pacer.mayCommit(), "back to back with a slow commit");
    now += 789;
    assertFalse(pacer.mayCommit());
    now += 1;
    assertTrue(pacer.mayCommit(), "800 ms of processing since it ended");
  }

  @Test
  void fastCommitsAreGrantedAtOnce() {
    pacer.flushing();
    now += 3;
    pacer.working();
    now += 3;
    assertTrue(pacer.mayCommit());
    pacer.flushing(); // the end of a commit is also seen by the next ask
    now += 2;
    assertFalse(pacer.mayCommit(), "a 2 ms commit that ended just now");
    now += 2;
    assertTrue(pacer.mayCommit());
  }
}
