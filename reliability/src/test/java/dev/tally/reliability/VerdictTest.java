package dev.tally.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.SeriesWindow;
import dev.tally.testkit.Reference;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparison itself: each kind of wrong output must be caught and counted. */
class VerdictTest {

  private static final SeriesWindow A = new SeriesWindow("live", "rails-5xx", 60_000);
  private static final SeriesWindow B = new SeriesWindow("live", "rails-5xx", 120_000);
  private static final Map<SeriesWindow, Reference.Expected> EXPECTED =
      Map.of(A, new Reference.Expected(5, 2), B, new Reference.Expected(1, 1));

  @Test
  void theReferenceCountsEventsAndDistinctUsersPerWindow() {
    Reference reference = new Reference(60_000);
    reference.add("live", "rails-5xx", "u1", 1478507534415525888L);
    reference.add("live", "rails-5xx", "u1", 1478507534415525890L);
    reference.add("live", "stuck_in_queue", "u2", 1478507534415525888L);
    reference.add("automate", "browser_error", "u3", 1478507534415525888L);
    reference.add("automate", "browser_error", "u4", 1478507534415525888L);
    long minute = 1478507520000L;
    assertEquals(Map.of(
        new SeriesWindow("live", "rails-5xx", minute), new Reference.Expected(2, 1),
        new SeriesWindow("live", "stuck_in_queue", minute), new Reference.Expected(1, 1),
        new SeriesWindow("automate", "browser_error", minute), new Reference.Expected(2, 2)),
        reference.expected());
  }

  @Test
  void exactOutputsPass() {
    Verdict verdict = Verdict.of(EXPECTED, finals(Map.of(A, List.of(count(A, 5, 2)), B, List.of(count(B, 1, 1)))),
        EXPECTED, EXPECTED, Map.of("0/3", "unparseable"), Map.of("0/3", List.of("unparseable")));
    assertTrue(verdict.exact(), verdict::toString);
  }

  @Test
  void aMissingADoubledAndAWrongWindowAreCaught() {
    Verdict missing = Verdict.of(EXPECTED, finals(Map.of(A, List.of(count(A, 5, 2)))), EXPECTED,
        EXPECTED, Map.of(), Map.of());
    assertEquals(1, missing.kafkaMismatches());
    assertEquals(1, missing.lostEvents());
    assertFalse(missing.exact());

    Verdict doubled = Verdict.of(EXPECTED, finals(Map.of(A, List.of(count(A, 5, 2), count(A, 5, 2)),
        B, List.of(count(B, 1, 1)))), EXPECTED, EXPECTED, Map.of(), Map.of());
    assertEquals(1, doubled.duplicates());
    assertFalse(doubled.exact());

    Verdict wrong = Verdict.of(EXPECTED, finals(Map.of(A, List.of(count(A, 6, 2)), B,
        List.of(count(B, 1, 1)))), EXPECTED, EXPECTED, Map.of(), Map.of());
    assertEquals(1, wrong.duplicates());
    assertFalse(wrong.exact());
  }

  @Test
  void sinksThatDifferAndDeadLettersThatAreMissingOrUnexpectedAreCaught() {
    Map<SeriesWindow, List<MinuteCount>> right = finals(Map.of(A, List.of(count(A, 5, 2)), B, List.of(count(B, 1, 1))));
    Map<SeriesWindow, Reference.Expected> notFinal = new HashMap<>(EXPECTED);
    notFinal.put(B, null);
    Verdict redis = Verdict.of(EXPECTED, right, notFinal, EXPECTED, Map.of(), Map.of());
    assertEquals(1, redis.redisMismatches());

    Map<SeriesWindow, Reference.Expected> extra = new HashMap<>(EXPECTED);
    extra.put(new SeriesWindow("x", "y", 0), new Reference.Expected(1, 1));
    assertEquals(1, Verdict.of(EXPECTED, right, EXPECTED, extra, Map.of(), Map.of()).influxMismatches());

    Verdict letters = Verdict.of(EXPECTED, right, EXPECTED, EXPECTED,
        Map.of("0/3", "unparseable", "1/9", "late"),
        Map.of("0/3", List.of("missing-field"), "2/4", List.of("unparseable")));
    assertEquals(0, letters.poisonRouted());
    assertEquals(0, letters.lateRouted());
    assertEquals(1, letters.unexpectedLetters());
    assertFalse(letters.exact());
  }

  private static Map<SeriesWindow, List<MinuteCount>> finals(Map<SeriesWindow, List<MinuteCount>> finals) {
    return finals;
  }

  private static MinuteCount count(SeriesWindow window, long count, long unique) {
    return new MinuteCount(window.product(), window.eventType(), Instant.ofEpochMilli(window.windowStartMs()),
        Instant.ofEpochMilli(window.windowStartMs() + 60_000), count, unique, true, Instant.now());
  }
}
