package dev.tally.bench;

import dev.tally.localstack.ChildProcess;
import dev.tally.localstack.KafkaCluster;
import dev.tally.localstack.WorkDir;
import dev.tally.topology.Topics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Lines per second, and per core, through the gateway (HTTP batches, UDP datagrams) against a plain
 * Kafka producer sending the same lines, in one run: the broker in its own process, the gateway and
 * the producer each in a fresh JVM whose CPU time is measured, the load generator in this one.
 */
@Command(name = "bench-gateway", mixinStandardHelpOptions = true,
    description = "Sends the same line protocol three ways and reports lines/s and lines per CPU-second of "
        + "the process that turns them into Kafka records: a plain Kafka producer (decoding the lines "
        + "as the gateway does, Avro, keyed by username, acks=all, idempotent, lz4), the gateway over "
        + "HTTP (POST /write in batches, several clients at once) and the gateway over UDP (datagrams "
        + "of several lines). The broker runs in its own process, the gateway and the producer each in "
        + "a fresh JVM, warmed up before the timed part; every line is checked to be in Kafka once. "
        + "Writes its section of the results file with --output.")
public final class GatewayBenchCommand implements Callable<Integer> {

  private static final Pattern UDP_ACCEPTED =
      Pattern.compile("tally_gateway_lines_total\\{outcome=\"accepted\",transport=\"udp\"} ([0-9.E]+)");
  private static final long BASE_NS = 1_773_500_000_000_000_000L; // 2026-03-14

  @Option(names = "--lines", defaultValue = "2000000", description = "Lines in each timed part (default ${DEFAULT-VALUE}).")
  int lines;

  @Option(names = "--warmup-lines", defaultValue = "500000", description = "Lines sent first, untimed (default ${DEFAULT-VALUE}).")
  int warmupLines;

  @Option(names = "--batch", defaultValue = "5000", description = "Lines per HTTP request (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--clients", defaultValue = "4", description = "HTTP requests in flight at once (default ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--datagram-bytes", defaultValue = "1400",
      description = "Largest UDP datagram, whole lines (default ${DEFAULT-VALUE}: one Ethernet frame).")
  int datagramBytes;

  @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the events topic (default ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--runs", defaultValue = "3", description = "Runs; medians are reported (default ${DEFAULT-VALUE}).")
  int runs;

  @Mixin
  BenchmarkFile resultsFile;

  private final PrintStream log = System.err;

  private record Run(long lines, long sent, double seconds, double cpuSeconds) {}

  @Override
  public Integer call() throws Exception {
    int total = warmupLines + lines;
    List<String> allLines = lines(total);
    List<byte[]> httpBatches = batches(allLines, batch);
    List<byte[]> datagrams = datagrams(allLines, datagramBytes);
    Path work = Files.createTempDirectory("tally-bench-gateway");
    Path linesFile = work.resolve("lines.txt");
    Files.write(linesFile, allLines, StandardCharsets.UTF_8);
    log.printf("# %,d lines (%,d to warm up), %,d HTTP batches of %,d, %,d datagrams of at most %,d bytes%n",
        total, warmupLines, httpBatches.size(), batch, datagrams.size(), datagramBytes);
    Map<String, List<Run>> results = new LinkedHashMap<>();
    try (KafkaCluster broker = KafkaCluster.start(work.resolve("kafka"), 1);
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      String bootstrap = broker.bootstrapServers();
      // a fresh broker is slow until its JIT has compiled the produce path: warm it up once, so
      // that the first run's first path does not pay for it
      log.println("# warming the broker up: the direct producer once, not timed");
      producer(bootstrap, topic(admin, "warmup", 0), linesFile, work);
      for (int run = 1; run <= runs; run++) {
        String direct = topic(admin, "direct", run);
        Run producer = producer(bootstrap, direct, linesFile, work);
        check(bootstrap, direct, total, "the direct producer");
        record(results, "Kafka producer, direct (no gateway)", producer, run);

        String http = topic(admin, "http", run);
        Run overHttp = http(bootstrap, http, httpBatches, work);
        check(bootstrap, http, total, "the gateway over HTTP");
        record(results, "gateway, HTTP POST /write, " + batch + " lines per request, " + clients
            + " clients", overHttp, run);

        String udp = topic(admin, "udp", run);
        Run overUdp = udp(bootstrap, udp, datagrams, work);
        check(bootstrap, udp, warmupLines + lines - overUdp.sent() + overUdp.lines(), "the gateway over UDP");
        record(results, "gateway, UDP, datagrams of up to " + datagramBytes + " bytes", overUdp, run);
      }
    } finally {
      WorkDir.deleteRecursively(work);
    }
    String table = table(results);
    System.out.println(table);
    resultsFile.write("gateway", markdown(table), log);
    return 0;
  }

  private void record(Map<String, List<Run>> results, String name, Run result, int run) {
    results.computeIfAbsent(name, key -> new ArrayList<>()).add(result);
    log.printf("# run %d of %d, %s: %,.0f lines/s, %,.0f lines per CPU-second, %,d of %,d lines written%n",
        run, runs, name, result.lines() / result.seconds(), result.lines() / result.cpuSeconds(),
        result.lines(), result.sent());
  }

  private String topic(Admin admin, String path, int run) throws Exception {
    String name = "bench-gateway-" + path + "-" + run;
    Topics.create(admin, new NewTopic(name, partitions, (short) 1),
        new NewTopic(name + "-dead-letters", 1, (short) 1));
    return name;
  }

  /** Lines as products send them: 48 series, 1,000 users each, time moving forward. */
  static List<String> lines(int count) {
    Random random = new Random(7);
    List<String> lines = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int series = random.nextInt(48);
      lines.add("event_type=type-" + (series % 12) + ",product=product-" + (series / 12) + " value=user-"
          + random.nextInt(1_000) + " " + (BASE_NS + i * 600_000L));
    }
    return lines;
  }

