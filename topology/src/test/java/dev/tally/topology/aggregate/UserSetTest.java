package dev.tally.topology.aggregate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UserSetTest {

  private static boolean add(UserSet set, String name) {
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    // from the middle of a larger array, as the aggregation reads names in place
    byte[] around = new byte[utf8.length + 7];
    System.arraycopy(utf8, 0, around, 3, utf8.length);
    return set.add(around, 3, utf8.length);
  }

  @Test
  void countsEachNameOnceAndComparesBytesNotHashes() {
    UserSet set = new UserSet();
    // "Aa" and "BB" share String.hashCode, as do their concatenations; "ab" is a prefix of "abc"
    for (String name : List.of("Aa", "BB", "AaBB", "BBAa", "ab", "abc", "", "jürgen", "日本")) {
      assertTrue(add(set, name), name);
    }
    for (String name : List.of("Aa", "BB", "AaBB", "BBAa", "ab", "abc", "", "jürgen", "日本")) {
      assertFalse(add(set, name), name);
    }
    assertEquals(9, set.size());
  }

  @Test
  void agreesWithAHashSetThroughManyGrowths() {
    UserSet set = new UserSet();
    Set<String> expected = new HashSet<>();
    Random random = new Random(7);
    for (int i = 0; i < 200_000; i++) {
      String name = "user-" + random.nextInt(60_000);
      assertEquals(expected.add(name), add(set, name), name);
    }
    assertEquals(expected.size(), set.size());
  }

  @Test
  void theArenaHoldsNewNamesInTheChangelogLayoutInOrderFirstSeen() {
    UserSet set = new UserSet();
    add(set, "u1");
    int mark = set.end();
    add(set, "u2");
    add(set, "u1");
    add(set, "user-three");
    ByteBuffer tail = ByteBuffer.wrap(set.arena(), mark, set.end() - mark);
    List<String> names = new ArrayList<>();
    while (tail.hasRemaining()) {
      byte[] name = new byte[tail.getInt()];
      tail.get(name);
      names.add(new String(name, StandardCharsets.UTF_8));
    }
    assertEquals(List.of("u2", "user-three"), names);
    assertArrayEquals(new byte[] {0, 0, 0, 2, 'u', '1'}, java.util.Arrays.copyOf(set.arena(), mark));
  }
}
