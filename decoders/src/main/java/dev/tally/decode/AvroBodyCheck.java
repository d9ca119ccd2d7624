package dev.tally.decode;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Walks one Avro binary datum without decoding it, checking every declared length against the bytes
 * that are really there. Avro's decoder allocates a string's declared length before reading it, so a
 * single corrupt length would otherwise ask the heap for up to 2 GiB; the walk also finds where the
 * datum ends (so trailing bytes, such as two events glued together, are caught) and checks that
 * strings are well-formed UTF-8 (which Avro would silently patch with U+FFFD).
 *
 * <p>For a record schema, the walk also keeps where each top-level string field lies and the value of
 * each top-level long field, so that a reader that wants bytes needs no second pass ({@link
 * #stringAt}, {@link #stringLength}, {@link #longValue}).
 *
 * <p>Arrays and maps are not supported: nothing Tally reads has one, and a block count over
 * zero-length items could make the walk spin. A schema with one fails at construction.
 */
final class AvroBodyCheck {

  private final Schema schema;

  // State of the walk in progress; instances are confined to one thread like their EventDecoder.
  private byte[] bytes;
  private int pos;
  private int end;
  private long number;
  private String problem;
  /** Per top-level field of a record schema: where it ended, and the last number read in it. */
  private final int[] fieldEnds;
  private final long[] fieldNumbers;

  AvroBodyCheck(Schema schema) {
    requireSupported(schema, new ArrayDeque<>());
    this.schema = schema;
    int fields = schema.getType() == Schema.Type.RECORD ? schema.getFields().size() : 0;
    this.fieldEnds = new int[fields];
    this.fieldNumbers = new long[fields];
  }

  /** Null when {@code bytes[from, to)} is exactly one well-formed datum of the schema; otherwise why not. */
  String check(byte[] bytes, int from, int to) {
    this.bytes = bytes;
    this.pos = from;
    this.end = to;
    this.problem = null;
    boolean ok = schema.getType() == Schema.Type.RECORD ? walkTopLevel() : walk(schema, schema.getName());
    this.bytes = null;
    if (ok && pos != to) {
      return (to - pos) + " unexpected bytes after the end of the event";
    }
    return ok ? null : problem;
  }

  /**
   * After a successful {@link #check} against a record schema: where the bytes of top-level field
   * {@code field} (by position), a plain string, start.
   */
  int stringAt(int field) {
    return fieldEnds[field] - (int) fieldNumbers[field];
  }

  /** After a successful {@link #check}: the length of top-level string field {@code field}. */
  int stringLength(int field) {
    return (int) fieldNumbers[field];
  }

  /** After a successful {@link #check}: the value of top-level long or int field {@code field}. */
  long longValue(int field) {
    return fieldNumbers[field];
  }

  private boolean walkTopLevel() {
    List<Schema.Field> fields = schema.getFields();
    for (int i = 0; i < fields.size(); i++) {
      Schema.Field f = fields.get(i);
      if (!walk(f.schema(), f.name())) {
        return false;
      }
      fieldEnds[i] = pos;
      fieldNumbers[i] = number;
    }
    return true;
  }

  private boolean walk(Schema s, String field) {
    switch (s.getType()) {
      case RECORD:
        for (Schema.Field f : s.getFields()) {
          if (!walk(f.schema(), f.name())) {
            return false;
          }
        }
        return true;
      case NULL:
        return true;
      case BOOLEAN:
        return skip(1, field);
      case INT:
      case LONG:
        return readNumber(field);
      case FLOAT:
        return skip(4, field);
      case DOUBLE:
        return skip(8, field);
      case FIXED:
        return skip(s.getFixedSize(), field);
      case ENUM:
        return readIndex(s.getEnumSymbols().size(), field);
      case UNION:
        return readIndex(s.getTypes().size(), field) && walk(s.getTypes().get((int) number), field);
      case STRING:
        if (!readLength(field)) {
          return false;
        }
        if (!Utf8Check.isValid(bytes, pos, pos + (int) number)) {
          return fail("field '" + field + "' is not valid UTF-8");
        }
        pos += (int) number;
        return true;
      case BYTES:
        return readLength(field) && skip((int) number, field);
      default:
        throw new IllegalStateException("unsupported Avro type " + s.getType()); // refused in the constructor
    }
  }

  private boolean readLength(String field) {
    if (!readNumber(field)) {
      return false;
    }
    if (number < 0 || number > end - pos) {
      return fail("field '" + field + "' declares " + number + " bytes but " + (end - pos) + " remain");
    }
    return true;
  }

  private boolean readIndex(int size, String field) {
    if (!readNumber(field)) {
      return false;
    }
    if (number < 0 || number >= size) {
      return fail("field '" + field + "' has index " + number + " of " + size + " choices");
    }
    return true;
  }

  /** Reads a zig-zag varint into {@link #number}. */
  private boolean readNumber(String field) {
    long raw = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end) {
        return fail("truncated in field '" + field + "'");
      }
      int b = bytes[pos++];
      raw |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        number = (raw >>> 1) ^ -(raw & 1);
        return true;
      }
    }
    return fail("malformed number in field '" + field + "'");
  }

  private boolean skip(int length, String field) {
    if (length > end - pos) {
      return fail("truncated in field '" + field + "'");
    }
    pos += length;
    return true;
  }

  private boolean fail(String message) {
    problem = message;
    return false;
  }

  private static void requireSupported(Schema s, Deque<Schema> enclosing) {
    switch (s.getType()) {
      case ARRAY:
      case MAP:
        throw new IllegalArgumentException("AvroBodyCheck does not handle " + s.getType() + " (in " + s + ")");
      case RECORD:
        if (enclosing.contains(s)) {
          throw new IllegalArgumentException("AvroBodyCheck does not handle recursive record " + s.getFullName());
        }
        enclosing.push(s);
        for (Schema.Field f : s.getFields()) {
          requireSupported(f.schema(), enclosing);
        }
        enclosing.pop();
        return;
      case UNION:
        for (Schema branch : s.getTypes()) {
          requireSupported(branch, enclosing);
        }
        return;
      default:
    }
  }
}
