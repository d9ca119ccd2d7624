package dev.tally.decode;

import java.nio.charset.StandardCharsets;

/**
 * One decoded event as UTF-8 byte ranges, for a reader that wants bytes rather than Strings (Tally's
 * routing stage keys and batches events by their bytes). An Avro event's ranges lie in the record
 * itself, so no String is built for it at all; an event of another format is first decoded as a
 * {@link UserEvent}, then its fields are encoded into a scratch array.
 *
 * <p>An instance is reused from event to event: it and its {@link #array()} are only valid during
 * the {@link Sink#accept} call that received it.
 */
public final class EventBytes {

  /** Receives each event of a record, in order; see {@link EventDecoder#decode(byte[], long, Sink)}. */
  @FunctionalInterface
  public interface Sink {
    void accept(EventBytes event);
  }

  private byte[] array;
  private int productAt;
  private int productLength;
  private int eventTypeAt;
  private int eventTypeLength;
  private int usernameAt;
  private int usernameLength;
  private long timestampNs;
  private byte[] scratch = new byte[256];

  EventBytes() {}

  /** Points at fields that lie in {@code array}. */
  void set(byte[] array, int productAt, int productLength, int eventTypeAt, int eventTypeLength,
      int usernameAt, int usernameLength, long timestampNs) {
    this.array = array;
    this.productAt = productAt;
    this.productLength = productLength;
    this.eventTypeAt = eventTypeAt;
    this.eventTypeLength = eventTypeLength;
    this.usernameAt = usernameAt;
    this.usernameLength = usernameLength;
    this.timestampNs = timestampNs;
  }

  /** Encodes the fields of {@code event} into the scratch array and points at them. */
  void set(UserEvent event) {
    byte[] product = event.product().getBytes(StandardCharsets.UTF_8);
    byte[] eventType = event.eventType().getBytes(StandardCharsets.UTF_8);
    byte[] username = event.username().getBytes(StandardCharsets.UTF_8);
    int length = product.length + eventType.length + username.length;
    if (scratch.length < length) {
      scratch = new byte[Math.max(length, scratch.length * 2)];
    }
    System.arraycopy(product, 0, scratch, 0, product.length);
    System.arraycopy(eventType, 0, scratch, product.length, eventType.length);
    System.arraycopy(username, 0, scratch, product.length + eventType.length, username.length);
    set(scratch, 0, product.length, product.length, eventType.length,
        product.length + eventType.length, username.length, event.timestampNs());
  }

  /** The array holding the three fields' UTF-8 bytes. */
  public byte[] array() {
    return array;
  }

  public int productAt() {
    return productAt;
  }

  public int productLength() {
    return productLength;
  }

  public int eventTypeAt() {
    return eventTypeAt;
  }

  public int eventTypeLength() {
    return eventTypeLength;
  }

  public int usernameAt() {
    return usernameAt;
  }

  public int usernameLength() {
    return usernameLength;
  }

  /** When it happened, nanoseconds since the epoch. */
  public long timestampNs() {
    return timestampNs;
  }

  /** Event time in milliseconds, the resolution windows are cut at. */
  public long timestampMs() {
    return Math.floorDiv(timestampNs, 1_000_000L);
  }

  /** The event as Strings (for tests and rare paths: it allocates). */
  public UserEvent toUserEvent() {
    return new UserEvent(string(productAt, productLength), string(eventTypeAt, eventTypeLength),
        string(usernameAt, usernameLength), timestampNs);
  }

  private String string(int at, int length) {
    return new String(array, at, length, StandardCharsets.UTF_8);
  }
}
