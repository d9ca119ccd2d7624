package dev.tally.app;

import dev.tally.topology.Handover;
import dev.tally.topology.TallyConfig;
import dev.tally.topology.time.Generation;
import dev.tally.topology.time.Windows;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Hands the results over from one application generation to a new one, to change
 * {@code tally.aggregation.partitions} (which needs a new {@code application.id}) without a gap or a
 * duplicate: the old generation keeps the windows before a boundary T, the new one takes those from T
 * on. {@code plan} picks T and prints the steps, {@code offsets} sets the new consumer group's start
 * on the events topic, {@code wait} says when the old generation may be stopped. README: "Raising the
 * aggregation parallelism".
 */
@Command(name = "generation", mixinStandardHelpOptions = true,
    description = {"Hands the results over to a new application generation (a new application.id, "
        + "e.g. to change tally.aggregation.partitions) at a window boundary T, without gaps or "
        + "duplicates: the old generation counts the windows before T, the new one those from T on.",
        "Steps: plan, then restart the old generation with tally.generation.until=T, then offsets, "
        + "then start the new generation with tally.generation.from=T, then wait, then stop the old "
        + "one. Each subcommand takes the OLD generation's configuration."},
    subcommands = {GenerationCommand.Plan.class, GenerationCommand.Offsets.class,
        GenerationCommand.Wait.class})
public final class GenerationCommand {


  /** The old generation's configuration, shared by the subcommands. */
  static final class OldGeneration {
    @Mixin
    ClusterOptions cluster;

    TallyConfig load() {
      return cluster.load();
    }

    /** The boundary the old generation was restarted with, which the later steps work from. */
    static long boundary(TallyConfig old) {
      Generation generation = old.generation();
      if (generation.untilMs() == Long.MAX_VALUE) {
        throw new IllegalArgumentException(TallyConfig.GENERATION_UNTIL + " is not set in the old "
            + "generation's configuration: run 'tally generation plan', restart the old generation "
            + "with the boundary it prints, and pass the same configuration here");
      }
      return generation.untilMs();
    }
  }

  /** Picks the boundary and prints the procedure. */
  @Command(name = "plan", mixinStandardHelpOptions = true,
      description = "Picks the boundary T (the first window start at least --lead-seconds from now) "
          + "and prints the settings and steps of the hand-over.")
  static final class Plan implements Callable<Integer> {
    @Mixin
    OldGeneration old;

    @Option(names = "--lead-seconds", paramLabel = "SECONDS", defaultValue = "300",
        description = "How far ahead T must be: time for the old generation's rolling restart and "
            + "the offsets step (default: ${DEFAULT-VALUE}).")
    long leadSeconds;

    @Option(names = "--new-application-id", paramLabel = "ID", defaultValue = "NEW_ID",
        description = "The new generation's application.id, to fill in the printed steps.")
    String newApplicationId;

    @Option(names = "--new-aggregation-partitions", paramLabel = "N", defaultValue = "N",
        description = "The new generation's tally.aggregation.partitions, to fill in the printed steps.")
    String newPartitions;

    @Override
    public Integer call() {
      TallyConfig config = old.load();
      Windows windows = config.windows();
      long now = System.currentTimeMillis();
      long boundary = Handover.boundaryAfter(now, leadSeconds * 1_000, windows);
      String oldId = config.getString("application.id");
      if (oldId.equals(newApplicationId)) {
        throw new IllegalArgumentException("the new generation needs another application.id than "
            + oldId);
      }
      System.out.println("Boundary T = " + boundary + " (" + Instant.ofEpochMilli(boundary) + "), "
          + (boundary - now) / 1_000 + " s from now. " + oldId + " keeps the windows before T, "
          + newApplicationId + " takes those from T on.");
      System.out.println();
      System.out.println("1. Before T, restart the old generation's instances one at a time with");
      System.out.println("     " + TallyConfig.GENERATION_UNTIL + "=" + boundary);
      System.out.println("   in their configuration (exactly_once_v2 makes each restart safe).");
      System.out.println("2. After step 1, and at least the margin (default 30 s) before T:");
      System.out.println("     tally generation offsets -c OLD_CONFIG --new-application-id "
          + newApplicationId);
      System.out.println("   (OLD_CONFIG: the old generation's configuration, with the setting of step 1)");
      System.out.println("3. Start the new generation (best before T) with the same topics, windows and "
          + "grace, and");
      System.out.println("     application.id=" + newApplicationId);
      System.out.println("     " + TallyConfig.AGGREGATION_PARTITIONS + "=" + newPartitions);
      System.out.println("     " + TallyConfig.GENERATION_FROM + "=" + boundary);
      System.out.println("4. After T, wait until every window before T is final from " + oldId + ":");
      System.out.println("     tally generation wait -c OLD_CONFIG");
      System.out.println("5. Stop the old generation's instances. " + newApplicationId
          + " owns the results from then on.");
      return 0;
    }
  }

  /** Sets the new generation's offsets on the events topic. */
  @Command(name = "offsets", mixinStandardHelpOptions = true,
      description = "Sets the new generation's consumer group offsets on the events topic to the old "
          + "generation's committed ones, before the new generation's first start. Refuses when T "
          + "is less than the margin away, when the old generation has seen an event dated at or "
          + "after T (producers ahead of the clock: those events would be lost), or when the new "
          + "group has offsets or members already.")
  static final class Offsets implements Callable<Integer> {
    @Mixin
    OldGeneration old;

