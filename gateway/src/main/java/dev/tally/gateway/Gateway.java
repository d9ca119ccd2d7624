package dev.tally.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.tally.decode.BadInputReason;
import dev.tally.decode.Decoded;
import dev.tally.decode.EventDecoder;
import dev.tally.decode.Rejection;
import dev.tally.decode.UserEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An InfluxDB-compatible write endpoint in front of Tally's events topic: every client that writes
 * line protocol to InfluxDB (influxdb-java, influxdb-client-java, Telegraf, curl) writes to Tally by
 * changing its URL.
 *
 * <p>HTTP, as InfluxDB answers it:
 *
 * <ul>
 *   <li>{@code POST /write} (1.x: {@code db} required, {@code rp}, {@code precision}, {@code u}/{@code
 *       p} or Basic auth) and {@code POST /api/v2/write} (2.x: {@code bucket} required, {@code org},
 *       {@code precision}, {@code Authorization: Token ...}); bodies may be gzip-compressed. 204 once
 *       Kafka holds every event of the body; 400 with InfluxDB's JSON error when lines are bad, the
 *       good ones written and the bad ones in the dead-letter topic with the reason; 401 or 403; 413
 *       over the body limit; 503 with {@code Retry-After} when Kafka does not take the write, in
 *       which case none of the body was written. Database, bucket, org and retention policy select
 *       nothing: every event goes to the one events topic.
 *   <li>{@code GET|HEAD /ping}: 204 with {@code X-Influxdb-Version}; {@code POST /query} answers
 *       {@code CREATE DATABASE} (which Telegraf's 1.x output sends at start) with success.
 *   <li>{@code GET /health} (up), {@code GET /ready} (Kafka takes writes: 200, else 503) and {@code GET
 *       /metrics} (Prometheus text), without credentials.
 * </ul>
 *
 * <p>UDP, as InfluxDB 1.x's listener: one or more lines per datagram, no reply; a datagram arriving
 * while Kafka does not take writes is dropped and counted.
 *
 * <p>Events go to the events topic keyed by username, as Avro single-object records, their
 * timestamps converted from the request's precision to nanoseconds (a line without one takes the
 * arrival time). Each request's records are written in a Kafka transaction ({@link KafkaWriter}).
 */
public final class Gateway implements AutoCloseable {

  /** What {@code /ping} reports as {@code X-Influxdb-Version}: the 1.x API the gateway speaks. */
  static final String INFLUXDB_VERSION = "1.8.10";
  static final String REASON_HEADER = "tally.error.reason";
  static final String MESSAGE_HEADER = "tally.error.message";
  /** Where a dead letter came from: {@code http /write 127.0.0.1} or {@code udp 127.0.0.1}. */
  static final String SOURCE_HEADER = "tally.source.gateway";
  private static final String RETRY_AFTER_SECONDS = "5";
  private static final int MAX_ERRORS_REPORTED = 10;
  private static final int MAX_LINE_IN_ERROR = 200;
  private static final int MAX_DATAGRAM = 65_535;
  /** How much of a refused body is read and dropped so that its client gets the answer. */
  private static final long DISCARD_LIMIT_BYTES = 64L << 20;
  /** The largest event (key and value) sent to Kafka, well under its 1 MB default record limit. */
  static final int MAX_EVENT_BYTES = 512 * 1024;
  /** Datagrams received and waiting to be decoded; more are dropped (and counted). */
  private static final int UDP_QUEUE = 10_000;
  private static final java.time.Duration STARTUP_WAIT = java.time.Duration.ofSeconds(10);
  private static final Pattern CREATE_DATABASE = Pattern.compile("(?is)\\s*create\\s+database\\s+.*");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final GatewaySettings settings;
  private final PrometheusMeterRegistry registry;
  private final KafkaWriter writer;
  private final HttpServer http;
  private final ExecutorService httpThreads;
  private final DatagramChannel udp;
  private final Thread udpThread;
  /** Decodes datagrams off the receiving thread, so that it drains the socket while they are decoded. */
  private final ThreadPoolExecutor udpDecoders;
  private final ThreadLocal<EventDecoder> decoders = ThreadLocal.withInitial(EventDecoder::new);
  private final Map<String, Counter> counters = new java.util.concurrent.ConcurrentHashMap<>();
  private final Counter udpDropped;

