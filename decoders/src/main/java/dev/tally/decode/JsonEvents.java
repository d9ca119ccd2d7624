package dev.tally.decode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * JSON events: one object, or several separated by whitespace (JSON lines), each with string fields
 * {@code event_type}, {@code product}, {@code username} and an optional integer {@code timestamp} in
 * nanoseconds (a number, or a string of digits). Other fields are ignored. Each object stands or
 * falls alone; a syntax error (or a root value that is not an object) rejects everything from
 * there to the end of the record, since nothing after it can be trusted to be framed right.
 */
final class JsonEvents {

  // Thread-safe and expensive to build; the parsers it makes recycle their buffers.
  private static final JsonFactory FACTORY = new JsonFactory();

  private static final String TIMESTAMP = "timestamp";

  void decode(byte[] value, RecordResult result) {
    if (!Utf8Check.isValid(value, 0, value.length)) {
      result.startPiece();
      result.reject(BadInputReason.UNPARSEABLE, "JSON record is not valid UTF-8", 0, value.length);
      return;
    }
    if (hasNulInFirstFourBytes(value)) {
      // Jackson would take NUL bytes up front as UTF-16/32 and decode something else entirely.
      result.startPiece();
      result.reject(BadInputReason.UNPARSEABLE, "JSON record is not UTF-8 text (NUL byte)", 0, value.length);
      return;
    }
    int pieceStart = 0;
    boolean inPiece = false;
    try (JsonParser parser = FACTORY.createParser(value)) {
      JsonToken token;
      while ((token = parser.nextToken()) != null) {
        pieceStart = (int) parser.currentTokenLocation().getByteOffset();
        inPiece = true;
        result.startPiece();
        if (token != JsonToken.START_OBJECT) {
          // As for a syntax error: the framing is off, so nothing after this can be trusted.
          result.reject(BadInputReason.UNPARSEABLE, "expected a JSON object, got " + describe(token),
              pieceStart, value.length);
          return;
        }
        decodeObject(parser, pieceStart, result);
        inPiece = false;
        pieceStart = (int) parser.currentLocation().getByteOffset();
      }
    } catch (IOException e) {
      // A JsonProcessingException for broken syntax: reading a byte array does no real I/O.
      if (!inPiece) {
        result.startPiece();
      }
      result.reject(BadInputReason.UNPARSEABLE, "invalid JSON: " + describe(e), skipWhitespace(value, pieceStart),
          value.length);
    }
  }

  /** Reads the fields of the object whose START_OBJECT was just read, through its END_OBJECT. */
  private static void decodeObject(JsonParser parser, int start, RecordResult result) throws IOException {
    String eventType = null;
    String product = null;
    String username = null;
    boolean hasTimestamp = false;
    long timestamp = 0;
    // The first problem wins, but the object is still read to its end so the next one can be.
    BadInputReason problemReason = null;
    String problem = null;

    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      JsonToken token = parser.nextToken();
      switch (name) {
        case RecordResult.EVENT_TYPE, RecordResult.PRODUCT, RecordResult.USERNAME -> {
          String text = null;
          if (token == JsonToken.VALUE_STRING) {
            text = parser.getText();
          } else if (token != JsonToken.VALUE_NULL && problem == null) {
            problemReason = BadInputReason.MISSING_FIELD;
            problem = "field '" + name + "' must be a non-empty string, got " + describe(token);
          }
          switch (name) {
            case RecordResult.EVENT_TYPE -> eventType = text;
            case RecordResult.PRODUCT -> product = text;
            default -> username = text;
          }
        }
        case TIMESTAMP -> {
          hasTimestamp = false;
          String bad = null;
          if (token == JsonToken.VALUE_NUMBER_INT) {
            if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
              bad = "timestamp " + parser.getText() + " does not fit in 64 bits";
            } else {
              timestamp = parser.getLongValue();
              hasTimestamp = true;
            }
          } else if (token == JsonToken.VALUE_STRING) {
            byte[] digits = parser.getText().getBytes(StandardCharsets.UTF_8);
            try {
              timestamp = TimestampRule.parseDecimal(digits, 0, digits.length);
              hasTimestamp = true;
            } catch (NumberFormatException e) {
              bad = e.getMessage();
            }
          } else if (token != JsonToken.VALUE_NULL) {
            bad = "timestamp must be an integer of nanoseconds, got " + describe(token);
          }
          if (bad != null && problem == null) {
            problemReason = BadInputReason.UNPARSEABLE;
            problem = bad;
          }
        }
        default -> { }
      }
      parser.skipChildren();
    }
    int end = (int) parser.currentTokenLocation().getByteOffset() + 1; // just past the '}'
    if (problem != null) {
      result.reject(problemReason, problem, start, end);
    } else {
      result.add(eventType, product, username, hasTimestamp, timestamp, start, end);
    }
  }

  private static String describe(JsonToken token) {
    return switch (token) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> token.toString();
    };
  }

  private static String describe(IOException e) {
    if (e instanceof JsonProcessingException j && j.getLocation() != null) {
      return j.getOriginalMessage() + " (at byte " + j.getLocation().getByteOffset() + ")";
    }
    return String.valueOf(e.getMessage());
  }

  private static boolean hasNulInFirstFourBytes(byte[] value) {
    for (int i = 0; i < Math.min(4, value.length); i++) {
      if (value[i] == 0) {
        return true;
      }
    }
    return false;
  }

  private static int skipWhitespace(byte[] value, int from) {
    int start = from;
    while (start < value.length && EventDecoder.isJsonWhitespace(value[start])) {
      start++;
    }
    return start;
  }
}
