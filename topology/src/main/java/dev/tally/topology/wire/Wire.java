package dev.tally.topology.wire;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Length-prefixed UTF-8 strings in byte buffers: the one string encoding of Tally's internal records. */
final class Wire {

  private Wire() {
  }

  static int size(byte[] utf8) {
    return Integer.BYTES + utf8.length;
  }

  static void put(ByteBuffer buffer, byte[] utf8) {
    buffer.putInt(utf8.length);
    buffer.put(utf8);
  }

  static String getString(ByteBuffer buffer) {
    int length = buffer.getInt();
    if (length < 0 || length > buffer.remaining()) {
      throw new IllegalArgumentException("corrupt internal record: string of " + length + " bytes");
    }
    String value = new String(buffer.array(), buffer.arrayOffset() + buffer.position(), length,
        StandardCharsets.UTF_8);
    buffer.position(buffer.position() + length);
    return value;
  }

  static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }
}
