package dev.tally.topology.window;

import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The builder of a store that writes (or has) no changelog of Kafka Streams' making and is never
 * cached by Kafka Streams: {@link AggregateStore} (always logged, by itself) and {@link CommitHook}
 * (never logged). Asking for what the store cannot be fails at topology build time.
 */
final class OwnStoreBuilder<T extends StateStore> implements StoreBuilder<T> {

  private final String name;
  private final boolean logged;
  private final Function<String, T> factory;
  private Map<String, String> logConfig = Map.of();

  /**
   * @param logged whether the store has a changelog: then it cannot go without one, else it cannot
   *     have one
   */
  OwnStoreBuilder(String name, boolean logged, Function<String, T> factory) {
    this.name = name;
    this.logged = logged;
    this.factory = factory;
  }

  @Override
  public StoreBuilder<T> withCachingEnabled() {
    throw new UnsupportedOperationException(name + " is not cached by Kafka Streams: "
        + (logged ? "it batches its own changelog writes" : "it holds no state"));
  }

  @Override
  public StoreBuilder<T> withCachingDisabled() {
    return this;
  }

  @Override
  public StoreBuilder<T> withLoggingEnabled(Map<String, String> config) {
    if (!logged) {
      throw new UnsupportedOperationException(name + " holds no state to log");
    }
    logConfig = Map.copyOf(config);
    return this;
  }

  @Override
  public StoreBuilder<T> withLoggingDisabled() {
    if (logged) {
      throw new UnsupportedOperationException(name + " is exactly once only with its changelog");
    }
    return this;
  }

  @Override
  public T build() {
    return factory.apply(name);
  }

  @Override
  public Map<String, String> logConfig() {
    return logConfig;
  }

  @Override
  public boolean loggingEnabled() {
    return logged;
  }

  @Override
  public String name() {
    return name;
  }
}
