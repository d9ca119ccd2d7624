package dev.tally.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.decode.Decoded;
import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.localstack.KafkaBroker;
import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway against a real KRaft broker, spoken to over real HTTP and UDP: what InfluxDB answers,
 * what lands in the events and dead-letter topics (read back read_committed, every event exactly
 * once), and Kafka going away and coming back. Real InfluxDB clients and Tally's counts are in
 * {@link GatewayClientsTest}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatewayTest {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger TOPICS = new AtomicInteger();
  private static final String LINE = "event_type=rails-5xx,product=live value=testusername1 1478507534415525888";

  @TempDir
  static Path dir;
  private static KafkaBroker kafka;
  private static Admin admin;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void startBroker() {
    kafka = KafkaBroker.start(dir.resolve("kafka"), 0);
    admin = kafka.admin();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  /** An events and a dead-letter topic of their own. */
  record Topics(String events, String deadLetters) {
    static Topics create(Admin admin) throws Exception {
      int n = TOPICS.incrementAndGet();
      Topics topics = new Topics("events-" + n, "dead-letters-" + n);
      dev.tally.topology.Topics.create(admin, new NewTopic(topics.events(), 4, (short) 1),
          new NewTopic(topics.deadLetters(), 1, (short) 1));
      return topics;
    }
  }

  /** Loopback listeners on free ports, a body limit of 64 KiB. */
  static GatewaySettings settings(KafkaBroker broker, Topics topics, Credentials credentials) {
    return settings(broker, topics, credentials, 64 * 1024);
  }

  static GatewaySettings settings(KafkaBroker broker, Topics topics, Credentials credentials, long maxBodyBytes) {
    return new GatewaySettings(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
        Precision.NANOSECONDS, maxBodyBytes, credentials, false, null, topics.events(), topics.deadLetters(),
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
            ProducerConfig.TRANSACTIONAL_ID_CONFIG, "gateway-test-" + topics.events()),
        8);
  }

  HttpResponse<String> post(Gateway gateway, String pathAndQuery, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + gateway.httpPort() + pathAndQuery))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).timeout(Duration.ofSeconds(60));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(Gateway gateway, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Everything committed to {@code topic}, once at least {@code atLeast} records are there and the
   * consumer has reached the end: duplicates would show as extra records.
   */
  static List<ConsumerRecord<byte[], byte[]>> readAll(KafkaBroker broker, String topic, int atLeast) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(info -> new TopicPartition(topic, info.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(100)).forEach(records::add);
        if (records.size() >= atLeast) {
          Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
          if (ends.entrySet().stream().allMatch(end -> consumer.position(end.getKey()) >= end.getValue())) {
            break;
          }
        }
      }
    }
    return records;
  }

  static List<UserEvent> events(List<ConsumerRecord<byte[], byte[]>> records) {
    EventDecoder decoder = new EventDecoder();
    List<UserEvent> events = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      Decoded decoded = decoder.decode(record.value(), record.timestamp());
      assertEquals(List.of(), decoded.rejections(), "an events record the gateway wrote");
      assertEquals(1, decoded.events().size());
      UserEvent event = decoded.events().get(0);
      assertEquals(event.username(), new String(record.key(), StandardCharsets.UTF_8), "the record key");
      events.add(event);
    }
    return events;
  }

  static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    return record.headers().lastHeader(name) == null ? null
        : new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void writesOnBothApisInEveryPrecisionLandOnceKeyedByUser() throws Exception {
    Topics topics = Topics.create(admin);
    try (Gateway gateway = Gateway.start(settings(kafka, topics, Credentials.none()))) {
      assertEquals(204, post(gateway, "/write?db=events", utf8(LINE + "\n"
          + "events,event_type=stuck_in_queue,product=live value=\"testusername2\" 1478507534415525888")).statusCode());
      assertEquals(204, post(gateway, "/write?db=events&rp=autogen&precision=s",
          utf8("event_type=browser_error,product=automate value=testusername3 1478507534")).statusCode());
      assertEquals(204, post(gateway, "/api/v2/write?org=o&bucket=events&precision=ms",
          utf8("event_type=browser_error,product=automate value=\"testusername4\" 1478507534415")).statusCode());
      assertEquals(204, post(gateway, "/write?db=events&precision=h",
          utf8("event_type=e,product=p value=u5 410696")).statusCode());
      long before = System.currentTimeMillis();
      assertEquals(204, post(gateway, "/api/v2/write?bucket=b", utf8("event_type=e,product=p value=u6")).statusCode());
      // an empty body writes nothing and is no error, as in InfluxDB
      assertEquals(204, post(gateway, "/write?db=events", new byte[0]).statusCode());

      List<UserEvent> events = events(readAll(kafka, topics.events(), 6));
      assertEquals(6, events.size(), () -> "events: " + events);
      assertTrue(events.containsAll(List.of(
          new UserEvent("live", "rails-5xx", "testusername1", 1478507534415525888L),
          new UserEvent("live", "stuck_in_queue", "testusername2", 1478507534415525888L),
          new UserEvent("automate", "browser_error", "testusername3", 1478507534000000000L),
          new UserEvent("automate", "browser_error", "testusername4", 1478507534415000000L),
          new UserEvent("p", "e", "u5", 410696L * 3_600_000_000_000L))), () -> "events: " + events);
      UserEvent arrived = events.stream().filter(e -> e.username().equals("u6")).findFirst().orElseThrow();
      assertTrue(arrived.timestampNs() / 1_000_000 >= before && arrived.timestampNs() / 1_000_000 <= System.currentTimeMillis(),
          "a line without a timestamp takes the arrival time");
      assertEquals(List.of(), readAll(kafka, topics.deadLetters(), 0));
    }
  }

  @Test
  void badLinesAre400PartialWriteTheGoodOnesWrittenTheBadOnesDeadLettered() throws Exception {
    Topics topics = Topics.create(admin);
    try (Gateway gateway = Gateway.start(settings(kafka, topics, Credentials.none()))) {
      String body = LINE + "\nevent_type=x,product=y\nevent_type=e,product=p value=u2 17\n"
          + "event_type=e,product=p value=u3 1478507534415525999";
      HttpResponse<String> v1 = post(gateway, "/write?db=events", utf8(body));
      assertEquals(400, v1.statusCode());
      String error = JSON.readTree(v1.body()).get("error").asText();
      assertTrue(error.startsWith("partial write: unable to parse 'event_type=x,product=y': ") && error.endsWith(" dropped=2"),
          error);
      assertTrue(error.contains("unable to parse 'event_type=e,product=p value=u2 17': timestamp 17 is not nanoseconds"), error);

      HttpResponse<String> unicode = post(gateway, "/write?db=events", utf8("event_type=日本,product=ü"));
      assertEquals(400, unicode.statusCode());
      assertEquals("unable to parse 'event_type=??,product=?': no field set (expected value=<username> after a space)",
          unicode.headers().firstValue("X-Influxdb-Error").orElseThrow());
      assertTrue(JSON.readTree(unicode.body()).get("error").asText().contains("event_type=日本,product=ü"), unicode.body());

      HttpResponse<String> v2 = post(gateway, "/api/v2/write?bucket=b", utf8("not line protocol"));
      assertEquals(400, v2.statusCode());
      JsonNode v2Error = JSON.readTree(v2.body());
      assertEquals("invalid", v2Error.get("code").asText());
      assertTrue(v2Error.get("message").asText().startsWith("unable to parse 'not line protocol'"), v2.body());

      assertEquals(2, events(readAll(kafka, topics.events(), 2)).size());
      List<ConsumerRecord<byte[], byte[]>> letters = readAll(kafka, topics.deadLetters(), 4);
      assertEquals(List.of("event_type=x,product=y", "event_type=e,product=p value=u2 17", "event_type=日本,product=ü",
          "not line protocol"), letters.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList());
      assertEquals(List.of("unparseable", "timestamp-not-nanos", "unparseable", "unparseable"),
          letters.stream().map(r -> header(r, Gateway.REASON_HEADER)).toList());
      assertEquals("http /write 127.0.0.1", header(letters.get(0), Gateway.SOURCE_HEADER));
      assertNotNull(header(letters.get(1), Gateway.MESSAGE_HEADER));
    }
  }

  @Test
  void anEventTooLargeForAKafkaRecordIsABadLineNotAFailedTransaction() throws Exception {
    Topics topics = Topics.create(admin);
    try (Gateway gateway = Gateway.start(settings(kafka, topics, Credentials.none(), 4_000_000))) {
      String huge = "event_type=e,product=p value=" + "u".repeat(Gateway.MAX_EVENT_BYTES) + " 1478507534415525888";
      HttpResponse<String> response = post(gateway, "/write?db=events", utf8(LINE + "\n" + huge));
      assertEquals(400, response.statusCode(), response.body());
      assertTrue(JSON.readTree(response.body()).get("error").asText().contains("dropped=1"), response.body());
      assertEquals(1, events(readAll(kafka, topics.events(), 1)).size());
      List<ConsumerRecord<byte[], byte[]>> letters = readAll(kafka, topics.deadLetters(), 1);
      assertEquals(1, letters.size());
      assertEquals(Gateway.MAX_EVENT_BYTES, letters.get(0).value().length, "the dead letter holds the event's start");
      assertTrue(new String(letters.get(0).value(), StandardCharsets.UTF_8).startsWith("event_type=e,product=p value=uuu"));
      assertTrue(response.headers().firstValue("X-Influxdb-Error").orElseThrow().length() <= 200);
      // the next request is not held up by it
      assertEquals(204, post(gateway, "/write?db=events", utf8(LINE)).statusCode());
    }
  }

  @Test
  void gzipBodiesAsCurlSendsThem() throws Exception {
    Topics topics = Topics.create(admin);
    try (Gateway gateway = Gateway.start(settings(kafka, topics, Credentials.none()))) {
      StringBuilder lines = new StringBuilder();
      for (int i = 0; i < 1_000; i++) {
        lines.append("event_type=e,product=p value=user").append(i).append(' ').append(1478507534415525888L + i).append('\n');
      }
      Path gz = dir.resolve("lines.gz");
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
        out.write(utf8(lines.toString()));
      }
      Files.write(gz, bytes.toByteArray());
      Process curl = new ProcessBuilder("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
          "-XPOST", "http://127.0.0.1:" + gateway.httpPort() + "/write?db=events&precision=ns",
          "-H", "Content-Encoding: gzip", "--data-binary", "@" + gz).redirectErrorStream(true).start();
      assertTrue(curl.waitFor(30, TimeUnit.SECONDS));
      assertEquals("204", new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
      assertEquals(1_000, events(readAll(kafka, topics.events(), 1_000)).size());

      HttpResponse<String> notGzip = post(gateway, "/write?db=events", utf8(LINE), "Content-Encoding", "gzip");
      assertEquals(400, notGzip.statusCode());
      assertTrue(notGzip.body().contains("not valid gzip"), notGzip.body());
    }
  }

  @Test
  void bodiesOverTheLimitAre413EvenWhenOnlyTheirDecompressedSizeIs() throws Exception {
    Topics topics = Topics.create(admin);
    try (Gateway gateway = Gateway.start(settings(kafka, topics, Credentials.none()))) {
      byte[] large = utf8((LINE + "\n").repeat(2_000)); // 150 KB against a 64 KiB limit
      for (int i = 0; i < 20; i++) { // the client still sends when the answer comes: never a reset
        assertEquals(413, post(gateway, "/write?db=events", large).statusCode());
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
        out.write(large);
      }
      assertTrue(bytes.size() < 64 * 1024);
      assertEquals(413, post(gateway, "/api/v2/write?bucket=b", bytes.toByteArray(), "Content-Encoding", "gzip").statusCode());
      assertEquals(List.of(), readAll(kafka, topics.events(), 0));
    }
  }

  @Test
  void credentialsAre401WithoutAndWrong403OutsideTheirDatabases() throws Exception {
    Topics topics = Topics.create(admin);
    Path file = dir.resolve("credentials");
    Files.writeString(file, "# who may write\nuser telegraf s3cret\nuser shop shop-pass shop_events\n"
        + "token tok-123 events\n");
    Credentials credentials = Credentials.load(file, Map.of("TALLY_GATEWAY_TOKENS", "env-token"));
    try (Gateway gateway = Gateway.start(settings(kafka, topics, credentials))) {
      byte[] line = utf8(LINE);
      assertEquals(401, post(gateway, "/write?db=events", line).statusCode());
      assertEquals(401, post(gateway, "/write?db=events&u=telegraf&p=wrong", line).statusCode());
      assertEquals(401, post(gateway, "/api/v2/write?bucket=events", line, "Authorization", "Token nope").statusCode());
      assertEquals(403, post(gateway, "/write?db=other&u=shop&p=shop-pass", line).statusCode());
      assertEquals(403, post(gateway, "/api/v2/write?bucket=other", line, "Authorization", "Token tok-123").statusCode());

      assertEquals(204, post(gateway, "/write?db=events&u=telegraf&p=s3cret", line).statusCode());
      assertEquals(204, post(gateway, "/write?db=shop_events/autogen", line, "Authorization",
          "Basic " + Base64.getEncoder().encodeToString(utf8("shop:shop-pass"))).statusCode());
      assertEquals(204, post(gateway, "/api/v2/write?bucket=events", line, "Authorization", "Token tok-123").statusCode());
      assertEquals(204, post(gateway, "/api/v2/write?bucket=any", line, "Authorization", "Token env-token").statusCode());
      assertEquals(204, post(gateway, "/api/v2/write?bucket=any", line, "Authorization", "Token telegraf:s3cret").statusCode());
      // health, readiness and metrics need no credentials
      assertEquals(200, get(gateway, "/health").statusCode());
      assertEquals(200, get(gateway, "/ready").statusCode());
      assertEquals(5, events(readAll(kafka, topics.events(), 5)).size());
    }
    assertThrows(IllegalArgumentException.class, () -> Gateway.start(new GatewaySettings(
        new InetSocketAddress("0.0.0.0", 0), null, Precision.NANOSECONDS, 1024, Credentials.none(), false, null,
        topics.events(), topics.deadLetters(), Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "x"), 1)),
        "anonymous writes beyond loopback must be refused");
  }

  @Test
  void pingQueryAndMetricsAnswerAsInfluxDbDoes() throws Exception {
    Topics topics = Topics.create(admin);
    try (Gateway gateway = Gateway.start(settings(kafka, topics, Credentials.none()))) {
      HttpResponse<String> ping = get(gateway, "/ping");
      assertEquals(204, ping.statusCode());
      assertEquals(Gateway.INFLUXDB_VERSION, ping.headers().firstValue("X-Influxdb-Version").orElse(null));
      HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.httpPort() + "/ping"))
          .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
      assertEquals(204, head.statusCode());

      HttpResponse<String> create = post(gateway, "/query", utf8("q=CREATE+DATABASE+%22telegraf%22"),
          "Content-Type", "application/x-www-form-urlencoded");
      assertEquals(200, create.statusCode());
      assertEquals(0, JSON.readTree(create.body()).get("results").get(0).get("statement_id").asInt());
      assertEquals(400, post(gateway, "/query?q=SELECT+*+FROM+x", new byte[0]).statusCode());
      assertEquals(405, get(gateway, "/write?db=x").statusCode());
      assertEquals(404, get(gateway, "/nothing").statusCode());

      assertEquals(400, post(gateway, "/write?db=events", utf8(LINE + "\nbad")).statusCode());
      String metrics = get(gateway, "/metrics").body();
      assertTrue(metrics.contains("tally_gateway_lines_total{outcome=\"accepted\",transport=\"http\"} 1.0"), metrics);
      assertTrue(metrics.contains("tally_gateway_lines_total{outcome=\"rejected\",transport=\"http\"} 1.0"), metrics);
      assertTrue(metrics.contains("tally_gateway_ready 1.0"), metrics);
      assertTrue(metrics.contains("tally_gateway_kafka_commit_seconds_count"), metrics);
      assertTrue(metrics.contains("tally_gateway_requests_total{endpoint=\"/write\",status=\"400\"} 1.0"), metrics);
    }
  }

  @Test
  void udpDatagramsOfSeveralLinesAreWrittenWithoutReply() throws Exception {
    Topics topics = Topics.create(admin);
    try (Gateway gateway = Gateway.start(settings(kafka, topics, Credentials.none()));
        DatagramSocket socket = new DatagramSocket()) {
      for (int i = 0; i < 10; i++) {
        byte[] datagram = utf8("event_type=e,product=p value=a" + i + " 1478507534415525888\n"
            + "event_type=e,product=p value=b" + i + " 1478507534415525888");
        socket.send(new DatagramPacket(datagram, datagram.length, InetAddress.getLoopbackAddress(), gateway.udpPort()));
      }
      byte[] bad = utf8("garbage");
      socket.send(new DatagramPacket(bad, bad.length, InetAddress.getLoopbackAddress(), gateway.udpPort()));
      List<UserEvent> events = events(readAll(kafka, topics.events(), 20));
      assertEquals(20, events.size());
      List<ConsumerRecord<byte[], byte[]>> letters = readAll(kafka, topics.deadLetters(), 1);
      assertEquals(1, letters.size());
      assertEquals("udp 127.0.0.1", header(letters.get(0), Gateway.SOURCE_HEADER));
    }
  }

  @Test
  void kafkaDownIs503WithRetryAfterThenWritesResumeWithNothingLostOrDuplicated() throws Exception {
    Path data = dir.resolve("kafka-down");
    KafkaBroker own = KafkaBroker.start(data, 0);
    int port = Integer.parseInt(own.bootstrapServers().substring(own.bootstrapServers().lastIndexOf(':') + 1));
    Topics topics = Topics.create(own.admin());
    GatewaySettings settings = settings(own, topics, Credentials.none());
    try (Gateway gateway = Gateway.start(settings)) {
      assertEquals(204, post(gateway, "/write?db=events", utf8("event_type=e,product=p value=before 1478507534415525888")).statusCode());
      own.close();
      HttpResponse<String> down = post(gateway, "/write?db=events", utf8("event_type=e,product=p value=during 1478507534415525888"));
      assertEquals(503, down.statusCode(), down.body());
      assertEquals("5", down.headers().firstValue("Retry-After").orElse(null));
      assertEquals(503, get(gateway, "/ready").statusCode());

      own = KafkaBroker.start(data, port);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!gateway.ready() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(gateway.ready(), "the gateway takes writes again once Kafka is back");
      assertEquals(204, post(gateway, "/write?db=events", utf8("event_type=e,product=p value=after 1478507534415525888")).statusCode());
      List<String> users = events(readAll(own, topics.events(), 2)).stream().map(UserEvent::username).sorted().toList();
      assertEquals(List.of("after", "before"), users, "the refused write is not there, the others once each");
      // the client retries what was refused, as it was told to: now it is there, once
      assertEquals(204, post(gateway, "/write?db=events", utf8("event_type=e,product=p value=during 1478507534415525888")).statusCode());
      users = events(readAll(own, topics.events(), 3)).stream().map(UserEvent::username).sorted().toList();
      assertEquals(List.of("after", "before", "during"), users);
    } finally {
      own.close();
    }
  }

  @Test
  void httpsWithAKeystore() throws Exception {
    Topics topics = Topics.create(admin);
    Path keystore = dir.resolve("gateway.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "gateway", "-keyalg", "EC", "-dname", "CN=localhost", "-ext", "san=ip:127.0.0.1",
        "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "changeit")
        .redirectErrorStream(true).start();
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, keytool.exitValue(), new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    GatewaySettings plain = settings(kafka, topics, Credentials.none());
    GatewaySettings tls = new GatewaySettings(plain.http(), null, plain.udpPrecision(), plain.maxBodyBytes(),
        plain.credentials(), false, GatewaySettings.tls(keystore, "changeit"), plain.eventsTopic(),
        plain.deadLetterTopic(), plain.producerConfig(), 4);
    try (Gateway gateway = Gateway.start(tls)) {
      java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
      try (var in = Files.newInputStream(keystore)) {
        trust.load(in, "changeit".toCharArray());
      }
      javax.net.ssl.TrustManagerFactory trustManagers =
          javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      trustManagers.init(trust);
      javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(null, trustManagers.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(context).build();
      HttpResponse<String> response = https.send(HttpRequest.newBuilder(
          URI.create("https://127.0.0.1:" + gateway.httpPort() + "/write?db=events"))
          .POST(HttpRequest.BodyPublishers.ofString(LINE)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(204, response.statusCode(), response.body());
      assertFalse(events(readAll(kafka, topics.events(), 1)).isEmpty());
    }
  }
}
