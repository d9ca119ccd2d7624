package dev.tally.topology.compat;

import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorNode;
import org.apache.kafka.streams.processor.internals.ProcessorRecordContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * Runs a processor's action inside every commit of its task, before the commit's transaction takes
 * the task's input offsets: whatever the action forwards or writes to a logged store commits
 * atomically with the input it came from. Kafka Streams has no public API for this (see the package
 * documentation); this store gets there as Kafka Streams' own caching stores do, as a
 * {@link CachedStateStore} whose {@link #flushCache()} {@code StreamTask#prepareCommit} calls before
 * it flushes the record collector and the offsets are sent. {@code CommitHookContractTest} pins that
 * order.
 *
 * <p>The store holds nothing and has no changelog, so the task it belongs to stays stateless as far
 * as changelogs, standbys and a growing input topic go. A processor that connects it calls
 * {@link #beforeCommit} in its {@code init}; the action then runs as that processor (so that it may
 * forward), with a record context of the last record the processor named in {@link #lastRecord}.
 * Opened with another context than Kafka Streams' own (a {@code MockProcessorContext} in a unit
 * test), it runs the action as it is, when the test calls {@link #flushCache()}.
 */
public final class CommitHook implements StateStore, CachedStateStore<Object, Object> {

  private final String name;
  private final Position position = Position.emptyPosition();
  private volatile boolean open;
  private InternalProcessorContext<?, ?> context;
  private ProcessorNode<?, ?, ?, ?> node;
  private Runnable action;
  private String topic;
  private int partition = -1;
  private long offset = -1;
  private long timestamp;

  private CommitHook(String name) {
    this.name = name;
  }

  /** A builder for the topology: never cached, never logged. */
  public static StoreBuilder<CommitHook> builder(String name) {
    return new Builder(name);
  }

  /**
   * Runs {@code action} in every commit of this task from now on, as the processor whose
   * {@code init} calls this.
   */
  public void beforeCommit(Runnable action) {
    this.node = context == null ? null : context.currentNode();
    this.action = action;
  }

  /** What the record context of the action points to: the last record processed. */
  public void lastRecord(String topic, int partition, long offset, long timestamp) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
  }

  @Override
  public void flushCache() {
    if (action == null) {
      return;
    }
    if (context == null) {
      action.run();
      return;
    }
    ProcessorNode<?, ?, ?, ?> previousNode = context.currentNode();
    ProcessorRecordContext previousRecord = context.recordContext();
    try {
      context.setCurrentNode(node);
      context.setRecordContext(new ProcessorRecordContext(timestamp, offset, partition, topic,
          new RecordHeaders()));
      action.run();
    } finally {
      context.setRecordContext(previousRecord);
      context.setCurrentNode(previousNode);
    }
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    this.context = context instanceof InternalProcessorContext<?, ?> internal ? internal : null;
    context.register(root, (key, value) -> {
    });
    open = true;
  }

  @Override
  public void close() {
    action = null;
    open = false;
  }

  @Override
  public String name() {
    return name;
  }

  /** Nothing to clear: Kafka Streams calls this only after a commit, when nothing is pending. */
  @Override
  public void clearCache() {
  }

  @Override
  public boolean setFlushListener(CacheFlushListener<Object, Object> listener,
      boolean sendOldValues) {
    return false;
  }

  @Override
  public boolean persistent() {
    return false;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public Position getPosition() {
    return position;
  }

  /** Asking for a cache or a changelog fails at topology build time: the hook holds no state. */
  private static final class Builder implements StoreBuilder<CommitHook> {
    private final String name;

    Builder(String name) {
      this.name = name;
    }

    @Override
    public StoreBuilder<CommitHook> withCachingEnabled() {
      throw new UnsupportedOperationException(name + " holds no state to cache");
    }

    @Override
    public StoreBuilder<CommitHook> withCachingDisabled() {
      return this;
    }

    @Override
    public StoreBuilder<CommitHook> withLoggingEnabled(Map<String, String> config) {
      throw new UnsupportedOperationException(name + " holds no state to log");
    }

    @Override
    public StoreBuilder<CommitHook> withLoggingDisabled() {
      return this;
    }

    @Override
    public CommitHook build() {
      return new CommitHook(name);
    }

    @Override
    public Map<String, String> logConfig() {
      return Map.of();
    }

    @Override
    public boolean loggingEnabled() {
      return false;
    }

    @Override
    public String name() {
      return name;
    }
  }
}
