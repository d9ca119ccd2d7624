package dev.tally.reliability;

/** The failures the harness injects, each at points in the run chosen by the seed. */
public enum Fault {
  /** {@code kill -9} of one Tally instance (mid-window, wherever its commit is), restarted after a pause. */
  INSTANCE_KILL("instance kill -9"),
  /** {@code kill -9} of one Kafka node, restarted after a pause. */
  BROKER_KILL("broker kill -9"),
  /** {@code redis-server} stopped for the outage time, then started again on its data. */
  REDIS_OUTAGE("redis-server stopped"),
  /** {@code redis-server} restarted empty, then the mirror rebuilt through Connect's REST API. */
  REDIS_WIPE("redis-server restarted empty + rebuild"),
  /** {@code influxd} stopped for the outage time, then started again on its data. */
  INFLUX_OUTAGE("influxd stopped");

  private final String label;

  Fault(String label) {
    this.label = label;
  }

  /** How the report names it. */
  public String label() {
    return label;
  }
}
