package dev.tally.topology;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A real {@link KafkaProducer} that tells a listener of every call, its method's name and arguments,
 * before making it: for contract tests that check what Kafka Streams sends, and in which order.
 */
public final class RecordingProducer {

  private RecordingProducer() {
  }

  /** A producer made from {@code config}, whose calls {@code listener} sees first. */
  public static Producer<byte[], byte[]> create(Map<String, Object> config,
      BiConsumer<String, Object[]> listener) {
    KafkaProducer<byte[], byte[]> real = new KafkaProducer<>(config, new ByteArraySerializer(),
        new ByteArraySerializer());
    @SuppressWarnings("unchecked")
    Producer<byte[], byte[]> recording = (Producer<byte[], byte[]>) Proxy.newProxyInstance(
        RecordingProducer.class.getClassLoader(), new Class<?>[] {Producer.class},
        (proxy, method, args) -> {
          listener.accept(method.getName(), args);
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    return recording;
  }
}
