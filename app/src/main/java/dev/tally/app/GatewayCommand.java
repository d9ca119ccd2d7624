package dev.tally.app;

import dev.tally.gateway.Credentials;
import dev.tally.gateway.Gateway;
import dev.tally.gateway.GatewaySettings;
import dev.tally.gateway.Precision;
import dev.tally.topology.TallyConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs the InfluxDB-compatible write endpoint in front of the events topic until it is stopped. */
@Command(name = "gateway", mixinStandardHelpOptions = true,
    description = {"Takes InfluxDB line protocol writes (HTTP /write and /api/v2/write, UDP) and "
        + "produces the events to Tally's events topic, keyed by username, in Kafka transactions: "
        + "204 once Kafka holds a request's events, 503 (nothing written) when it cannot take them.",
        "Point any InfluxDB client at it: influxdb-java, influxdb-client-java, Telegraf, curl. Runs "
        + "until SIGTERM or Ctrl-C.",
        "Credentials: --credentials FILE (lines 'user NAME PASSWORD [DB ...]' and 'token TOKEN "
        + "[BUCKET ...]'), TALLY_GATEWAY_USERS=name:password,... and TALLY_GATEWAY_TOKENS=token,...; "
        + "without any, only on a loopback address (or with --allow-anonymous).",
        "Kafka settings (brokers, security, topic names) come as for 'tally run': --config, TALLY_*, "
        + "--set, -b."})
public final class GatewayCommand implements Callable<Integer> {

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--http", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8086",
      description = "The HTTP listener (default: ${DEFAULT-VALUE}, InfluxDB's port).")
  String http;

  @Option(names = "--udp", paramLabel = "HOST:PORT",
      description = "A UDP listener, as InfluxDB 1.x's (default: none; InfluxDB's is port 8089).")
  String udp;

  @Option(names = "--udp-precision", paramLabel = "UNIT", defaultValue = "n",
      description = "The unit of UDP lines' timestamps: n, u, ms, s, m or h (default: ${DEFAULT-VALUE}).")
  String udpPrecision;

  @Option(names = "--max-body-size", paramLabel = "BYTES", defaultValue = "25000000",
      description = "The largest write body taken, after decompression; larger ones get 413 (default: ${DEFAULT-VALUE}).")
  long maxBodySize;

  @Option(names = "--credentials", paramLabel = "FILE", description = "Who may write (see above).")
  Path credentials;

  @Option(names = "--allow-anonymous",
      description = "Take writes from anyone on a non-loopback address when no credentials are given.")
  boolean allowAnonymous;

  @Option(names = "--tls-keystore", paramLabel = "FILE",
      description = "Serve HTTPS with the key and certificate in this PKCS12 keystore.")
  Path tlsKeystore;

  @Option(names = "--tls-password", paramLabel = "PASSWORD", defaultValue = "${env:TALLY_GATEWAY_TLS_PASSWORD}",
      description = "The keystore's password (default: TALLY_GATEWAY_TLS_PASSWORD).")
  String tlsPassword;

  @Option(names = "--transactional-id", paramLabel = "ID",
      description = "The Kafka transactional id, unique to this gateway instance and stable across its "
          + "restarts (default: tally-gateway-HOSTNAME-PORT).")
  String transactionalId;

  @Option(names = "--http-threads", paramLabel = "N", defaultValue = "64",
      description = "Threads serving HTTP requests; each waits for its Kafka transaction (default: ${DEFAULT-VALUE}).")
  int httpThreads;

  @Override
  public Integer call() throws Exception {
    TallyConfig tally = cluster.load();
    InetSocketAddress httpAddress = address(http, "--http");
    GatewaySettings settings = new GatewaySettings(httpAddress, udp == null ? null : address(udp, "--udp"),
        Precision.parse(udpPrecision), maxBodySize, Credentials.load(credentials, System.getenv()),
        allowAnonymous, tlsKeystore == null ? null : GatewaySettings.tls(tlsKeystore, tlsPassword),
        tally.getString(TallyConfig.EVENTS_TOPIC), tally.getString(TallyConfig.DEAD_LETTER_TOPIC),
        producerConfig(tally, transactionalId != null ? transactionalId
            : "tally-gateway-" + hostname() + "-" + httpAddress.getPort()),
        httpThreads);
    CountDownLatch stopped = new CountDownLatch(1);
    try (Gateway gateway = Gateway.start(settings)) {
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "tally-gateway-stop"));
      stopped.await();
    }
    return 0;
  }

  /** Bootstrap servers and every producer or client setting the configuration holds. */
  static Map<String, Object> producerConfig(TallyConfig tally, String transactionalId) {
    Map<String, Object> producer = new HashMap<>();
    tally.originals().forEach((key, value) -> {
      if (ProducerConfig.configNames().contains(key)) {
        producer.put(key, value);
      }
    });
    producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", tally.getList("bootstrap.servers")));
    producer.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    return producer;
  }

  private static InetSocketAddress address(String hostPort, String option) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(option + " takes HOST:PORT, not '" + hostPort + "'");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      return new InetSocketAddress(host.isEmpty() ? "0.0.0.0" : host, Integer.parseInt(hostPort.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " takes HOST:PORT, not '" + hostPort + "'");
    }
  }

  private static String hostname() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
