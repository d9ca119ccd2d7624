package dev.tally.connect.influx;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.common.config.types.Password;

/**
 * Configuration of the InfluxDB sink: which write API ({@code influx.api}), where, and how hard to
 * retry. {@link #CONFIG} documents every key; {@link #validate(Map)} adds the rules that span keys
 * (the v1 keys go with {@code influx.api=v1}, the v2 keys with {@code v2}) and returns every problem
 * at once, each with its key.
 *
 * <p>The Connect framework's own keys ({@code topics}, {@code errors.tolerance}, ...) are not
 * defined here: the worker validates them, and they reach the task among the originals.
 */
public final class InfluxDbSinkConfig extends AbstractConfig {

  public static final String API = "influx.api";
  public static final String URL = "influx.url";
  public static final String TIMEOUT_MS = "influx.timeout.ms";
  public static final String DATABASE = "influx.database";
  public static final String RETENTION_POLICY = "influx.retention.policy";
  public static final String USERNAME = "influx.username";
  public static final String PASSWORD = "influx.password";
  public static final String ORG = "influx.org";
  public static final String BUCKET = "influx.bucket";
  public static final String TOKEN = "influx.token";
  public static final String BATCH_MAX_POINTS = "influx.batch.max.points";
  public static final String RETRY_BACKOFF_MS = "influx.retry.backoff.ms";
  public static final String RETRY_BACKOFF_MAX_MS = "influx.retry.backoff.max.ms";
  public static final String MAX_RETRIES = "influx.max.retries";

  /** Connect's key, read from the originals: whether bad records may be skipped. */
  static final String ERRORS_TOLERANCE = "errors.tolerance";

  private static final String CONNECTION = "Connection";
  private static final String V1 = "InfluxDB 1.x (influx.api=v1)";
  private static final String V2 = "InfluxDB 2.x and 3.x (influx.api=v2)";
  private static final String WRITES = "Writes and retries";

  /** The documented keys, with types, defaults, validators and groups. */
  public static final ConfigDef CONFIG = new ConfigDef()
      .define(API, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new LowerCaseIn(Api.names()),
          Importance.HIGH, "Which write API: 'v1' for InfluxDB 1.x (POST /write with a database and "
              + "retention policy; also 1.8+ and 2.x through their v1 compatibility API), 'v2' for "
              + "InfluxDB 2.x and 3.x (POST /api/v2/write through influxdb-client-java, with org, "
              + "bucket and token).", CONNECTION, 1, Width.SHORT, "Write API")
      .define(URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new HttpUrl(), Importance.HIGH,
          "Base URL of the InfluxDB HTTP API, e.g. http://influxdb:8086 (a path prefix is kept: "
              + "http://proxy/influx writes to http://proxy/influx/write).", CONNECTION, 2,
          Width.LONG, "URL")
      .define(TIMEOUT_MS, Type.LONG, 10_000L, Range.between(1, 600_000), Importance.MEDIUM,
          "Connect and response timeout of one write request, in milliseconds. A timeout is "
              + "retried like a 5xx.", CONNECTION, 3, Width.SHORT, "Request timeout")
      .define(DATABASE, Type.STRING, "", Importance.HIGH,
          "v1 only, required there: the database to write to (it must exist).", V1, 1,
          Width.MEDIUM, "Database")
      .define(RETENTION_POLICY, Type.STRING, "", Importance.MEDIUM,
          "v1 only: the retention policy; empty writes to the database's default one.", V1, 2,
          Width.MEDIUM, "Retention policy")
      .define(USERNAME, Type.STRING, "", Importance.MEDIUM,
          "v1 only: user for HTTP basic authentication; empty when authentication is off. Needs "
              + PASSWORD + ".", V1, 3, Width.MEDIUM, "Username")
      .define(PASSWORD, Type.PASSWORD, "", Importance.MEDIUM,
          "v1 only: password of " + USERNAME + ".", V1, 4, Width.MEDIUM, "Password")
      .define(ORG, Type.STRING, "", Importance.HIGH,
          "v2 only, required there: the organization (name or id; InfluxDB 3 ignores it but the "
              + "client needs one).", V2, 1, Width.MEDIUM, "Organization")
      .define(BUCKET, Type.STRING, "", Importance.HIGH,
          "v2 only, required there: the bucket (InfluxDB 3: the database).", V2, 2, Width.MEDIUM,
          "Bucket")
      .define(TOKEN, Type.PASSWORD, "", Importance.HIGH,
          "v2 only, required there: the API token, sent as 'Authorization: Token ...'.", V2, 3,
          Width.LONG, "Token")
      .define(BATCH_MAX_POINTS, Type.INT, 5_000, Range.between(2, 1_000_000), Importance.LOW,
          "Most points in one write request; the records of one put are sent in as many requests "
              + "as this needs (each result is two points).", WRITES, 1, Width.SHORT,
          "Points per request")
      .define(RETRY_BACKOFF_MS, Type.LONG, 1_000L, Range.between(1, 3_600_000), Importance.MEDIUM,
          "Wait before the first retry after a 5xx, 429, timeout or connection failure; it doubles "
              + "with every further failure, up to " + RETRY_BACKOFF_MAX_MS + ".", WRITES, 2,
          Width.SHORT, "Retry backoff")
      .define(RETRY_BACKOFF_MAX_MS, Type.LONG, 30_000L, Range.between(1, 3_600_000),
          Importance.MEDIUM, "Longest wait between two retries.", WRITES, 3, Width.SHORT,
          "Longest retry backoff")
      .define(MAX_RETRIES, Type.INT, -1, Range.atLeast(-1), Importance.MEDIUM,
          "Retries of one batch before the task fails; -1 retries for as long as it takes. "
              + "Nothing is lost either way: offsets are committed only after their points are "
              + "written, so a restarted task writes the batch again.", WRITES, 4, Width.SHORT,
          "Maximum retries");

