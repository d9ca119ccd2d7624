package dev.tally.connect.redis;

import dev.tally.connect.redis.KeyLayout.Ranking;
import dev.tally.connect.redis.Scripts.Script;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * Writes a batch of minutes to Redis in two pipelines, and says for each minute whether it was
 * written.
 *
 * <p>First pipeline: the conditional write of every minute ({@link Scripts#WRITE_MINUTE}), which
 * answers with the value Redis holds afterwards. Second pipeline: the minute's two rankings set to
 * that value (so a live update that lost to a final never reaches the rankings either) and the
 * catalog. Each reply is checked on its own: a failed command fails its own minute only. A
 * pipeline that cannot be sent at all (connection refused, timeout) throws, and the caller retries
 * the batch: every command here is idempotent.
 *
 * <p>Scripts go by EVALSHA; a server that does not know a script yet (first use, after a restart
 * or a failover) answers NOSCRIPT, and those commands are sent again with EVAL, which loads it.
 */
final class MirrorWriter {

  /** What became of one minute. */
  sealed interface Outcome permits Written, Failed {
  }

  /**
   * Written, or already there with a value that wins over this one.
   *
   * @param applied false when Redis kept a newer or final value
   */
  record Written(boolean applied) implements Outcome {
  }

  /**
   * A command for this minute failed.
   *
   * @param key the key of the failed command
   * @param cause the failure, as Jedis reported it
   */
  record Failed(String key, Throwable cause) implements Outcome {
  }

  /** Fewer replicas than required acknowledged a batch within the wait timeout. */
  static final class NotReplicatedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotReplicatedException(String message) {
      super(message);
    }
  }

  private final UnifiedJedis redis;
  private final int waitReplicas;
  private final int waitTimeoutMs;

  MirrorWriter(UnifiedJedis redis, int waitReplicas, int waitTimeoutMs) {
    this.redis = redis;
    this.waitReplicas = waitReplicas;
    this.waitTimeoutMs = waitTimeoutMs;
  }

  /**
   * Writes {@code writes}; returns one outcome per write, in order.
   *
   * @throws redis.clients.jedis.exceptions.JedisException when a pipeline cannot be sent
   * @throws NotReplicatedException when replicas did not acknowledge in time
   */
  List<Outcome> write(List<MinuteWrite> writes) {
    List<Call> minuteCalls = new ArrayList<>(writes.size());
    for (MinuteWrite write : writes) {
      minuteCalls.add(Call.script(write.minuteKey(), Scripts.WRITE_MINUTE, write.minuteKeys(),
          write.minuteArgs()));
    }
    List<Object> minuteReplies = run(minuteCalls);

    Outcome[] outcomes = new Outcome[writes.size()];
    boolean[] applied = new boolean[writes.size()];
    List<Call> followUps = new ArrayList<>();
    List<Integer> owners = new ArrayList<>();
    for (int i = 0; i < writes.size(); i++) {
      MinuteWrite write = writes.get(i);
      Object reply = minuteReplies.get(i);
      if (reply instanceof Throwable failure) {
        outcomes[i] = new Failed(write.minuteKey(), failure);
        continue;
      }
      List<?> held = (List<?>) reply;
      applied[i] = "1".equals(text(held.get(0)));
      long count = Long.parseLong(text(held.get(1)));
      long users = Long.parseLong(text(held.get(2)));
      String member = write.series().encoded();
      String byCount = write.rankingKey(Ranking.COUNT);
      String byUsers = write.rankingKey(Ranking.USERS);
      String catalog = write.layout().catalogKey();
      followUps.add(new Call(byCount, p -> p.zadd(byCount, count, member), null));
      followUps.add(new Call(byCount, p -> p.pexpireAt(byCount, write.expireAtMs()), null));
      followUps.add(new Call(byUsers, p -> p.zadd(byUsers, users, member), null));
      followUps.add(new Call(byUsers, p -> p.pexpireAt(byUsers, write.expireAtMs()), null));
      followUps.add(Call.script(catalog, Scripts.CATALOG, List.of(catalog), write.catalogArgs()));
      for (int k = 0; k < 5; k++) {
        owners.add(i);
      }
    }
    List<Object> followUpReplies = run(followUps);
    for (int k = 0; k < followUps.size(); k++) {
      int owner = owners.get(k);
      if (followUpReplies.get(k) instanceof Throwable failure && outcomes[owner] == null) {
        outcomes[owner] = new Failed(followUps.get(k).key(), failure);
      }
    }
    List<Outcome> result = new ArrayList<>(writes.size());
    for (int i = 0; i < writes.size(); i++) {
      result.add(outcomes[i] != null ? outcomes[i] : new Written(applied[i]));
    }
    return result;
  }

  /**
   * Adds users to their HyperLogLogs ({@link UsersWrite}) in one pipeline; returns one outcome per
   * write, in order ({@link Written} with applied true: PFADD and SADD have no older value to lose to).
   *
   * @throws redis.clients.jedis.exceptions.JedisException when the pipeline cannot be sent
   * @throws NotReplicatedException when replicas did not acknowledge in time
   */
  List<Outcome> writeUsers(List<UsersWrite> writes) {
    List<Call> calls = new ArrayList<>();
    List<Integer> owners = new ArrayList<>();
    for (int i = 0; i < writes.size(); i++) {
      UsersWrite write = writes.get(i);
      String member = write.series().encoded();
      for (UsersWrite.SpanWrite span : write.spans()) {
        byte[] key = span.key().getBytes(StandardCharsets.UTF_8);
        if (write.elements().length > 0) {
          calls.add(new Call(span.key(), p -> p.pfadd(key, write.elements()), null));
          owners.add(i);
        }
        calls.add(new Call(span.key(), p -> p.pexpireAt(key, span.expireAtMs()), null));
        owners.add(i);
        if (span.seriesKey() != null) {
          String seriesKey = span.seriesKey();
          calls.add(new Call(seriesKey, p -> p.sadd(seriesKey, member), null));
          calls.add(new Call(seriesKey, p -> p.pexpireAt(seriesKey, span.expireAtMs()), null));
          owners.add(i);
          owners.add(i);
        }
      }
    }
    List<Object> replies = calls.isEmpty() ? List.of() : run(calls);
    Outcome[] outcomes = new Outcome[writes.size()];
    for (int k = 0; k < calls.size(); k++) {
      int owner = owners.get(k);
      if (replies.get(k) instanceof Throwable failure && outcomes[owner] == null) {
        outcomes[owner] = new Failed(calls.get(k).key(), failure);
      }
    }
    List<Outcome> result = new ArrayList<>(writes.size());
    for (Outcome outcome : outcomes) {
      result.add(outcome != null ? outcome : new Written(true));
    }
    return result;
  }

  /**
   * Sends {@code calls} in one pipeline (then the NOSCRIPT ones again with EVAL); returns each
   * reply, or the exception of a failed one.
   */
  private List<Object> run(List<Call> calls) {
    List<Object> results = new ArrayList<>(Collections.nCopies(calls.size(), null));
    List<Integer> pending = new ArrayList<>();
    for (int i = 0; i < calls.size(); i++) {
      pending.add(i);
    }
    boolean loading = false;
    while (!pending.isEmpty()) {
      List<Response<?>> responses = new ArrayList<>(pending.size());
      Response<Long> acknowledged = null;
      try (AbstractPipeline pipeline = redis.pipelined()) {
        for (int index : pending) {
          Call call = calls.get(index);
          responses.add((loading ? call.fallback() : call.command()).apply(pipeline));
        }
        if (waitReplicas > 0) {
          // the key only routes the command; WAIT covers every write of this connection
          acknowledged = pipeline.waitReplicas(calls.get(pending.get(0)).key(), waitReplicas,
              waitTimeoutMs);
        }
        pipeline.sync();
      }
      List<Integer> unknownScript = new ArrayList<>();
      for (int k = 0; k < pending.size(); k++) {
        int index = pending.get(k);
        try {
          results.set(index, responses.get(k).get());
        } catch (JedisDataException e) {
          if (!loading && calls.get(index).fallback() != null && isNoScript(e)) {
            unknownScript.add(index);
          } else {
            results.set(index, e);
          }
        }
      }
      if (acknowledged != null && acknowledged.get() < waitReplicas) {
        throw new NotReplicatedException("only " + acknowledged.get() + " of " + waitReplicas
            + " replicas acknowledged the batch within " + waitTimeoutMs + " ms");
      }
      pending = unknownScript;
      loading = true;
    }
    return results;
  }

  private static boolean isNoScript(JedisDataException e) {
    return e instanceof JedisNoScriptException
        || (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT"));
  }

  private static String text(Object reply) {
    if (reply instanceof byte[] bytes) {
      return new String(bytes, StandardCharsets.UTF_8);
    }
    return String.valueOf(reply);
  }

  /**
   * One pipelined command.
   *
   * @param key its key, for messages
   * @param command adds it to a pipeline
   * @param fallback adds it again after NOSCRIPT (EVAL instead of EVALSHA), or null
   */
  private record Call(String key, Function<AbstractPipeline, Response<?>> command,
      Function<AbstractPipeline, Response<?>> fallback) {

    static Call script(String key, Script script, List<String> keys, List<String> args) {
      return new Call(key, p -> p.evalsha(script.sha(), keys, args),
          p -> p.eval(script.text(), keys, args));
    }
  }
}
