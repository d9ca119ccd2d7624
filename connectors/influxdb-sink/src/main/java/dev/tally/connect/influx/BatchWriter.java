package dev.tally.connect.influx;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the points of many records in as few requests as the size limit allows, and when the
 * server refuses some of them, finds out which records they belong to.
 *
 * <p>InfluxDB answers a request with bad points with 400 (1.x: "partial write", having written the
 * good ones) without saying reliably which lines were bad, so a refused request is split in halves
 * and each half written again, down to single records. Writing a point again is harmless (same
 * series, same timestamp: the same point), so the good records cost a few extra requests and no
 * duplicates, and k bad records among n cost about 2k·log2(n) requests.
 */
final class BatchWriter {

  private static final Logger log = LoggerFactory.getLogger(BatchWriter.class);

  /** One record and its lines. */
  record Pending(SinkRecord record, List<String> lines) {
  }

  /** A record whose points the server refused, with the server's reason. */
  record Refused(SinkRecord record, List<String> lines, WriteFailure failure) {
  }

  private final InfluxWriter writer;
  private final int maxPointsPerRequest;

  BatchWriter(InfluxWriter writer, int maxPointsPerRequest) {
    this.writer = writer;
    this.maxPointsPerRequest = maxPointsPerRequest;
  }

  /**
   * Writes every record's lines. Returns the records the server refused; all others are written
   * when this returns.
   *
   * @throws WriteFailure of kind {@code RETRIABLE} or {@code FATAL}: then nothing is known about
   *     the records, and all of them must be written again
   */
  List<Refused> write(List<Pending> batch) throws WriteFailure {
    List<Refused> refused = new ArrayList<>();
    int from = 0;
    while (from < batch.size()) {
      // a record's lines stay in one request, so that a refusal always names whole records
      int to = from;
      int points = 0;
      do {
        points += batch.get(to).lines().size();
        to++;
      } while (to < batch.size() && points + batch.get(to).lines().size() <= maxPointsPerRequest);
      writeOrIsolate(batch.subList(from, to), refused);
      from = to;
    }
    return refused;
  }

  private void writeOrIsolate(List<Pending> part, List<Refused> refused) throws WriteFailure {
    try {
      writer.write(lines(part));
    } catch (WriteFailure e) {
      if (e.kind() != WriteFailure.Kind.BAD_POINTS && e.kind() != WriteFailure.Kind.TOO_LARGE) {
        throw e;
      }
      if (part.size() == 1) {
        refused.add(new Refused(part.get(0).record(), part.get(0).lines(), e));
        return;
      }
      log.debug("InfluxDB refused {} records ({}); writing them in halves to find the bad ones",
          part.size(), e.getMessage());
      int half = part.size() / 2;
      writeOrIsolate(part.subList(0, half), refused);
      writeOrIsolate(part.subList(half, part.size()), refused);
    }
  }

  private static List<String> lines(List<Pending> part) {
    List<String> lines = new ArrayList<>();
    for (Pending pending : part) {
      lines.addAll(pending.lines());
    }
    return lines;
  }
}