  /** The two generations of InfluxDB's write API. */
  public enum Api {
    /** InfluxDB 1.x: {@code POST /write?db=..&rp=..&precision=ns}. */
    V1,
    /** InfluxDB 2.x and 3.x: {@code POST /api/v2/write?org=..&bucket=..&precision=ns}. */
    V2;

    static List<String> names() {
      List<String> names = new ArrayList<>();
      for (Api api : values()) {
        names.add(api.name().toLowerCase(Locale.ROOT));
      }
      return names;
    }
  }

  private InfluxDbSinkConfig(Map<String, String> props) {
    super(CONFIG, props, false);
  }

  /**
   * Parses and validates a connector or task configuration.
   *
   * @throws ConfigException listing every problem, each with its key
   */
  public static InfluxDbSinkConfig parse(Map<String, String> props) {
    Map<String, List<String>> problems = validate(props);
    if (!problems.isEmpty()) {
      List<String> lines = new ArrayList<>();
      problems.forEach((key, messages) -> messages.forEach(m -> lines.add(key + ": " + m)));
      throw new ConfigException("Invalid InfluxDB sink configuration: " + String.join("; ", lines));
    }
    return new InfluxDbSinkConfig(props);
  }

  /**
   * Every problem of a configuration, by key, in the order of {@link #CONFIG}: the per-key checks
   * (missing, wrong type, out of range) and the rules that span keys. Empty when it is valid.
   */
  public static Map<String, List<String>> validate(Map<String, String> props) {
    Map<String, List<String>> problems = new LinkedHashMap<>();
    Map<String, ConfigValue> values = new LinkedHashMap<>();
    for (ConfigValue value : CONFIG.validate(props)) {
      values.put(value.name(), value);
    }
    for (String key : CONFIG.configKeys().keySet()) {
      List<String> messages = values.get(key).errorMessages();
      if (!messages.isEmpty()) {
        problems.put(key, new ArrayList<>(messages));
      }
    }
    Object api = values.get(API).value();
    if (problems.containsKey(API) || api == null) {
      return problems;
    }
    List<String> v1Keys = List.of(DATABASE, RETENTION_POLICY, USERNAME, PASSWORD);
    List<String> v2Keys = List.of(ORG, BUCKET, TOKEN);
    if (Api.valueOf(api.toString().trim().toUpperCase(Locale.ROOT)) == Api.V1) {
      requireSet(values, problems, DATABASE, "v1");
      if (isSet(values, USERNAME) != isSet(values, PASSWORD)) {
        String missing = isSet(values, USERNAME) ? PASSWORD : USERNAME;
        add(problems, missing, "is required when " + (missing.equals(PASSWORD) ? USERNAME : PASSWORD)
            + " is set (HTTP basic authentication needs both)");
      }
      rejectSet(values, problems, v2Keys, "v1");
    } else {
      requireSet(values, problems, ORG, "v2");
      requireSet(values, problems, BUCKET, "v2");
      requireSet(values, problems, TOKEN, "v2");
      rejectSet(values, problems, v1Keys, "v2");
    }
    Object backoff = values.get(RETRY_BACKOFF_MS).value();
    Object backoffMax = values.get(RETRY_BACKOFF_MAX_MS).value();
    if (backoff instanceof Long first && backoffMax instanceof Long max && max < first) {
      add(problems, RETRY_BACKOFF_MAX_MS, "must be at least " + RETRY_BACKOFF_MS + " (" + first
          + "), was " + max);
    }
    return problems;
  }

