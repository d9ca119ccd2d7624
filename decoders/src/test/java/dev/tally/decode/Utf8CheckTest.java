package dev.tally.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Utf8CheckTest {

  @ParameterizedTest
  @ValueSource(strings = {"", "ascii", "prodüct 日本", "emoji 😀", "\u0000\u007f\u0080\u07ff\u0800\uffff", "\udbff\udfff"})
  void wellFormedTextIsValid(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    assertTrue(Utf8Check.isValid(bytes, 0, bytes.length));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "80",          // continuation byte alone
      "C328",        // lead without continuation
      "C3",          // truncated
      "E282",        // truncated three-byte
      "F09F98",      // truncated four-byte
      "C080",        // overlong NUL
      "E08080",      // overlong three-byte
      "F0808080",    // overlong four-byte
      "EDA080",      // UTF-16 surrogate
      "F4908080",    // beyond U+10FFFF
      "F5808080",    // invalid lead
      "FF"})
  void malformedBytesAreInvalid(String hex) {
    byte[] bytes = java.util.HexFormat.of().parseHex(hex);
    assertFalse(Utf8Check.isValid(bytes, 0, bytes.length));
  }

  @Test
  void onlyTheGivenRangeIsChecked() {
    byte[] bytes = {(byte) 0xFF, 'o', 'k', (byte) 0xE2, (byte) 0x82, (byte) 0xAC, (byte) 0xFF};
    assertTrue(Utf8Check.isValid(bytes, 1, 6));
    assertFalse(Utf8Check.isValid(bytes, 1, 5)); // cuts the euro sign
  }

  @Test
  void agreesWithTheJdkDecoderOnRandomBytes() {
    Random random = new Random(7L);
    for (int i = 0; i < 200_000; i++) {
      byte[] bytes = new byte[random.nextInt(8)];
      for (int j = 0; j < bytes.length; j++) {
        // bias toward the interesting range so multi-byte sequences actually occur
        bytes[j] = (byte) (random.nextBoolean() ? 0x80 + random.nextInt(0x80) : random.nextInt(0x100));
      }
      assertEquals(jdkAccepts(bytes), Utf8Check.isValid(bytes, 0, bytes.length), () -> Arrays.toString(bytes));
    }
  }

  private static boolean jdkAccepts(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
