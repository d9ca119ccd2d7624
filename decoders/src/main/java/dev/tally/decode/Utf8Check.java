package dev.tally.decode;

/**
 * Strict UTF-8 validation. {@code new String(bytes, UTF_8)} quietly turns malformed bytes into
 * U+FFFD, which would merge distinct broken usernames into one and count them as one user; names
 * are only decoded once this says the bytes are well formed.
 */
final class Utf8Check {

  private Utf8Check() {}

  /** Whether {@code bytes[from, to)} is well-formed UTF-8: no overlongs, surrogates or stray continuation bytes. */
  static boolean isValid(byte[] bytes, int from, int to) {
    int i = from;
    while (i < to) {
      int lead = bytes[i];
      if (lead >= 0) {
        i++;
        continue;
      }
      lead &= 0xFF;
      if (lead < 0xC2) {
        return false; // a continuation byte, or the lead of an overlong two-byte form
      }
      if (lead < 0xE0) {
        if (i + 1 >= to || !isContinuation(bytes[i + 1])) {
          return false;
        }
        i += 2;
      } else if (lead < 0xF0) {
        if (i + 2 >= to || !isContinuation(bytes[i + 1]) || !isContinuation(bytes[i + 2])) {
          return false;
        }
        int second = bytes[i + 1] & 0xFF;
        if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second >= 0xA0)) {
          return false; // overlong, or a UTF-16 surrogate
        }
        i += 3;
      } else if (lead < 0xF5) {
        if (i + 3 >= to || !isContinuation(bytes[i + 1]) || !isContinuation(bytes[i + 2])
            || !isContinuation(bytes[i + 3])) {
          return false;
        }
        int second = bytes[i + 1] & 0xFF;
        if ((lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second >= 0x90)) {
          return false; // overlong, or beyond U+10FFFF
        }
        i += 4;
      } else {
        return false;
      }
    }
    return true;
  }

  private static boolean isContinuation(byte b) {
    return (b & 0xC0) == 0x80;
  }
}
