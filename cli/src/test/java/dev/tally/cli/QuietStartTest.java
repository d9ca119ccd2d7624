package dev.tally.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.tally.app.Tally;
import dev.tally.localstack.KafkaBroker;
import dev.tally.topology.TallyApp;
import dev.tally.topology.TallyConfig;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single instance, started on a fresh broker with the logging configuration the image runs with
 * (the production command's {@code log4j2.xml}), logs no WARN or ERROR line of its own: operators
 * read every one as something to act on.
 */
class QuietStartTest {

  @Test
  void aSingleInstanceStartsWithoutAWarning(@TempDir Path dir) throws Exception {
    URL production = Tally.class.getResource("/log4j2.xml");
    assertNotNull(production, "no log4j2.xml beside the production command");
    LoggerContext logging = (LoggerContext) LogManager.getContext(false);
    URI testing = logging.getConfigLocation();
    String test = Thread.currentThread().getName();
    String id = "quiet-start";
    List<String> warnings = Collections.synchronizedList(new ArrayList<>());
    AbstractAppender recorder = new AbstractAppender("start-up-warnings", null, null, true,
        Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        String thread = event.getThreadName();
        // the application's threads, not the in-process broker's
        if (thread.equals(test) || thread.startsWith(id)) {
          warnings.add(event.getLevel() + " [" + thread + "] " + event.getLoggerName() + ": "
              + event.getMessage().getFormattedMessage());
        }
      }
    };
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0)) {
      logging.setConfigLocation(production.toURI());
      recorder.start();
      logging.getConfiguration().getRootLogger().addAppender(recorder, Level.WARN, null);
      logging.updateLoggers();
      // a lone instance with a standby replica configured warns, rightly, that none is placed
      try (TallyApp app = TallyApp.start(new TallyConfig(Map.of(
          StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
          StreamsConfig.APPLICATION_ID_CONFIG, id,
          StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString(),
          StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, "0",
          TallyConfig.TOPIC_REPLICATION, "1")))) {
        app.awaitRunning(Duration.ofSeconds(60));
        Thread.sleep(2_000); // the first punctuations and commits
      }
    } finally {
      logging.getConfiguration().getRootLogger().removeAppender(recorder.getName());
      recorder.stop();
      logging.setConfigLocation(testing);
    }
    assertEquals(List.of(), warnings);
  }
}
