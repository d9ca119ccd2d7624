package dev.tally.topology.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StoreKeysTest {

  private static final long TS = 1_478_507_534_415_525_888L;

  @Test
  void theSeriesOfAnEventInPlaceIsTheSeriesOfItsStrings() {
    // Avro hands its fields over in place, line protocol through a scratch array
    check(EventDecoder.encodeAvro(new UserEvent("prodüct 日本", "c:d e|f", "naïve", TS)),
        "prodüct 日本", "c:d e|f");
    check(EventDecoder.encodeAvro(new UserEvent("live", "rails-5xx", "testusername1", TS)),
        "live", "rails-5xx");
    check(("event_type=rails-5xx,product=live value=testusername1 " + TS)
        .getBytes(StandardCharsets.UTF_8), "live", "rails-5xx");
  }

  private static void check(byte[] record, String product, String eventType) {
    List<byte[]> written = new ArrayList<>();
    new EventDecoder().decode(record, 0, event -> {
      byte[] target = new byte[3 + StoreKeys.seriesLength(event) + 2];
      StoreKeys.writeSeries(event, target, 3);
      written.add(Arrays.copyOfRange(target, 3, 3 + StoreKeys.seriesLength(event)));
    });
    assertArrayEquals(new Object[] {StoreKeys.series(product, eventType)}, written.toArray());
  }
}