  private Gateway(GatewaySettings settings) throws IOException {
    this.settings = settings;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.writer = new KafkaWriter(() -> producer(settings), 10_000, registry);
    Gauge.builder("tally.gateway.ready", writer, w -> w.ready() ? 1 : 0)
        .description("1 while Kafka takes the gateway's writes").register(registry);
    this.udpDropped = Counter.builder("tally.gateway.udp.datagrams.dropped")
        .description("UDP datagrams dropped: more waiting to be decoded than the queue holds, or Kafka not taking writes")
        .register(registry);
    if (settings.tls() != null) {
      HttpsServer https = HttpsServer.create(settings.http(), 0);
      https.setHttpsConfigurator(new HttpsConfigurator(settings.tls()));
      this.http = https;
    } else {
      this.http = HttpServer.create(settings.http(), 0);
    }
    AtomicInteger threadNumber = new AtomicInteger();
    this.httpThreads = Executors.newFixedThreadPool(settings.httpThreads(), runnable -> {
      Thread thread = new Thread(runnable, "tally-gateway-http-" + threadNumber.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    http.setExecutor(httpThreads);
    http.createContext("/", this::handle);
    if (settings.udp() != null) {
      this.udp = DatagramChannel.open();
      // as InfluxDB's read-buffer: room for bursts while a datagram is decoded (the kernel caps it
      // at net.core.rmem_max)
      udp.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 8 << 20);
      udp.bind(settings.udp());
      this.udpThread = new Thread(this::receiveUdp, "tally-gateway-udp");
      this.udpThread.setDaemon(true);
      int decoders = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
      AtomicInteger decoderNumber = new AtomicInteger();
      this.udpDecoders = new ThreadPoolExecutor(decoders, decoders, 0, TimeUnit.MILLISECONDS,
          new ArrayBlockingQueue<>(UDP_QUEUE), runnable -> {
            Thread thread = new Thread(runnable, "tally-gateway-udp-decode-" + decoderNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
          }, new ThreadPoolExecutor.AbortPolicy());
    } else {
      this.udp = null;
      this.udpThread = null;
      this.udpDecoders = null;
    }
  }

  /**
   * Starts listening. Refuses, with a message saying why, to listen beyond the loopback interface
   * without credentials.
   */
  public static Gateway start(GatewaySettings settings) throws IOException {
    if (!settings.credentials().required() && !settings.anonymousBeyondLoopback()
        && !settings.http().getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException("refusing to take writes on " + settings.http()
          + " from anyone: give credentials (a file, TALLY_GATEWAY_USERS or TALLY_GATEWAY_TOKENS),"
          + " listen on 127.0.0.1, or allow anonymous writes explicitly");
    }
    Gateway gateway = new Gateway(settings);
    gateway.http.start();
    if (gateway.udpThread != null) {
      gateway.udpThread.start();
    }
    // the first producer initialises in the background; a gateway that starts with Kafka up
    // should not answer its first requests 503
    long deadline = System.nanoTime() + STARTUP_WAIT.toNanos();
    while (!gateway.writer.ready() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    LOG.info("Tally gateway listening on {}://{}:{}{}, writing to topic {}{}", settings.tls() != null ? "https" : "http",
        gateway.http.getAddress().getHostString(), gateway.httpPort(),
        gateway.udp == null ? "" : " and udp://" + settings.udp().getHostString() + ":" + gateway.udpPort(),
        settings.eventsTopic(), gateway.writer.ready() ? "" : " (Kafka not available yet: writes get 503)");
    return gateway;
  }

  /** The HTTP listener's port. */
  public int httpPort() {
    return http.getAddress().getPort();
  }

  /** The UDP listener's port, or -1 without one. */
  public int udpPort() {
    try {
      return udp == null ? -1 : ((InetSocketAddress) udp.getLocalAddress()).getPort();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Whether Kafka takes writes now (what {@code /ready} says). */
  public boolean ready() {
    return writer.ready();
  }

  /** The gateway's metrics, for tests and benchmarks. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  private static Producer<byte[], byte[]> producer(GatewaySettings settings) {
    Map<String, Object> config = new HashMap<>();
    // small batches of a few requests each: no need to wait for more, the commit flushes anyway
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // a write that Kafka cannot take is answered 503 within seconds, not after the default 2 minutes
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
    // a transaction left open by a gateway that died blocks read_committed readers this long at most
    config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 30_000);
    config.putAll(settings.producerConfig());
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
  }

  // HTTP

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String endpoint = switch (path) {
      case "/write", "/api/v2/write", "/ping", "/query", "/health", "/ready", "/metrics" -> path;
      default -> "other";
    };
    int status;
    try {
      status = switch (endpoint) {
        case "/write" -> write(exchange, Api.V1);
        case "/api/v2/write" -> write(exchange, Api.V2);
        case "/ping" -> ping(exchange);
        case "/query" -> query(exchange);
        case "/health" -> respond(exchange, 200, Map.of("name", "tally-gateway", "status", "pass",
            "message", "up", "version", INFLUXDB_VERSION));
        case "/ready" -> writer.ready() ? respond(exchange, 200, Map.of("status", "ready"))
            : respond(exchange, 503, Map.of("status", "Kafka does not take writes"));
        case "/metrics" -> text(exchange, 200, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8");
        default -> respond(exchange, 404, Map.of("error", "not found: " + path));
      };
    } catch (IOException e) {
      // the client went away, or sent a body that could not be read
      LOG.debug("request {} {} failed", exchange.getRequestMethod(), path, e);
      status = -1;
    } catch (RuntimeException e) {
      LOG.warn("request {} {} failed; the connection is closed without an answer", exchange.getRequestMethod(),
          path, e);
      status = -1;
    } finally {
      exchange.close();
    }
    count("tally.gateway.requests", "HTTP requests by endpoint and status", "endpoint", endpoint,
        "status", status < 0 ? "failed" : Integer.toString(status)).increment();
  }

  private enum Api { V1, V2 }

  private int write(HttpExchange exchange, Api api) throws IOException {
    if (!exchange.getRequestMethod().equals("POST")) {
      exchange.getResponseHeaders().set("Allow", "POST");
      return error(exchange, api, 405, "method not allowed", "method not allowed");
    }
    Map<String, String> params = params(exchange.getRequestURI().getRawQuery());
    String target = api == Api.V1 ? params.get("db") : params.get("bucket");
    Credentials.Verdict verdict = settings.credentials().check(presented(exchange, params), target);
    if (verdict == Credentials.Verdict.UNAUTHENTICATED) {
      return error(exchange, api, 401, "unauthorized", "authorization failed");
    }
    if (verdict == Credentials.Verdict.FORBIDDEN) {
      return error(exchange, api, 403, "forbidden", "not authorized to write to \"" + target + "\"");
    }
    if (target == null || target.isEmpty()) {
      return error(exchange, api, 400, "invalid", api == Api.V1 ? "database is required" : "bucket is required");
    }
    Precision precision;
    try {
      precision = Precision.parse(params.get("precision"));
    } catch (IllegalArgumentException e) {
      return error(exchange, api, 400, "invalid", e.getMessage());
    }
    long arrivalMs = System.currentTimeMillis();
    byte[] body;
    try {
      body = body(exchange);
    } catch (TooLarge e) {
      discardBody(exchange);
      return error(exchange, api, 413, "request too large", "request body is larger than "
          + settings.maxBodyBytes() + " bytes");
    } catch (ZipException e) {
      return error(exchange, api, 400, "invalid", "body is not valid gzip: " + e.getMessage());
    }
    Decoded decoded = decoders.get().decodeLines(body, precision.nanos(), arrivalMs);
    String source = "http " + exchange.getRequestURI().getPath() + " " + exchange.getRemoteAddress().getAddress().getHostAddress();
    Prepared prepared = records(decoded, source);
    count("tally.gateway.bytes", "bytes received in write bodies (decompressed)", "transport", "http")
        .increment(body.length);
    if (!prepared.records().isEmpty()) {
      try {
        writer.submit(prepared.records()).get();
      } catch (ExecutionException e) {
        exchange.getResponseHeaders().set("Retry-After", RETRY_AFTER_SECONDS);
        return error(exchange, api, 503, "unavailable", "Kafka did not take the write, retry later: "
            + e.getCause().getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exchange.getResponseHeaders().set("Retry-After", RETRY_AFTER_SECONDS);
        return error(exchange, api, 503, "unavailable", "the gateway is shutting down");
      }
    }
    countLines("http", prepared);
    if (prepared.rejections().isEmpty()) {
      exchange.sendResponseHeaders(204, -1);
      return 204;
    }
    String parseErrors = parseErrors(prepared.rejections());
    String message = prepared.accepted() == 0 ? parseErrors
        : "partial write: " + parseErrors + " dropped=" + prepared.rejections().size();
    return error(exchange, api, 400, "invalid", message);
  }

  /**
   * The Kafka records of a decoded body: its events, and its bad lines as dead letters. An event too
   * large for a Kafka record becomes a bad line too: sent as it is, it would fail its whole
   * transaction, and the requests sharing it, at every retry.
   */
  private Prepared records(Decoded decoded, String source) {
    List<ProducerRecord<byte[], byte[]>> records =
        new ArrayList<>(decoded.events().size() + decoded.rejections().size());
    List<Rejection> rejections = decoded.rejections();
    for (UserEvent event : decoded.events()) {
      byte[] key = event.username().getBytes(StandardCharsets.UTF_8);
      byte[] value = EventDecoder.encodeAvro(event);
      if (key.length + value.length > MAX_EVENT_BYTES) {
        if (rejections == decoded.rejections()) {
          rejections = new ArrayList<>(rejections);
        }
        // the event as a line (unescaped, for whoever reads the dead letter), cut below the limit
        byte[] line = ("event_type=" + event.eventType() + ",product=" + event.product() + " value="
            + event.username() + " " + event.timestampNs()).getBytes(StandardCharsets.UTF_8);
        rejections.add(new Rejection(BadInputReason.UNPARSEABLE, "event of " + (key.length + value.length)
            + " bytes, more than the " + MAX_EVENT_BYTES + " a Kafka record of the events topic may hold here",
            line));
        continue;
      }
      records.add(new ProducerRecord<>(settings.eventsTopic(), key, value));
    }
    for (Rejection rejection : rejections) {
      RecordHeaders headers = new RecordHeaders();
      headers.add(REASON_HEADER, rejection.reason().code().getBytes(StandardCharsets.UTF_8));
      headers.add(MESSAGE_HEADER, rejection.message().getBytes(StandardCharsets.UTF_8));
      headers.add(SOURCE_HEADER, source.getBytes(StandardCharsets.UTF_8));
      byte[] payload = rejection.payload().length <= MAX_EVENT_BYTES ? rejection.payload()
          : Arrays.copyOf(rejection.payload(), MAX_EVENT_BYTES); // the start says what it was
      records.add(new ProducerRecord<>(settings.deadLetterTopic(), null, null, null, payload, headers));
    }
    return new Prepared(records, records.size() - rejections.size(), rejections);
  }

  /**
   * What a body becomes: its Kafka records, how many are events, and its bad lines.
   *
   * @param records the events, then the dead letters
   * @param accepted how many of the records are events
   * @param rejections the bad lines, in order
   */
  private record Prepared(List<ProducerRecord<byte[], byte[]>> records, int accepted, List<Rejection> rejections) {}

  /** InfluxDB's wording: {@code unable to parse '<line>': <reason>}, one per bad line. */
  private static String parseErrors(List<Rejection> rejections) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < Math.min(rejections.size(), MAX_ERRORS_REPORTED); i++) {
      Rejection rejection = rejections.get(i);
      String line = new String(rejection.payload(), StandardCharsets.UTF_8).strip();
      if (line.length() > MAX_LINE_IN_ERROR) {
        line = line.substring(0, MAX_LINE_IN_ERROR) + "...";
      }
      if (i > 0) {
        text.append('\n');
      }
      text.append("unable to parse '").append(line).append("': ").append(rejection.message());
    }
    if (rejections.size() > MAX_ERRORS_REPORTED) {
      text.append("\n(and ").append(rejections.size() - MAX_ERRORS_REPORTED).append(" more)");
    }
    return text.toString();
  }

  private int ping(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().set("X-Influxdb-Version", INFLUXDB_VERSION);
    exchange.getResponseHeaders().set("X-Influxdb-Build", "OSS");
    Map<String, String> params = params(exchange.getRequestURI().getRawQuery());
    if ("true".equalsIgnoreCase(params.get("verbose")) && exchange.getRequestMethod().equals("GET")) {
      return respond(exchange, 200, Map.of("version", INFLUXDB_VERSION));
    }
    exchange.sendResponseHeaders(204, -1);
    return 204;
  }

  private int query(HttpExchange exchange) throws IOException {
    Map<String, String> params = params(exchange.getRequestURI().getRawQuery());
    String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
    if (exchange.getRequestMethod().equals("POST") && contentType != null
        && contentType.startsWith("application/x-www-form-urlencoded")) {
      try {
        params.putAll(params(new String(body(exchange), StandardCharsets.UTF_8)));
      } catch (TooLarge e) {
        discardBody(exchange);
        return error(exchange, Api.V1, 413, "request too large", "request body too large");
      }
    }
    Credentials.Verdict verdict = settings.credentials().check(presented(exchange, params), null);
    if (verdict != Credentials.Verdict.ALLOWED) {
      return error(exchange, Api.V1, 401, "unauthorized", "authorization failed");
    }
    String q = params.getOrDefault("q", "");
    if (CREATE_DATABASE.matcher(q).matches()) {
      return respond(exchange, 200, Map.of("results", List.of(Map.of("statement_id", 0))));
    }
    return error(exchange, Api.V1, 400, "invalid", "the Tally gateway only takes writes and CREATE DATABASE;"
        + " Tally's results are in its Redis mirror and InfluxDB sink");
  }

  private Credentials.Presented presented(HttpExchange exchange, Map<String, String> params) {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization != null) {
      int space = authorization.indexOf(' ');
      String scheme = space < 0 ? authorization : authorization.substring(0, space);
      String value = space < 0 ? "" : authorization.substring(space + 1).strip();
      if (scheme.equalsIgnoreCase("Token")) {
        return new Credentials.Token(value);
      }
      if (scheme.equalsIgnoreCase("Basic")) {
        try {
          String decoded = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
          int colon = decoded.indexOf(':');
          if (colon >= 0) {
            return new Credentials.UserPassword(decoded.substring(0, colon), decoded.substring(colon + 1));
          }
        } catch (IllegalArgumentException e) {
          return new Credentials.None();
        }
      }
    }
    if (params.containsKey("u") && params.containsKey("p")) {
      return new Credentials.UserPassword(params.get("u"), params.get("p"));
    }
    return new Credentials.None();
  }

  private static final class TooLarge extends IOException {
    TooLarge() {
      super("request body too large");
    }
  }

  /**
   * Reads what is left of a refused body, up to {@link #DISCARD_LIMIT_BYTES}, so that the client,
   * still sending it, reads the answer instead of a reset connection; a larger rest is left unread,
   * and the connection closed after the answer.
   */
  private static void discardBody(HttpExchange exchange) {
    byte[] scratch = new byte[64 * 1024];
    long discarded = 0;
    try (InputStream in = exchange.getRequestBody()) {
      for (int read = in.read(scratch); read >= 0; read = in.read(scratch)) {
        discarded += read;
        if (discarded > DISCARD_LIMIT_BYTES) {
          exchange.getResponseHeaders().set("Connection", "close");
          return;
        }
      }
    } catch (IOException e) {
      exchange.getResponseHeaders().set("Connection", "close");
    }
  }

  /** The request body, gunzipped when it says so, refused once larger than the limit. */
  private byte[] body(HttpExchange exchange) throws IOException {
    long limit = settings.maxBodyBytes();
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length.strip()) > limit) {
          throw new TooLarge();
        }
      } catch (NumberFormatException e) {
        // the server has already refused a malformed length; let the read find the end
      }
    }
    InputStream in = exchange.getRequestBody();
    String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
    if (encoding != null && encoding.strip().equalsIgnoreCase("gzip")) {
      in = new GZIPInputStream(in, 64 * 1024);
    }
    // the declared length (plus one, to see the end) when there is one; gzip bodies grow from there
    byte[] buffer = new byte[(int) Math.min(limit + 1, Math.max(1024, Math.min(safeLength(length) + 1, 16 << 20)))];
    int size = 0;
    while (true) {
      if (size == buffer.length) {
        if (size > limit) {
          throw new TooLarge();
        }
        buffer = Arrays.copyOf(buffer, (int) Math.min(limit + 1, (long) buffer.length * 2));
      }
      int read = in.read(buffer, size, buffer.length - size);
      if (read < 0) {
        break;
      }
      size += read;
    }
    if (size > limit) {
      throw new TooLarge();
    }
    return size == buffer.length ? buffer : Arrays.copyOf(buffer, size);
  }

  private static long safeLength(String length) {
    try {
      return Math.max(0, Long.parseLong(length.strip()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static Map<String, String> params(String rawQuery) {
    Map<String, String> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int equals = pair.indexOf('=');
      String key = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
      String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
      params.putIfAbsent(key, value);
    }
    return params;
  }

  /** An error as the API's clients expect it: 1.x {@code {"error": ...}}, 2.x {@code {"code", "message"}}. */
  private static int error(HttpExchange exchange, Api api, int status, String code, String message)
      throws IOException {
    if (api == Api.V1) {
      exchange.getResponseHeaders().set("X-Influxdb-Error", headerValue(message.lines().findFirst().orElse("")));
      return respond(exchange, status, Map.of("error", message));
    }
    return respond(exchange, status, Map.of("code", code, "message", message));
  }

  /** Printable ASCII only, at most 200 characters: what an HTTP header may carry of any text. */
  static String headerValue(String text) {
    StringBuilder value = new StringBuilder(Math.min(text.length(), MAX_LINE_IN_ERROR));
    for (int i = 0; i < text.length() && value.length() < MAX_LINE_IN_ERROR; i++) {
      char c = text.charAt(i);
      value.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return value.toString();
  }

  private static int respond(HttpExchange exchange, int status, Object json) throws IOException {
    return text(exchange, status, JSON.writeValueAsString(json), "application/json");
  }

  private static int text(HttpExchange exchange, int status, String text, String contentType)
      throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.getResponseHeaders().set("X-Influxdb-Version", INFLUXDB_VERSION);
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(status, -1);
      return status;
    }
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
    return status;
  }

  // UDP

  private void receiveUdp() {
    ByteBuffer buffer = ByteBuffer.allocate(MAX_DATAGRAM);
    while (udp.isOpen()) {
      SocketAddress from;
      try {
        buffer.clear();
        from = udp.receive(buffer);
      } catch (AsynchronousCloseException e) {
        return;
      } catch (IOException e) {
        LOG.warn("UDP receive failed: {}", e.toString());
        continue;
      }
      byte[] datagram = Arrays.copyOf(buffer.array(), buffer.position());
      try {
        udpDecoders.execute(() -> writeDatagram(datagram, from));
      } catch (RejectedExecutionException e) {
        udpDropped.increment();
      }
    }
  }

  private void writeDatagram(byte[] datagram, SocketAddress from) {
    count("tally.gateway.bytes", "bytes received in write bodies (decompressed)", "transport", "udp")
        .increment(datagram.length);
    Decoded decoded = decoders.get().decodeLines(datagram, settings.udpPrecision().nanos(), System.currentTimeMillis());
    String source = "udp " + (from instanceof InetSocketAddress address ? address.getAddress().getHostAddress() : from);
    Prepared prepared = records(decoded, source);
    if (prepared.records().isEmpty()) {
      return;
    }
    writer.submit(prepared.records()).whenComplete((ok, failure) -> {
      if (failure != null) {
        udpDropped.increment();
      } else {
        countLines("udp", prepared);
      }
    });
  }

  private void countLines(String transport, Prepared prepared) {
    count("tally.gateway.lines", "lines written to Kafka: accepted as events, or rejected to the dead-letter topic",
        "transport", transport, "outcome", "accepted").increment(prepared.accepted());
    count("tally.gateway.lines", "lines written to Kafka: accepted as events, or rejected to the dead-letter topic",
        "transport", transport, "outcome", "rejected").increment(prepared.rejections().size());
  }

  private Counter count(String name, String description, String... tags) {
    return counters.computeIfAbsent(name + String.join(",", tags),
        key -> Counter.builder(name).description(description).tags(tags).register(registry));
  }

  @Override
  public void close() {
    http.stop(1);
    httpThreads.shutdown();
    if (udp != null) {
      try {
        udp.close();
      } catch (IOException e) {
        LOG.debug("closing the UDP listener", e);
      }
      udpDecoders.shutdown();
    }
    writer.close();
    try {
      httpThreads.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    registry.close();
  }
}
