package dev.tally.bench;

import dev.tally.decode.Decoded;
import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.gateway.Credentials;
import dev.tally.gateway.Gateway;
import dev.tally.gateway.GatewaySettings;
import dev.tally.gateway.Precision;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One side of the gateway benchmark, in a JVM of its own so that its CPU time is its own: the
 * gateway (answers {@code CPU} on standard input with its process CPU time, stops at end of input),
 * or a plain Kafka producer sending the same lines as the gateway would (decoded the same way,
 * Avro, keyed by username, acks=all, idempotent, lz4), without HTTP or transactions.
 *
 * <pre>
 * GatewayBenchJob gateway BOOTSTRAP TOPIC DEAD_LETTER_TOPIC
 * GatewayBenchJob producer BOOTSTRAP TOPIC LINES_FILE BATCH_LINES WARMUP_BATCHES
 * </pre>
 */
public final class GatewayBenchJob {

  private GatewayBenchJob() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("gateway") && args.length == 4) {
      gateway(args[1], args[2], args[3]);
    } else if (args.length > 0 && args[0].equals("producer") && args.length == 6) {
      producer(args[1], args[2], Path.of(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]));
    } else {
      System.err.println("usage: GatewayBenchJob gateway BOOTSTRAP TOPIC DEAD_LETTER_TOPIC\n"
          + "       GatewayBenchJob producer BOOTSTRAP TOPIC LINES_FILE BATCH_LINES WARMUP_BATCHES");
      System.exit(2);
    }
  }

  private static void gateway(String bootstrap, String topic, String deadLetters) throws Exception {
    GatewaySettings settings = new GatewaySettings(new InetSocketAddress("127.0.0.1", 0),
        new InetSocketAddress("127.0.0.1", 0), Precision.NANOSECONDS, GatewaySettings.DEFAULT_MAX_BODY_BYTES,
        Credentials.none(), false, null, topic, deadLetters,
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-gateway-" + topic),
        64);
    try (Gateway gateway = Gateway.start(settings);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      System.out.println("READY http=" + gateway.httpPort() + " udp=" + gateway.udpPort());
      System.out.flush();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.equals("CPU")) {
          System.out.println("CPU " + cpuNanos());
          System.out.flush();
        }
      }
    }
  }

  private static void producer(String bootstrap, String topic, Path linesFile, int batchLines,
      int warmupBatches) throws Exception {
    List<byte[]> batches = GatewayBenchCommand.batches(Files.readAllLines(linesFile, StandardCharsets.UTF_8), batchLines);
    // the file's lines as Strings are garbage now: collect them before anything is timed, so that
    // the timed part does not pay for them (the gateway never holds them)
    System.gc();
    Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    EventDecoder decoder = new EventDecoder();
    AtomicReference<Exception> failure = new AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      long lines = 0;
      long started = 0;
      long cpuStarted = 0;
      for (int b = 0; b < batches.size(); b++) {
        if (b == warmupBatches) {
          producer.flush();
          started = System.nanoTime();
          cpuStarted = cpuNanos();
          lines = 0;
        }
        Decoded decoded = decoder.decodeLines(batches.get(b), 1, System.currentTimeMillis());
        for (UserEvent event : decoded.events()) {
          producer.send(new ProducerRecord<>(topic, event.username().getBytes(StandardCharsets.UTF_8),
              EventDecoder.encodeAvro(event)), (metadata, exception) -> {
                if (exception != null) {
                  failure.compareAndSet(null, exception);
                }
              });
        }
        lines += decoded.events().size();
      }
      producer.flush();
      if (failure.get() != null) {
        throw failure.get();
      }
      System.out.println("RESULT lines=" + lines + " nanos=" + (System.nanoTime() - started)
          + " cpu=" + (cpuNanos() - cpuStarted));
    }
  }

  /** CPU time of this whole process (every thread, GC and JIT included). */
  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