  /** Request bodies of {@code size} lines each. */
  static List<byte[]> batches(List<String> lines, int size) {
    List<byte[]> batches = new ArrayList<>();
    for (int from = 0; from < lines.size(); from += size) {
      batches.add((String.join("\n", lines.subList(from, Math.min(lines.size(), from + size))) + "\n")
          .getBytes(StandardCharsets.UTF_8));
    }
    return batches;
  }

  private static List<byte[]> datagrams(List<String> lines, int maxBytes) {
    List<byte[]> datagrams = new ArrayList<>();
    StringBuilder datagram = new StringBuilder();
    for (String line : lines) {
      if (datagram.length() > 0 && datagram.length() + line.length() + 1 > maxBytes) {
        datagrams.add(datagram.toString().getBytes(StandardCharsets.UTF_8));
        datagram.setLength(0);
      }
      datagram.append(line).append('\n');
    }
    if (datagram.length() > 0) {
      datagrams.add(datagram.toString().getBytes(StandardCharsets.UTF_8));
    }
    return datagrams;
  }

  private Run producer(String bootstrap, String topic, Path linesFile, Path work) throws Exception {
    List<String> command = ChildProcess.javaCommand(List.of(), GatewayBenchJob.class.getName(), List.of(
        "producer", bootstrap, topic, linesFile.toString(), Integer.toString(batch),
        Integer.toString(warmupLines / batch)));
    Process process = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.to(work.resolve(topic + ".log").toFile())).start();
    String result = null;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.startsWith("RESULT ")) {
          result = line;
        }
      }
    }
    process.waitFor();
    if (result == null) {
      throw new IllegalStateException("the producer ended without a result; its log: "
          + Files.readString(work.resolve(topic + ".log")));
    }
    Map<String, Long> fields = new LinkedHashMap<>();
    for (String field : result.substring("RESULT ".length()).split(" ")) {
      String[] pair = field.split("=", 2);
      fields.put(pair[0], Long.parseLong(pair[1]));
    }
    return new Run(fields.get("lines"), lines, fields.get("nanos") / 1e9, fields.get("cpu") / 1e9);
  }

  /** A gateway in a JVM of its own: its ports, and its CPU time on request. */
  private static final class GatewayProcess implements AutoCloseable {
    final Process process;
    final BufferedReader out;
    final Writer in;
    final int httpPort;
    final int udpPort;

    GatewayProcess(String bootstrap, String topic, Path work) throws IOException {
      process = new ProcessBuilder(ChildProcess.javaCommand(List.of(), GatewayBenchJob.class.getName(),
          List.of("gateway", bootstrap, topic, topic + "-dead-letters")))
          .redirectError(ProcessBuilder.Redirect.to(work.resolve(topic + ".log").toFile())).start();
      out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      String ready = reply("READY ");
      if (ready == null) {
        throw new IllegalStateException("the gateway did not start; its log: " + Files.readString(work.resolve(topic + ".log")));
      }
      Matcher ports = Pattern.compile("READY http=(\\d+) udp=(\\d+)").matcher(ready);
      if (!ports.matches()) {
        throw new IllegalStateException("unexpected: " + ready);
      }
      httpPort = Integer.parseInt(ports.group(1));
      udpPort = Integer.parseInt(ports.group(2));
    }

    double cpuSeconds() throws IOException {
      in.write("CPU\n");
      in.flush();
      String line = reply("CPU ");
      if (line == null) {
        throw new IllegalStateException("the gateway exited");
      }
      return Long.parseLong(line.substring("CPU ".length())) / 1e9;
    }

    /** The next line of its output that starts with {@code prefix} (others are log lines), or null at its end. */
    private String reply(String prefix) throws IOException {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.startsWith(prefix)) {
          return line;
        }
      }
      return null;
    }

    @Override
    public void close() throws Exception {
      in.close();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  private Run http(String bootstrap, String topic, List<byte[]> batches, Path work) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (GatewayProcess gateway = new GatewayProcess(bootstrap, topic, work)) {
      URI uri = URI.create("http://127.0.0.1:" + gateway.httpPort + "/write?db=events");
      int warmupBatches = warmupLines / batch;
      post(client, uri, batches.subList(0, warmupBatches));
      double cpu = gateway.cpuSeconds();
      long started = System.nanoTime();
      post(client, uri, batches.subList(warmupBatches, batches.size()));
      double seconds = (System.nanoTime() - started) / 1e9;
      return new Run(lines, lines, seconds, gateway.cpuSeconds() - cpu);
    }
  }

  /** Posts the bodies from {@code clients} threads at once; each must be answered 204. */
  private void post(HttpClient client, URI uri, List<byte[]> bodies) throws Exception {
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<Void>> workers = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        workers.add(pool.submit(() -> {
          for (int i = next.getAndIncrement(); i < bodies.size(); i = next.getAndIncrement()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri)
                .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(i))).build(),
                HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 204) {
              throw new IllegalStateException("the gateway answered " + response.statusCode() + ": " + response.body());
            }
          }
          return null;
        }));
      }
      for (Future<Void> worker : workers) {
        worker.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private Run udp(String bootstrap, String topic, List<byte[]> datagrams, Path work) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    try (GatewayProcess gateway = new GatewayProcess(bootstrap, topic, work);
        DatagramChannel channel = DatagramChannel.open()) {
      InetSocketAddress target = new InetSocketAddress("127.0.0.1", gateway.udpPort);
      URI metrics = URI.create("http://127.0.0.1:" + gateway.httpPort + "/metrics");
      // whole datagrams up to the warm-up's lines, sent slowly enough that none is lost
      int warmupDatagrams = 0;
      long warm = 0;
      while (warm < warmupLines) {
        warm += lineCount(datagrams.get(warmupDatagrams));
        channel.send(ByteBuffer.wrap(datagrams.get(warmupDatagrams)), target);
        if (++warmupDatagrams % 5 == 0) {
          Thread.sleep(1);
        }
      }
      long warmAccepted = settle(client, metrics, warm, Duration.ofSeconds(2))[0];
      if (warmAccepted != warm) {
        throw new IllegalStateException("the UDP warm-up lost lines: " + warmAccepted + " of " + warm
            + " written; is the machine busy?");
      }
      double cpu = gateway.cpuSeconds();
      long started = System.nanoTime();
      for (int d = warmupDatagrams; d < datagrams.size(); d++) {
        channel.send(ByteBuffer.wrap(datagrams.get(d)), target);
      }
      long sent = warmupLines + lines - warm;
      long[] settled = settle(client, metrics, warm + sent, Duration.ofSeconds(2));
      double seconds = (settled[1] - started) / 1e9;
      return new Run(settled[0] - warm, sent, seconds, gateway.cpuSeconds() - cpu);
    }
  }

  /**
   * Waits until the gateway has written {@code expected} UDP lines, or none more for {@code quiet};
   * returns the lines written and when the count last grew.
   */
  private static long[] settle(HttpClient client, URI metrics, long expected, Duration quiet) throws Exception {
    long accepted = -1;
    long grew = System.nanoTime();
    while (true) {
      String text = client.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
      Matcher matcher = UDP_ACCEPTED.matcher(text);
      long now = matcher.find() ? (long) Double.parseDouble(matcher.group(1)) : 0;
      if (now != accepted) {
        accepted = now;
        grew = System.nanoTime();
      }
      if (accepted >= expected || System.nanoTime() - grew > quiet.toNanos()) {
        return new long[] {accepted, grew};
      }
      Thread.sleep(5);
    }
  }

  private static long lineCount(byte[] datagram) {
    long count = 0;
    for (byte b : datagram) {
      if (b == '\n') {
        count++;
      }
    }
    return count;
  }

  /** Checks that the topic holds exactly {@code expected} committed records. */
  private static void check(String bootstrap, String topic, long expected, String path) {
    long count = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(info -> new TopicPartition(topic, info.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline
          && !ends.entrySet().stream().allMatch(end -> consumer.position(end.getKey()) >= end.getValue())) {
        count += consumer.poll(Duration.ofMillis(100)).count();
      }
    }
    if (count != expected) {
      throw new IllegalStateException(path + " wrote " + count + " records to " + topic + ", not " + expected);
    }
  }

  private String table(Map<String, List<Run>> results) {
    double directPerCpu = median(results.values().iterator().next(), run -> run.lines() / run.cpuSeconds());
    double directRate = median(results.values().iterator().next(), run -> run.lines() / run.seconds());
    StringBuilder out = new StringBuilder();
    out.append("| path | lines/s (median) | vs direct | lines per CPU-second of its JVM (median) | vs direct "
        + "| CPU per line | lines/s of each run | lines written of sent (worst run) |\n"
        + "|---|---:|---:|---:|---:|---:|---|---:|\n");
    results.forEach((name, runsOfPath) -> {
      double rate = median(runsOfPath, run -> run.lines() / run.seconds());
      double perCpu = median(runsOfPath, run -> run.lines() / run.cpuSeconds());
      List<String> each = runsOfPath.stream().map(run -> String.format("%,.0f", run.lines() / run.seconds())).toList();
      Run worst = runsOfPath.stream().min(java.util.Comparator.comparingLong(Run::lines)).orElseThrow();
      out.append(String.format("| %s | %,.0f | %.2fx | %,.0f | %.2fx | %.2f us | %s | %,d of %,d |%n", name, rate,
          rate / directRate, perCpu, perCpu / directPerCpu, 1e6 / perCpu, String.join(", ", each),
          worst.lines(), worst.sent()));
    });
    return out.toString();
  }

  private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> figure) {
    return BenchCommand.median(runs.stream().mapToDouble(figure).toArray());
  }

  private String markdown(String table) {
    List<String> args = resultsFile.ownArguments();
    return "## Gateway: lines/s through the InfluxDB-compatible write endpoint\n\n"
        + "Written by `./tally bench-gateway`; do not edit by hand.\n\n"
        + "- machine: " + Runtime.getRuntime().availableProcessors() + " cores, Java "
        + System.getProperty("java.version") + ", " + System.getProperty("os.name") + "\n"
        + "- date: " + Instant.now() + "\n"
        + "- command: `./tally bench-gateway " + String.join(" ", args) + "`\n"
        + "- lines: line protocol as products send it (`event_type=...,product=... value=user-N <ns>`, 48 series, "
        + "1,000 users, about 75 bytes a line), " + String.format("%,d", lines) + " timed after "
        + String.format("%,d", warmupLines) + " to warm up; the events topic has " + partitions
        + " partitions, the broker is one KRaft node in its own JVM\n"
        + "- the broker is warmed up first (the direct producer once, not counted); each path's JVM is fresh for each run and turns lines into Avro records keyed by username "
        + "(acks=all, idempotent, lz4): the direct producer decodes them as the gateway does and sends them, "
        + "without HTTP or transactions; the gateway adds HTTP (or UDP) and a Kafka transaction per group "
        + "of requests. The load (HTTP clients, the UDP sender) comes from the benchmark's own JVM on the "
        + "same cores\n"
        + "- lines/s: from the first timed line sent until the last was answered 204 (HTTP), flushed "
        + "(producer) or counted written by the gateway's metric (UDP: the sender does not wait, lines the "
        + "kernel or the gateway dropped are not counted); lines per CPU-second: the timed lines over the "
        + "CPU time its JVM used meanwhile (all threads, GC and JIT included; the broker's not); every "
        + "run checks the topic holds each written line once (read_committed); medians of " + runs + " runs\n\n"
        + table;
  }
}
