package dev.tally.app;

import dev.tally.connect.redis.query.QueryException;
import dev.tally.connect.redis.query.QueryOptions;
import dev.tally.connect.redis.query.QueryRunner;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * Reads the Redis mirror as an analyst, through the read-only user: the options only; the work is
 * {@link QueryRunner} in the redis-sink module.
 */
@Command(name = "query", mixinStandardHelpOptions = true,
    description = {"Reads the Redis mirror of the results (written by the redis-sink connector) as "
        + "the read-only tally-analyst user.",
        "  tally query series",
        "  tally query range live rails-5xx --from -2h --to now",
        "  tally query top --minute 2016-11-07T08:32:00Z --by users -n 5 --format json",
        "  tally query uniques live rails-5xx --from -1d --to now",
        "Times: ISO-8601 instants, UTC date-times, epoch ms, 'now' or -N[s|m|h|d]."})
public final class QueryCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "The sink's properties file (redis-sink.properties): its redis.* connection "
          + "keys and prefix, never its writer login.")
  Path sinkConfig;

  @Option(names = "--redis", paramLabel = "HOST:PORT[,HOST:PORT]", scope = ScopeType.INHERIT,
      description = "The server, the Sentinels or cluster nodes (default 127.0.0.1:6379).")
  String hosts;

  @Option(names = "--mode", paramLabel = "MODE", scope = ScopeType.INHERIT,
      description = "standalone (default), sentinel or cluster.")
  String mode;

  @Option(names = "--master", paramLabel = "NAME", scope = ScopeType.INHERIT,
      description = "The Sentinel master name (with --mode sentinel).")
  String master;

  @Option(names = "--user", defaultValue = QueryOptions.DEFAULT_USER, scope = ScopeType.INHERIT,
      description = "ACL user (default: ${DEFAULT-VALUE}).")
  String user;

  @Option(names = "--password", defaultValue = "${env:TALLY_REDIS_PASSWORD}",
      scope = ScopeType.INHERIT, description = "Its password (default: $TALLY_REDIS_PASSWORD).")
  String password;

  @Option(names = "--tls", scope = ScopeType.INHERIT, description = "Connect with TLS.")
  boolean tls;

  @Option(names = "--truststore", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "PKCS12 trust store with the servers' CA (with --tls).")
  String truststore;

  @Option(names = "--truststore-password", scope = ScopeType.INHERIT,
      description = "Password of the trust store.")
  String truststorePassword;

  @Option(names = "--keystore", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "PKCS12 key store with a client certificate (with --tls).")
  String keystore;

  @Option(names = "--keystore-password", scope = ScopeType.INHERIT,
      description = "Password of the key store.")
  String keystorePassword;

  @Option(names = "--prefix", scope = ScopeType.INHERIT,
      description = "The mirror's key prefix (default: the config file's, else tally:).")
  String prefix;

  @Option(names = {"-f", "--format"}, defaultValue = "table", scope = ScopeType.INHERIT,
      description = "table (default), json or csv.")
  String format;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing a subcommand: series, range, top or uniques");
  }

  @Command(name = "series", mixinStandardHelpOptions = true, description = "Lists the series the mirror knows, with their latest minute.")
  int series() {
    return answer(() -> runner().series());
  }

  @Command(name = "range", mixinStandardHelpOptions = true, description = "One series, minute by minute.")
  int range(@Parameters(index = "0", paramLabel = "PRODUCT") String product,
      @Parameters(index = "1", paramLabel = "EVENT_TYPE") String eventType,
      @Option(names = "--from", defaultValue = "-1h", description = "First minute (default: ${DEFAULT-VALUE}).") String from,
      @Option(names = "--to", defaultValue = "now", description = "Last minute (default: ${DEFAULT-VALUE}).") String to) {
    return answer(() -> runner().range(product, eventType, from, to));
  }

  @Command(name = "top", mixinStandardHelpOptions = true, description = "The top series of one minute.")
  int top(
      @Option(names = "--minute", defaultValue = "-1m", description = "The minute (default: ${DEFAULT-VALUE}, the last full one).") String minute,
      @Option(names = "--by", defaultValue = "count", description = "count (default) or users.") String by,
      @Option(names = {"-n", "--limit"}, defaultValue = "10", description = "How many (default: ${DEFAULT-VALUE}).") int limit) {
    return answer(() -> runner().top(minute, by, limit));
  }

  @Command(name = "uniques", mixinStandardHelpOptions = true, description = {"Distinct users over any range of minutes, estimated "
      + "from the mirror's HyperLogLogs (Redis's, 0.81%% standard error): whole UTC days and hours "
      + "from their keys, the ragged ends from minute keys.",
      "With --top, the series with the most distinct users in one UTC hour or day."})
  int uniques(@Parameters(index = "0", arity = "0..1", paramLabel = "PRODUCT") String product,
      @Parameters(index = "1", arity = "0..1", paramLabel = "EVENT_TYPE") String eventType,
      @Option(names = "--from", defaultValue = "-1h", description = "First minute (default: ${DEFAULT-VALUE}).") String from,
      @Option(names = "--to", defaultValue = "now", description = "Last minute (default: ${DEFAULT-VALUE}).") String to,
      @Option(names = "--top", description = "Rank the series of one hour or day instead.") boolean top,
      @Option(names = "--hour", paramLabel = "TIME", description = "With --top: the UTC hour holding TIME.") String hour,
      @Option(names = "--day", paramLabel = "TIME", description = "With --top: the UTC day holding TIME.") String day,
      @Option(names = {"-n", "--limit"}, defaultValue = "10", description = "With --top: how many (default: ${DEFAULT-VALUE}).") int limit) {
    if (top) {
      return answer(() -> runner().topUniques(hour, day, limit));
    }
    if (product == null || eventType == null) {
      throw new ParameterException(spec.commandLine(), "uniques takes PRODUCT EVENT_TYPE, or --top");
    }
    return answer(() -> runner().uniques(product, eventType, from, to));
  }

  /** Runs a query; a {@link QueryException} is one line on stderr and exit code 1. */
  private int answer(Runnable query) {
    try {
      query.run();
      return 0;
    } catch (QueryException e) {
      spec.commandLine().getErr().println("tally query: " + e.getMessage());
      return 1;
    }
  }

  private QueryRunner runner() {
    return new QueryRunner(QueryOptions.endpoint(sinkConfig, QueryOptions.overrides(hosts, mode, master,
        tls, truststore, truststorePassword, keystore, keystorePassword), user, password),
        QueryOptions.prefix(sinkConfig, prefix), format, spec.commandLine().getOut(), Clock.systemUTC());
  }
}
