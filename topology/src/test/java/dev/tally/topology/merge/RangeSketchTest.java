package dev.tally.topology.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RangeSketchTest {

  @Test
  void exactUpToTheLimitWhateverTheRepeatsAndOrder() {
    long[] hashes = new SplittableRandom(7).longs(RangeSketch.EXACT_LIMIT).toArray();
    RangeSketch sketch = RangeSketch.empty();
    for (int from = 0; from < hashes.length; from += 100) {
      long[] part = java.util.Arrays.copyOfRange(hashes, from, Math.min(hashes.length, from + 150));
      sketch = RangeSketch.read(sketch.add(part).bytes()); // overlapping parts, through the store
    }
    assertTrue(sketch.isExact());
    assertEquals(RangeSketch.EXACT_LIMIT, sketch.uniqueUsers());
    sketch.add(hashes);
    assertEquals(RangeSketch.EXACT_LIMIT, sketch.uniqueUsers(), "adding them again changes nothing");
    assertEquals(1 + 8 * RangeSketch.EXACT_LIMIT, sketch.bytes().length);
  }

  @Test
  void pastTheLimitAnEstimateOfEightKibibytesWithinTwoPercent() {
    SplittableRandom random = new SplittableRandom(11);
    for (int users : new int[] {RangeSketch.EXACT_LIMIT + 1, 10_000, 200_000}) {
      long[] hashes = random.longs(users).toArray();
      RangeSketch sketch = RangeSketch.empty();
      for (int from = 0; from < users; from += 1_000) {
        sketch = RangeSketch.read(sketch.add(java.util.Arrays.copyOfRange(hashes, from,
            Math.min(users, from + 1_000))).bytes());
      }
      assertFalse(sketch.isExact(), users + " users");
      assertEquals(1 + 8_192, sketch.bytes().length);
      long estimate = sketch.uniqueUsers();
      assertTrue(Math.abs(estimate - users) <= users * 0.02, users + " users, estimate " + estimate);
      assertEquals(estimate, sketch.add(hashes).uniqueUsers(), "adding them again changes nothing");
    }
  }
}
