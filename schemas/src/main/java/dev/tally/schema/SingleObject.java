package dev.tally.schema;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Avro's single-object encoding, as Tally writes every record of its output topics: a 10-byte header
 * (the marker {@code C3 01}, then the schema's CRC-64-AVRO fingerprint, little-endian) before the
 * binary record. The header tells which schema a value was written with, so one topic reader can
 * take records of several schemas.
 */
public final class SingleObject {

  private SingleObject() {
  }

  /** The header of values written with {@code schema}. */
  public static byte[] header(Schema schema) {
    return ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).put((byte) 0xC3).put((byte) 0x01)
        .putLong(SchemaNormalization.parsingFingerprint64(schema)).array();
  }

  /** Whether {@code value} begins with {@code header}: it was written with that header's schema. */
  public static boolean hasHeader(byte[] value, byte[] header) {
    return value.length >= header.length
        && Arrays.equals(value, 0, header.length, header, 0, header.length);
  }

  /** Whether the remaining bytes of {@code value} begin with {@code header}; its position stays. */
  public static boolean hasHeader(ByteBuffer value, byte[] header) {
    if (value.remaining() < header.length) {
      return false;
    }
    for (int i = 0; i < header.length; i++) {
      if (value.get(value.position() + i) != header[i]) {
        return false;
      }
    }
    return true;
  }
}
