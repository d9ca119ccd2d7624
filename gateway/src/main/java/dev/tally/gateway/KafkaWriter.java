package dev.tally.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes batches of records to Kafka, each batch all or nothing, with one transactional producer on
 * one thread: the batches waiting when a transaction starts go into it together (group commit), and
 * each batch's future completes once the transaction is committed, or fails once it is certain that
 * it was not.
 *
 * <p>That is what lets the gateway answer a write request 204 only when Kafka holds every line of it,
 * and 503 only when it holds none: a client that retries after a 503 cannot duplicate half a
 * request. (Consumers that read uncommitted records see aborted ones; Tally reads committed ones.)
 *
 * <p>Failures: a transaction whose records Kafka refused or timed out is aborted, its batches failed
 * and its producer closed; a new one is initialised (which aborts whatever the old one left open,
 * should its abort not have reached Kafka), and until that succeeds {@link #ready()} is false and
 * {@link #submit} refuses at once. A commit that timed out has an unknown outcome, so it is retried
 * until Kafka answers, and the batches wait for that answer.
 */
final class KafkaWriter implements AutoCloseable {

  /** Thrown into a batch's future when Kafka did not take it: the client should retry later. */
  static final class Unavailable extends RuntimeException {
    Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private record Batch(List<ProducerRecord<byte[], byte[]>> records, CompletableFuture<Void> done) {}

  private static final Logger LOG = LoggerFactory.getLogger(KafkaWriter.class);
  private static final Duration RETRY_INIT = Duration.ofSeconds(1);
  /** At most this many records per transaction, so one commit does not grow without bound. */
  private static final int MAX_RECORDS_PER_TRANSACTION = 200_000;

  private final Supplier<Producer<byte[], byte[]>> producers;
  private final BlockingQueue<Batch> queue;
  private final Timer commits;
  private final Thread thread;
  private volatile boolean ready;
  private volatile boolean closed;
  private Producer<byte[], byte[]> producer;
  /** An outage has been logged and its end not yet. */
  private boolean outage;

  /**
   * @param producers makes a transactional producer (not yet initialised) whenever one is needed
   * @param maxWaitingBatches batches that may wait for a transaction; more are refused
   */
  KafkaWriter(Supplier<Producer<byte[], byte[]>> producers, int maxWaitingBatches, MeterRegistry registry) {
    this.producers = producers;
    this.queue = new ArrayBlockingQueue<>(maxWaitingBatches);
    this.commits = Timer.builder("tally.gateway.kafka.commit")
        .description("Kafka transactions of the gateway: sending a group of requests' records and committing them")
        .publishPercentiles(0.5, 0.99).register(registry);
    this.thread = new Thread(this::run, "tally-gateway-kafka");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Whether the producer is initialised and no commit's outcome is in doubt. */
  boolean ready() {
    return ready;
  }

  /**
   * Queues records for the next transaction. The future completes when they are committed, or fails
   * with {@link Unavailable} when they are certainly not; it fails at once when the writer is not
   * ready or too many batches already wait.
   */
  CompletableFuture<Void> submit(List<ProducerRecord<byte[], byte[]>> records) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (!ready || closed) {
      done.completeExceptionally(new Unavailable("Kafka is not available to the gateway", null));
    } else if (!queue.offer(new Batch(records, done))) {
      done.completeExceptionally(new Unavailable("too many writes wait for Kafka", null));
    }
    return done;
  }

  private void run() {
    List<Batch> group = new ArrayList<>();
    while (!closed) {
      if (producer == null && !initialise()) {
        failWaiting("Kafka is not available to the gateway", null);
        sleep(RETRY_INIT);
        continue;
      }
      Batch first;
      try {
        first = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        break;
      }
      if (first == null) {
        continue;
      }
      group.clear();
      group.add(first);
      int records = first.records().size();
      Batch next;
      while (records < MAX_RECORDS_PER_TRANSACTION && (next = queue.poll()) != null) {
        group.add(next);
        records += next.records().size();
      }
      write(group);
    }
    failWaiting("the gateway is shutting down", null);
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
  }

  private boolean initialise() {
    Producer<byte[], byte[]> fresh = null;
    try {
      fresh = producers.get();
      fresh.initTransactions();
      producer = fresh;
      ready = true;
      if (outage) {
        LOG.info("Kafka is available again: writes are accepted");
        outage = false;
      }
      return true;
    } catch (RuntimeException e) {
      if (fresh != null) {
        fresh.close(Duration.ZERO);
      }
      if (!outage) {
        LOG.warn("Kafka is not available to the gateway, writes get 503 until it is: {}", e.toString());
        outage = true;
      }
      ready = false;
      return false;
    }
  }

  private void write(List<Batch> group) {
    long started = System.nanoTime();
    try {
      producer.beginTransaction();
      for (Batch batch : group) {
        for (ProducerRecord<byte[], byte[]> record : batch.records()) {
          producer.send(record);
        }
      }
    } catch (RuntimeException e) {
      // KafkaException, or IllegalStateException from a producer in a state it cannot send in
      abort(group, e);
      return;
    }
    while (true) {
      try {
        producer.commitTransaction();
        break;
      } catch (TimeoutException e) {
        // committed or not, Kafka has not said: ask again, and accept no new writes meanwhile
        if (ready) {
          LOG.warn("a commit of the gateway's writes timed out; retrying until Kafka answers");
        }
        ready = false;
        if (closed) {
          // shutting down with the outcome unknown: the clients' retries may duplicate these
          fail(group, "the gateway shut down before Kafka confirmed the write", e);
          return;
        }
      } catch (RuntimeException e) {
        abort(group, e);
        return;
      }
    }
    ready = true;
    commits.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    for (Batch batch : group) {
      batch.done().complete(null);
    }
  }

  /**
   * Aborts the open transaction and drops the producer: the next one's initialisation is what says
   * Kafka takes writes again (an abort can succeed without reaching Kafka). Fails the group.
   */
  private void abort(List<Batch> group, RuntimeException cause) {
    LOG.warn("Kafka did not take a write ({}); the requests get 503", cause.toString());
    ready = false;
    try {
      producer.abortTransaction();
    } catch (RuntimeException e) {
      // fenced, fatal or the coordinator unreachable: the next producer's initTransactions aborts it
      LOG.debug("abort failed", e);
    }
    try {
      producer.close(Duration.ZERO);
    } catch (RuntimeException e) {
      LOG.debug("close failed", e);
    }
    producer = null;
    fail(group, "Kafka did not take the write: " + cause.getMessage(), cause);
  }

  private void fail(List<Batch> group, String message, Throwable cause) {
    for (Batch batch : group) {
      batch.done().completeExceptionally(new Unavailable(message, cause));
    }
  }

  private void failWaiting(String message, Throwable cause) {
    List<Batch> waiting = new ArrayList<>();
    queue.drainTo(waiting);
    fail(waiting, message, cause);
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      thread.join(Duration.ofSeconds(30).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
