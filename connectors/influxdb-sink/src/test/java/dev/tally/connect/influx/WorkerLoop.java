package dev.tally.connect.influx;

import dev.tally.testkit.RecordingSinkTaskContext;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * What a Connect worker does with a batch: {@code put} it, and after a {@link RetriableException}
 * wait the backoff the task asked for ({@code context.timeout}) and {@code put} the same records
 * again, until the task takes them.
 */
final class WorkerLoop {

  private WorkerLoop() {
  }

  /** Delivers the batch and returns how many retries it took. */
  static int deliver(SinkTask task, RecordingSinkTaskContext context, List<SinkRecord> records,
      Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    int retries = 0;
    while (true) {
      try {
        task.put(records);
        return retries;
      } catch (RetriableException e) {
        retries++;
        if (System.nanoTime() > deadline) {
          throw new AssertionError("still failing after " + within + " and " + retries
              + " retries", e);
        }
        Thread.sleep(context.lastTimeout());
      }
    }
  }
}
