package dev.tally.topology.window;

import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * What Tally's own in-memory stores ({@link AggregateStore}, {@link CommitHook}) share: a
 * {@link CachedStateStore} only for the {@link #flushCache()} hook that Kafka Streams calls before
 * each commit's transaction is flushed, with nothing cached between commits, no flush listener and
 * nothing on disk. Built by {@link OwnStoreBuilder}.
 */
abstract class OwnStore<K, V> implements StateStore, CachedStateStore<K, V> {

  private final String name;
  private final Position position = Position.emptyPosition();
  private volatile boolean open;

  OwnStore(String name) {
    this.name = name;
  }

  /**
   * Kafka Streams' own processor context, which the subclass's {@code init} needs (to log changes or
   * to forward during a commit); the store is open from then on.
   */
  final InternalProcessorContext<?, ?> opened(StateStoreContext context) {
    if (!(context instanceof InternalProcessorContext<?, ?> internal)) {
      throw new IllegalArgumentException(name + " needs Kafka Streams' own processor context");
    }
    open = true;
    return internal;
  }

  /** Open without Kafka Streams (tests). */
  final void opened() {
    open = true;
  }

  final void closed() {
    open = false;
  }

  @Override
  public final String name() {
    return name;
  }

  /** Nothing to clear: Kafka Streams calls this only after a commit, when nothing is pending. */
  @Override
  public final void clearCache() {
  }

  @Override
  public final boolean setFlushListener(CacheFlushListener<K, V> listener, boolean sendOldValues) {
    return false;
  }

  @Override
  public final boolean persistent() {
    return false;
  }

  @Override
  public final boolean isOpen() {
    return open;
  }

  @Override
  public final Position getPosition() {
    return position;
  }
}
