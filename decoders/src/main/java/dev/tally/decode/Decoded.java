package dev.tally.decode;

import java.util.List;
import java.util.Objects;

/**
 * What one record value turned into: the events it held and the pieces that could not be read.
 * A record can yield both, because a multi-line (or multi-object) record is read piece by piece and
 * one bad line must not cost the good ones.
 *
 * <p>{@code format} is the format the record was recognised as. A null, empty or all-blank record
 * is reported as {@link InputFormat#LINE_PROTOCOL}, the format that accepts "anything else".
 *
 * @param format the wire format the record was recognised as
 * @param events the events, in the order they appear in the record
 * @param rejections the unreadable pieces, in the order they appear in the record
 */
public record Decoded(InputFormat format, List<UserEvent> events, List<Rejection> rejections) {

  public Decoded {
    Objects.requireNonNull(format, "format");
    // Free for the List.of(..) lists the decoders hand over; copies only a multi-event ArrayList.
    events = List.copyOf(events);
    rejections = List.copyOf(rejections);
  }
}