    @Option(names = "--new-application-id", paramLabel = "ID", required = true,
        description = "The new generation's application.id (its consumer group).")
    String newApplicationId;

    @Option(names = "--margin-seconds", paramLabel = "SECONDS", defaultValue = "30",
        description = "How long before T this step must run at the latest, for producers whose "
            + "clocks run ahead (default: ${DEFAULT-VALUE}).")
    long marginSeconds;

    @Override
    public Integer call() {
      TallyConfig config = old.load();
      long boundary = OldGeneration.boundary(config);
      try (Handover handover = Handover.connect(config)) {
        if (handover.oldApplicationId().equals(newApplicationId)) {
          throw new IllegalArgumentException("the new generation needs another application.id than "
              + newApplicationId);
        }
        long now = System.currentTimeMillis();
        if (now > boundary - marginSeconds * 1_000) {
          throw new IllegalStateException("too late: T (" + Instant.ofEpochMilli(boundary) + ") is "
              + (boundary - now) / 1_000 + " s away, less than the margin of " + marginSeconds
              + " s. Plan a later boundary and restart the old generation with it.");
        }
        Map<TopicPartition, Long> offsets = handover.startOffsets();
        for (Map.Entry<Integer, Long> seen : handover.lastEventTimes().entrySet()) {
          if (seen.getValue() >= boundary) {
            throw new IllegalStateException("the old generation has already seen an event at "
                + Instant.ofEpochMilli(seen.getValue()) + " on input partition " + seen.getKey()
                + ", at or after T (" + Instant.ofEpochMilli(boundary) + "): producers run ahead "
                + "of the clock, and such events before the new generation's start would be "
                + "lost. Plan a later boundary.");
          }
        }
        handover.seed(newApplicationId, offsets);
        System.out.println("Offsets of " + newApplicationId + " set from " + handover.oldApplicationId()
            + "'s committed ones:");
        offsets.forEach((partition, offset) -> System.out.println("  " + partition + " " + offset));
        System.out.println("Now start the new generation with application.id=" + newApplicationId + ", "
            + TallyConfig.GENERATION_FROM + "=" + boundary + " and its "
            + TallyConfig.AGGREGATION_PARTITIONS + "; then, after T, 'tally generation wait'.");
      }
      return 0;
    }
  }

  /** Waits until the old generation has emitted every final before T. */
  @Command(name = "wait", mixinStandardHelpOptions = true,
      description = "Waits until the old generation has emitted the final results of every window "
          + "before T (its merging stage's watermark past T + grace, read from its changelog), "
          + "printing progress, then says that it may be stopped. Exit code 1 on timeout.")
  static final class Wait implements Callable<Integer> {
    @Mixin
    OldGeneration old;

    @Option(names = "--timeout-seconds", paramLabel = "SECONDS", defaultValue = "0",
        description = "Give up after this long; 0 waits for ever (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Option(names = "--interval-seconds", paramLabel = "SECONDS", defaultValue = "5",
        description = "How often to check (default: ${DEFAULT-VALUE}).")
    long intervalSeconds;

    @Override
    public Integer call() throws InterruptedException {
      TallyConfig config = old.load();
      long boundary = OldGeneration.boundary(config);
      long needed = boundary + config.windows().graceMs();
      long deadline = timeoutSeconds == 0 ? Long.MAX_VALUE
          : System.currentTimeMillis() + timeoutSeconds * 1_000;
      try (Handover handover = Handover.connect(config)) {
        String oldId = handover.oldApplicationId();
        System.out.println("Waiting until every merging partition of " + oldId + " is past T + grace = "
            + Instant.ofEpochMilli(needed) + " (then the last window before T, "
            + Instant.ofEpochMilli(boundary - config.windows().sizeMs()) + ", is final).");
        long now = System.currentTimeMillis();
        if (now < needed) {
          System.out.println("T + grace is " + (needed - now + 999) / 1_000 + " s away: the old "
              + "generation cannot be done before then.");
        }
        while (true) {
          Map<Integer, Long> low = handover.mergeLowWatermarks();
          long behind = low.values().stream().filter(value -> value < needed).count();
          if (behind == 0) {
            System.out.println("Hand-over complete: every window before " + Instant.ofEpochMilli(boundary)
                + " is final from " + oldId + ". Stop its instances now; the new generation owns "
                + "the results.");
            return 0;
          }
          System.out.println(behind + " of " + low.size() + " merging partitions not there yet: "
              + describe(low));
          if (System.currentTimeMillis() > deadline) {
            System.out.println("Timed out; the old generation must keep running.");
            return 1;
          }
          Thread.sleep(intervalSeconds * 1_000);
        }
      }
    }

    private static String describe(Map<Integer, Long> low) {
      StringBuilder text = new StringBuilder();
      low.forEach((partition, value) -> text.append(text.length() == 0 ? "" : ", ").append(partition)
          .append(": ").append(value == Long.MIN_VALUE ? "none yet" : Instant.ofEpochMilli(value)));
      return text.toString();
    }
  }
}
