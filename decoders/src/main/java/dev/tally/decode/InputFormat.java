package dev.tally.decode;

/** The wire formats accepted on the events topic; each record is recognised by its first bytes. */
public enum InputFormat {
  /** Avro single-object encoding of {@code dev.tally.schema.Event} (starts with 0xC3 0x01). */
  AVRO("avro"),
  /** One or more JSON objects (first non-blank byte is an opening brace). */
  JSON("json"),
  /** InfluxDB line protocol, one event per line (anything else). */
  LINE_PROTOCOL("line-protocol");

  private final String code;

  InputFormat(String code) {
    this.code = code;
  }

  /** The name used in metrics tags and logs. */
  public String code() {
    return code;
  }
}