  private static void requireSet(Map<String, ConfigValue> values, Map<String, List<String>> problems,
      String key, String api) {
    if (!isSet(values, key)) {
      add(problems, key, "is required when " + API + "=" + api);
    }
  }

  /** Keys of the other API are an error, not ignored: they mean the configuration was misread. */
  private static void rejectSet(Map<String, ConfigValue> values, Map<String, List<String>> problems,
      List<String> keys, String api) {
    for (String key : keys) {
      if (isSet(values, key)) {
        add(problems, key, "is not used when " + API + "=" + api + "; remove it or set " + API
            + "=" + (api.equals("v1") ? "v2" : "v1"));
      }
    }
  }

  private static boolean isSet(Map<String, ConfigValue> values, String key) {
    Object value = values.get(key).value();
    if (value instanceof Password password) {
      value = password.value();
    }
    return value != null && !value.toString().isBlank();
  }

  private static void add(Map<String, List<String>> problems, String key, String message) {
    problems.computeIfAbsent(key, k -> new ArrayList<>()).add(message);
  }

  public Api api() {
    return Api.valueOf(getString(API).trim().toUpperCase(Locale.ROOT));
  }

  /** The base URL without a trailing slash. */
  public String url() {
    String url = getString(URL).trim();
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  public long timeoutMs() {
    return getLong(TIMEOUT_MS);
  }

  public String database() {
    return getString(DATABASE).trim();
  }

  public String retentionPolicy() {
    return getString(RETENTION_POLICY).trim();
  }

  public String username() {
    return getString(USERNAME);
  }

  public Password password() {
    return getPassword(PASSWORD);
  }

  public String org() {
    return getString(ORG).trim();
  }

  public String bucket() {
    return getString(BUCKET).trim();
  }

  public Password token() {
    return getPassword(TOKEN);
  }

  public int batchMaxPoints() {
    return getInt(BATCH_MAX_POINTS);
  }

  public Backoff backoff() {
    return new Backoff(getLong(RETRY_BACKOFF_MS), getLong(RETRY_BACKOFF_MAX_MS),
        getInt(MAX_RETRIES));
  }

  /** Whether Connect's {@code errors.tolerance} is {@code all}: bad records may be skipped. */
  public boolean toleratesErrors() {
    Object tolerance = originals().get(ERRORS_TOLERANCE);
    return tolerance != null && tolerance.toString().trim().equalsIgnoreCase("all");
  }

  /** Where points go, for log lines and error messages: never a credential. */
  public String target() {
    return switch (api()) {
      case V1 -> "InfluxDB v1 " + url() + " database '" + database() + "'"
          + (retentionPolicy().isEmpty() ? "" : " retention policy '" + retentionPolicy() + "'");
      case V2 -> "InfluxDB v2 " + url() + " org '" + org() + "' bucket '" + bucket() + "'";
    };
  }

  /** One of the given values, ignoring case. */
  private static final class LowerCaseIn implements ConfigDef.Validator {
    private final List<String> allowed;

    LowerCaseIn(List<String> allowed) {
      this.allowed = allowed;
    }

    @Override
    public void ensureValid(String name, Object value) {
      if (value == null) {
        return; // a missing required key is reported as missing
      }
      if (!allowed.contains(value.toString().trim().toLowerCase(Locale.ROOT))) {
        throw new ConfigException(name, value, "must be one of " + allowed);
      }
    }

    @Override
    public String toString() {
      return String.join(", ", allowed);
    }
  }

  /** An absolute http or https URL with a host and neither query nor fragment. */
  private static final class HttpUrl implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      if (value == null) {
        return; // a missing required key is reported as missing
      }
      URI uri;
      try {
        uri = new URI(value.toString().trim());
      } catch (URISyntaxException e) {
        throw new ConfigException(name, value, "is not a URL: " + e.getReason());
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new ConfigException(name, value, "must start with http:// or https://");
      }
      if (uri.getHost() == null || uri.getHost().isEmpty()) {
        throw new ConfigException(name, value, "has no host");
      }
      if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
        throw new ConfigException(name, value,
            "must not have a query or fragment: the sink adds its own parameters");
      }
    }

    @Override
    public String toString() {
      return "http(s)://host[:port][/path]";
    }
  }
}
