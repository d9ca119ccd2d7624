package dev.tally.connect.redis.query;

import dev.tally.connect.redis.KeyLayout.Ranking;
import dev.tally.connect.redis.KeyLayout.Series;
import dev.tally.connect.redis.KeyLayout.Span;
import dev.tally.connect.redis.RedisEndpoint;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Locale;

/**
 * The {@code tally query} command's work, given its options as the user typed them: parses the
 * times and names, reads through {@link MirrorReader}, prints in the chosen format. The picocli
 * class in the cli module only declares the options.
 */
public final class QueryRunner {

  private final RedisEndpoint endpoint;
  private final String prefix;
  private final Table.Format format;
  private final PrintWriter out;
  private final Clock clock;

  /**
   * @param endpoint where to read, as which user
   * @param prefix the mirror's key prefix
   * @param format table, json or csv
   * @param out where the result goes
   * @param clock for relative times ({@code -90m}, {@code now})
   */
  public QueryRunner(RedisEndpoint endpoint, String prefix, String format, PrintWriter out,
      Clock clock) {
    this.endpoint = endpoint;
    this.prefix = prefix;
    this.format = Table.Format.of(format);
    this.out = out;
    this.clock = clock;
  }

  /** {@code tally query series}. */
  public void series() {
    try (MirrorReader reader = MirrorReader.open(endpoint, prefix)) {
      print(reader.series());
    }
  }

  /** {@code tally query range PRODUCT EVENT_TYPE --from FROM --to TO}. */
  public void range(String product, String eventType, String from, String to) {
    long[] range = range(from, to);
    try (MirrorReader reader = MirrorReader.open(endpoint, prefix)) {
      print(reader.range(new Series(product, eventType), range[0], range[1]));
    }
  }

  /** {@code --from} and {@code --to} in epoch ms, in order. */
  private long[] range(String from, String to) {
    long fromMs = QueryOptions.time("--from", from, clock);
    long toMs = QueryOptions.time("--to", to, clock);
    if (fromMs > toMs) {
      throw new QueryException("--from (" + from + ") is after --to (" + to + ")");
    }
    return new long[] {fromMs, toMs};
  }

  /** {@code tally query top --minute MINUTE --by count|users -n N}. */
  public void top(String minute, String by, int limit) {
    long windowStart = QueryOptions.minuteOf(QueryOptions.time("--minute", minute, clock));
    Ranking ranking = switch (by.trim().toLowerCase(Locale.ROOT)) {
      case "count" -> Ranking.COUNT;
      case "users", "unique_users", "unique-users" -> Ranking.USERS;
      default -> throw new QueryException("--by: unknown ranking '" + by + "': use count or users");
    };
    try (MirrorReader reader = MirrorReader.open(endpoint, prefix)) {
      print(reader.top(windowStart, ranking, limit));
    }
  }

  /** {@code tally query uniques PRODUCT EVENT_TYPE --from FROM --to TO}. */
  public void uniques(String product, String eventType, String from, String to) {
    long[] range = range(from, to);
    try (MirrorReader reader = MirrorReader.open(endpoint, prefix)) {
      print(reader.uniques(new Series(product, eventType), range[0], range[1]));
    }
  }

  /** {@code tally query uniques --top (--hour TIME | --day TIME) -n N}. */
  public void topUniques(String hour, String day, int limit) {
    if ((hour == null) == (day == null)) {
      throw new QueryException("--top takes one of --hour TIME or --day TIME");
    }
    Span span = hour != null ? Span.HOUR : Span.DAY;
    long at = QueryOptions.time(hour != null ? "--hour" : "--day", hour != null ? hour : day, clock);
    try (MirrorReader reader = MirrorReader.open(endpoint, prefix)) {
      print(reader.topUniques(span, at, limit));
    }
  }

  private void print(Table table) {
    out.print(format.render(table));
    out.flush();
  }
}
