package dev.tally.connect.influx;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The plugin's version, from {@code tally-influxdb-sink.properties} (filled in by the build). */
final class Version {

  private static final String VERSION = load();

  private Version() {
  }

  static String get() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = Version.class.getResourceAsStream("/tally-influxdb-sink.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties props = new Properties();
      props.load(in);
      return props.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
