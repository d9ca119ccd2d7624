package dev.tally.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.decode.EventDecoder;
import dev.tally.decode.UserEvent;
import dev.tally.localstack.KafkaBroker;
import dev.tally.topology.TallyApp;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The commands as a user runs them. */
class TallyCommandTest {

  /** {@code --help} on every command and subcommand, all the way down. */
  @Test
  void everyCommandHasHelp() {
    List<String> checked = new ArrayList<>();
    assertHelp(Tally.commandLine(), List.of(), checked);
    assertTrue(checked.containsAll(List.of("demo", "bench", "catchup", "query uniques",
        "generation plan")), checked.toString());
  }

  private static void assertHelp(CommandLine line, List<String> path, List<String> checked) {
    line.getSubcommands().forEach((name, sub) -> {
      if (name.equals("help")) {
        return;
      }
      List<String> args = new ArrayList<>(path);
      args.add(name);
      String command = String.join(" ", args);
      StringWriter out = new StringWriter();
      CommandLine fresh = Tally.commandLine();
      fresh.setOut(new PrintWriter(out));
      fresh.setErr(new PrintWriter(out));
      List<String> withHelp = new ArrayList<>(args);
      withHelp.add("--help");
      assertEquals(0, fresh.execute(withHelp.toArray(String[]::new)), command + ": " + out);
      assertTrue(out.toString().startsWith("Usage: tally " + command), out.toString());
      checked.add(command);
      assertHelp(sub, args, checked);
    });
  }

  /**
   * Every command through the launcher script, as the README prints it: each one the Java entry
   * point knows is dispatched and listed in the launcher's usage (on this build's classes, given in
   * TALLY_CLASSPATH, so that the launcher does not build).
   */
  @Test
  void everyCommandRunsThroughTheLauncher() throws Exception {
    Path launcher = Path.of("..", "tally").toAbsolutePath().normalize();
    String usage = launch(launcher, "--help");
    List<String> commands = new ArrayList<>(Tally.commandLine().getSubcommands().keySet());
    commands.remove("help");
    assertTrue(commands.contains("query"), commands.toString());
    for (String command : commands) {
      assertTrue(usage.contains("\n  " + command + " "), "not in the launcher's usage: " + command
          + "\n" + usage);
      String help = launch(launcher, command, "--help");
      assertTrue(help.startsWith("Usage: tally " + command), command + ": " + help);
    }
    assertTrue(launch(launcher, "test", "--help").startsWith("./tally test"));
  }

