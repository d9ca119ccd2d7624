package dev.tally.reliability;

import dev.tally.schema.MinuteCount;
import dev.tally.schema.SeriesWindow;
import dev.tally.testkit.Reference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One run's outputs compared with the reference: the results topic (exactly one final per window,
 * exact figures), the Redis mirror, InfluxDB and the dead-letter topic.
 *
 * @param windowsChecked (series, window) pairs in the reference
 * @param kafkaMismatches windows missing, doubled, wrong or unexpected in the results topic
 * @param lostEvents events the reference has and the final results lack
 * @param duplicates final records beyond one per window, plus events counted more than once
 * @param redisMismatches windows missing, not final, wrong or unexpected in the mirror
 * @param influxMismatches windows missing, wrong or unexpected in InfluxDB
 * @param poisonSent poison records acknowledged by Kafka
 * @param poisonRouted of those, how many are in the dead-letter topic with their reason
 * @param lateSent late events acknowledged by Kafka
 * @param lateRouted of those, how many are dead letters with reason {@code late}
 * @param unexpectedLetters dead letters for records that were good (or twice for one record)
 * @param examples the first problems, for the log and the report
 */
public record Verdict(int windowsChecked, int kafkaMismatches, long lostEvents, long duplicates,
    int redisMismatches, int influxMismatches, int poisonSent, int poisonRouted, int lateSent,
    int lateRouted, int unexpectedLetters, List<String> examples) {

  private static final int EXAMPLES = 10;

  /** Whether every check passed. */
  public boolean exact() {
    return kafkaMismatches == 0 && lostEvents == 0 && duplicates == 0 && redisMismatches == 0
        && influxMismatches == 0 && poisonRouted == poisonSent && lateRouted == lateSent
        && unexpectedLetters == 0;
  }

  static Verdict of(Map<SeriesWindow, Reference.Expected> expected,
      Map<SeriesWindow, List<MinuteCount>> finals, Map<SeriesWindow, Reference.Expected> redis,
      Map<SeriesWindow, Reference.Expected> influx, Map<String, String> expectedLetters,
      Map<String, List<String>> letters) {
    List<String> examples = new ArrayList<>();
    int kafka = 0;
    long lost = 0;
    long duplicates = 0;
    for (Map.Entry<SeriesWindow, Reference.Expected> entry : expected.entrySet()) {
      Reference.Expected want = entry.getValue();
      List<MinuteCount> got = finals.getOrDefault(entry.getKey(), List.of());
      if (got.isEmpty()) {
        kafka++;
        lost += want.count();
        note(examples, "results: no final for " + entry.getKey() + " (want " + want + ")");
        continue;
      }
      MinuteCount first = got.get(0);
      duplicates += got.size() - 1;
      lost += Math.max(0, want.count() - first.getCount());
      duplicates += Math.max(0, first.getCount() - want.count());
      if (got.size() > 1 || first.getCount() != want.count()
          || first.getUniqueUsers() != want.uniqueUsers()) {
        kafka++;
        note(examples, "results: " + entry.getKey() + " has " + got.stream()
            .map(v -> v.getCount() + "/" + v.getUniqueUsers()).toList() + ", want " + want);
      }
    }
    for (Map.Entry<SeriesWindow, List<MinuteCount>> entry : finals.entrySet()) {
      if (!expected.containsKey(entry.getKey())) {
        kafka++;
        duplicates += entry.getValue().stream().mapToLong(MinuteCount::getCount).sum();
        note(examples, "results: unexpected final " + entry.getKey());
      }
    }
    int redisWrong = compare("redis", expected, redis, examples);
    int influxWrong = compare("influxdb", expected, influx, examples);

    int poisonSent = 0;
    int poisonRouted = 0;
    int lateSent = 0;
    int lateRouted = 0;
    for (Map.Entry<String, String> entry : expectedLetters.entrySet()) {
      boolean late = entry.getValue().equals("late");
      List<String> got = letters.getOrDefault(entry.getKey(), List.of());
      boolean routed = got.size() == 1 && got.get(0).equals(entry.getValue());
      if (late) {
        lateSent++;
        lateRouted += routed ? 1 : 0;
      } else {
        poisonSent++;
        poisonRouted += routed ? 1 : 0;
      }
      if (!routed) {
        note(examples, "dead letters: record " + entry.getKey() + " should be one '" + entry.getValue()
            + "', found " + got);
      }
    }
    int unexpected = 0;
    for (Map.Entry<String, List<String>> entry : letters.entrySet()) {
      if (!expectedLetters.containsKey(entry.getKey())) {
        unexpected += entry.getValue().size();
        note(examples, "dead letters: unexpected " + entry.getValue() + " for good record " + entry.getKey());
      } else if (entry.getValue().size() > 1) {
        unexpected += entry.getValue().size() - 1;
      }
    }
    return new Verdict(expected.size(), kafka, lost, duplicates, redisWrong, influxWrong, poisonSent,
        poisonRouted, lateSent, lateRouted, unexpected, List.copyOf(examples));
  }

  /** Windows of a sink that differ from the reference: missing, not final (null), wrong or extra. */
  private static int compare(String sink, Map<SeriesWindow, Reference.Expected> expected,
      Map<SeriesWindow, Reference.Expected> actual, List<String> examples) {
    int wrong = 0;
    for (Map.Entry<SeriesWindow, Reference.Expected> entry : expected.entrySet()) {
      Reference.Expected got = actual.get(entry.getKey());
      if (!entry.getValue().equals(got)) {
        wrong++;
        note(examples, sink + ": " + entry.getKey() + " has "
            + (actual.containsKey(entry.getKey()) ? (got == null ? "no final" : got) : "nothing")
            + ", want " + entry.getValue());
      }
    }
    Map<SeriesWindow, Reference.Expected> extra = new HashMap<>(actual);
    extra.keySet().removeAll(expected.keySet());
    for (SeriesWindow key : extra.keySet()) {
      wrong++;
      note(examples, sink + ": unexpected " + key);
    }
    return wrong;
  }

  private static void note(List<String> examples, String problem) {
    if (examples.size() < EXAMPLES) {
      examples.add(problem);
    }
  }
}
