package dev.tally.topology.window;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorNode;
import org.apache.kafka.streams.processor.internals.ProcessorRecordContext;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * A store without state that lets a stateless processor forward what it has buffered inside the
 * commit's transaction, before the input offsets are committed: Kafka Streams calls
 * {@link #flushCache()} of every {@link CachedStateStore} in {@code StreamTask#prepareCommit}, then
 * flushes the record collector, then commits (the same hook {@link AggregateStore} and Kafka Streams'
 * own caching stores use). Records forwarded later would miss the transaction that commits the offsets
 * of their input: a crash would lose them.
 *
 * <p>Not logged, so the processor's task stays stateless as far as changelogs, standbys and a growing
 * input topic go.
 */
public final class CommitHook extends OwnStore<Object, Object> {

  private InternalProcessorContext<?, ?> context;
  private ProcessorNode<?, ?, ?, ?> node;
  private Runnable action;
  private String topic;
  private int partition = -1;
  private long offset = -1;
  private long timestamp;

  private CommitHook(String name) {
    super(name);
  }

  /** A builder for the topology. */
  public static StoreBuilder<CommitHook> builder(String name) {
    return new OwnStoreBuilder<>(name, false, CommitHook::new);
  }

  /**
   * Runs {@code action} before every commit, as if it were the processor whose {@code init} calls
   * this (so that it may forward): with that processor as the current node, and a record context of
   * {@code topic} (its offset and timestamp those of {@link #lastRecord}).
   */
  public void beforeCommit(Runnable action) {
    this.node = context.currentNode();
    this.action = action;
  }

  /** Where the record context of forwards during a commit points: the last record processed. */
  public void lastRecord(String topic, int partition, long offset, long timestamp) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
  }

  @Override
  public void flushCache() {
    CommitPacer.current().flushing();
    if (action == null) {
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
    this.context = opened(context);
    context.register(root, (key, value) -> {
    });
  }

  @Override
  public void close() {
    action = null;
    closed();
  }
}
