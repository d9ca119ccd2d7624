/**
 * The one place where Tally uses Kafka Streams internals, because exactly-once needs what no public
 * API gives: work done inside a task's commit, before the transaction takes its input offsets.
 *
 * <p>Tally's stages buffer (the input stage's batches per by-user partition, the aggregating stage's
 * changelog batches) and must put what they buffered into the same transaction as the offsets of the
 * input it came from. Kafka Streams' public API offers no callback at that point:
 * {@code StateStore#commit} (KIP-1035) and {@code CommitCallback} run after the transaction, and
 * under exactly-once only when a checkpoint is due; punctuations and {@code ProcessingContext#commit}
 * do not say when the commit happens. {@link dev.tally.topology.compat.CommitHook} uses the hook
 * Kafka Streams' own caching stores use, {@code CachedStateStore#flushCache}, and forwards through
 * {@code InternalProcessorContext}.
 *
 * <p>What it relies on, pinned by {@code CommitHookContractTest} against a real broker: in every
 * commit of a task with something to commit, {@code flushCache} of its cached stores runs before the
 * records produced so far are flushed and before the task's offsets are sent to the transaction; a
 * record forwarded there goes out in that transaction. A Kafka upgrade that changes any of it fails
 * that test, not production. Nothing else in Tally's main code may import a Kafka Streams
 * {@code internals} package ({@code PublicApiTest} in the cli module checks every module).
 */
package dev.tally.topology.compat;