  /** Runs the launcher; its standard output, once it exited 0. */
  private static String launch(Path launcher, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", launcher.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("TALLY_CLASSPATH", System.getProperty("java.class.path"));
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), String.join(" ", args));
    assertEquals(0, process.exitValue(), String.join(" ", args) + ": " + out);
    return out;
  }

  @Test
  void configListsEveryKeyWithItsDefault() {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Tally.commandLine().execute("config"));
    } finally {
      System.setOut(original);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("tally.window.size.ms\n"), text);
    assertTrue(text.contains("default: 60000"), text);
    assertTrue(text.contains("bootstrap.servers\n"), text);
  }

  @Test
  void runRefusesAMissingBrokerSettingWithTheKeyName() {
    StringWriter err = new StringWriter();
    CommandLine line = Tally.commandLine();
    line.setErr(new PrintWriter(err));
    assertEquals(1, line.execute("run", "--set", "tally.window.size.ms=1000"));
    assertTrue(err.toString().contains("bootstrap.servers"), err.toString());
  }

  @Test
  void generationPlanPicksAWindowStartAndTheLaterStepsNeedIt() {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    long before = System.currentTimeMillis();
    try {
      assertEquals(0, Tally.commandLine().execute("generation", "plan", "-b", "x:1",
          "--lead-seconds", "120", "--new-application-id", "tally-2"));
    } finally {
      System.setOut(original);
    }
    String plan = out.toString(StandardCharsets.UTF_8);
    Matcher boundary = Pattern.compile("Boundary T = (\\d+)")
        .matcher(plan);
    assertTrue(boundary.find(), plan);
    long t = Long.parseLong(boundary.group(1));
    assertEquals(0, t % 60_000, plan);
    assertTrue(t >= before + 120_000 && t < System.currentTimeMillis() + 180_000, plan);
    assertTrue(plan.contains("tally.generation.until=" + t) && plan.contains("tally.generation.from=" + t)
        && plan.contains("application.id=tally-2"), plan);

    StringWriter err = new StringWriter();
    CommandLine line = Tally.commandLine();
    line.setErr(new PrintWriter(err));
    assertEquals(1, line.execute("generation", "offsets", "-b", "x:1", "--new-application-id", "t2"));
    assertTrue(err.toString().contains("tally.generation.until is not set"), err.toString());
  }

  @Test
  void produceWritesAvroKeyedByUserAndReportsBadLines(@TempDir Path dir) throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(null, 0)) {
      Path input = dir.resolve("events.txt");
      Files.writeString(input, String.join("\n",
          "event_type=rails-5xx,product=live value=testusername1 1478507534415525888",
          "# a comment",
          "{\"event_type\": \"browser_error\", \"product\": \"automate\", \"username\": \"u2\", "
              + "\"timestamp\": 1478507534415525888}",
          "event_type=rails-5xx,product=live value=u3 1478507534",
          "") + "\n");
      PrintStream originalErr = System.err;
      ByteArrayOutputStream stderr = new ByteArrayOutputStream();
      System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
      int exit;
      try {
        // the events topic must exist: the broker does not create topics by itself
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
          Topics.create(admin, new NewTopic("events", 1, (short) 1));
        }
        exit = Tally.commandLine().execute("produce", "-b", broker.bootstrapServers(), "--quiet",
            input.toString());
      } finally {
        System.setErr(originalErr);
      }
      String report = stderr.toString(StandardCharsets.UTF_8);
      assertEquals(1, exit, "a rejected line makes the exit code 1: " + report);
      assertTrue(report.contains(":4: timestamp-not-nanos"), report);
      assertTrue(report.contains("2 events written to events, 1 lines rejected"), report);

      List<UserEvent> events = new ArrayList<>();
      List<String> keys = new ArrayList<>();
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
          ConsumerConfig.GROUP_ID_CONFIG, "check",
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
          new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        consumer.subscribe(List.of("events"));
        EventDecoder decoder = new EventDecoder();
        long deadline = System.currentTimeMillis() + 20_000;
        while (events.size() < 2 && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
            assertEquals((byte) 0xC3, record.value()[0], "not single-object Avro");
            events.addAll(decoder.decode(record.value(), 0).events());
            keys.add(new String(record.key(), StandardCharsets.UTF_8));
          }
        }
      }
      assertEquals(List.of("testusername1", "u2"), keys);
      assertEquals(new UserEvent("live", "rails-5xx", "testusername1", 1478507534415525888L),
          events.get(0));
      assertEquals(new UserEvent("automate", "browser_error", "u2", 1478507534415525888L),
          events.get(1));
    }
  }

  @Test
  void demoPrintsTheWorkedExampleMinuteAndReadsItBackFromRedisAndInfluxDb() {
    PrintStream original = System.out;
    PrintStream originalErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit = Tally.commandLine().execute("demo", "--exit-when-done", "--minutes", "2");
    } finally {
      System.setOut(original);
      System.setErr(originalErr);
    }
    String info = err.toString(StandardCharsets.UTF_8);
    // sent at once to partitions that had no data: none of it late, every minute exact
    assertTrue(info.contains("counts exactly what was sent"), "the sample minutes: " + info);
    assertTrue(info.contains("2016-11-07T08:32:00Z  2016-11-07T08:33:00Z      2             1  true"),
        "the mirror's row of live/rails-5xx: " + info);
    assertTrue(info.contains("\"values\":[[1478507520000000000,2]]")
        && info.contains("\"values\":[[1478507520000000000,1]]"), "InfluxDB's points: " + info);
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(0, exit, String.join("\n", lines));
    List<String> workedExample = lines.stream()
        .filter(line -> line.endsWith(" 1478507520000000000")).sorted().toList();
    assertEquals(List.of(
        "cumulative_user_event,event_type=browser_error,product=automate value=2 1478507520000000000",
        "cumulative_user_event,event_type=rails-5xx,product=live value=2 1478507520000000000",
        "cumulative_user_event,event_type=stuck_in_queue,product=live value=1 1478507520000000000",
        "unique_user_event,event_type=browser_error,product=automate value=2 1478507520000000000",
        "unique_user_event,event_type=rails-5xx,product=live value=1 1478507520000000000",
        "unique_user_event,event_type=stuck_in_queue,product=live value=1 1478507520000000000"),
        workedExample);
    // the two synthetic minutes, each series once
    long distinct = lines.stream().distinct().count();
    assertEquals(lines.size(), distinct, "a line was printed twice");
    assertTrue(lines.size() > 6, "no synthetic minutes");
  }

  @Test
  void threadsAddsAndShowsStreamThreadsOfARunningInstance(@TempDir Path dir) throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(null, 0);
        TallyApp app = TallyApp.start(new TallyConfig(Map.of(
            "bootstrap.servers", broker.bootstrapServers(),
            "application.id", "threads-test",
            "state.dir", dir.toString(),
            TallyConfig.TOPIC_REPLICATION, "1",
            TallyConfig.ADMIN_HOST, "127.0.0.1",
            TallyConfig.ADMIN_PORT, "0")))) {
      app.awaitRunning(Duration.ofSeconds(60));
      String admin = "http://127.0.0.1:" + app.adminPort().orElseThrow();
      PrintStream original = System.out;
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      try {
        assertEquals(0, Tally.commandLine().execute("threads", "-a", admin, "add"));
        assertEquals(0, Tally.commandLine().execute("threads", "-a", admin));
      } finally {
        System.setOut(original);
      }
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("\"threads\" : 2"), out.toString());
      assertEquals(2, app.streams().metadataForLocalThreads().size());
      assertEquals(1, Tally.commandLine().execute("threads", "-a", admin, "twice"));
    }
  }
}
