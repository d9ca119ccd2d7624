package dev.tally.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tally.decode.Decoded;
import dev.tally.decode.EventDecoder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every poison record the harness sends is one bad record to Tally's decoder: no event, exactly one
 * rejection, with the reason the harness then expects in the dead-letter topic.
 */
class PoisonTest {

  @Test
  void eachKindIsOneRejectionWithItsReason() {
    EventDecoder decoder = new EventDecoder();
    Random random = new Random(7);
    long now = System.currentTimeMillis();
    for (int i = 0; i < 2_000; i++) {
      for (Poison kind : Poison.values()) {
        byte[] bytes = kind.bytes(random, now);
        Decoded decoded = decoder.decode(bytes, now);
        assertEquals(List.of(), decoded.events(), kind + " decoded to events");
        assertEquals(1, decoded.rejections().size(), kind + ": " + decoded.rejections());
        assertEquals(kind.reason(), decoded.rejections().get(0).reason().code(), kind.name());
      }
    }
  }
}
