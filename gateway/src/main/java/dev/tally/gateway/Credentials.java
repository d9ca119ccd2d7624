package dev.tally.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who may write through the gateway: users with a password (InfluxDB 1.x's {@code u}/{@code p}
 * parameters or Basic auth) and API tokens ({@code Authorization: Token ...}, InfluxDB 2.x's way),
 * each optionally limited to some databases or buckets.
 *
 * <p>The file holds one entry per line; {@code #} starts a comment:
 *
 * <pre>
 * # user NAME PASSWORD [DATABASE ...]
 * user telegraf s3cret
 * user shop shop-pass shop_events
 * # token TOKEN [BUCKET ...]
 * token 6f0c1b2a... events
 * </pre>
 *
 * <p>A database or bucket list restricts writes to those names ({@code db/rp} counts as {@code db});
 * no list means any. Credentials are compared in constant time.
 */
public final class Credentials {

  /** What a request presented, after parsing its headers and parameters. */
  sealed interface Presented permits None, UserPassword, Token {}

  record None() implements Presented {}

  record UserPassword(String user, String password) implements Presented {}

  record Token(String token) implements Presented {}

  /** The outcome of a check: allowed, unauthenticated (401) or forbidden (403). */
  enum Verdict { ALLOWED, UNAUTHENTICATED, FORBIDDEN }

  private record Grant(byte[] secret, Set<String> targets) {}

  private final Map<String, Grant> users;
  private final List<Grant> tokens;

  private Credentials(Map<String, Grant> users, List<Grant> tokens) {
    this.users = users;
    this.tokens = tokens;
  }

  /** No credentials: every request is allowed. */
  public static Credentials none() {
    return new Credentials(Map.of(), List.of());
  }

  /**
   * Reads a credentials file (may be null) and adds the environment's: {@code
   * TALLY_GATEWAY_USERS="name:password,..."} and {@code TALLY_GATEWAY_TOKENS="token,..."}, both
   * unrestricted.
   *
   * @throws IllegalArgumentException naming the line, for a malformed entry
   */
  public static Credentials load(Path file, Map<String, String> environment) throws IOException {
    Map<String, Grant> users = new LinkedHashMap<>();
    List<Grant> tokens = new ArrayList<>();
    if (file != null) {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        String[] words = line.split("\\s+");
        String where = file + ":" + (i + 1);
        switch (words[0]) {
          case "user" -> {
            if (words.length < 3) {
              throw new IllegalArgumentException(where + ": expected 'user NAME PASSWORD [DATABASE ...]'");
            }
            users.put(words[1], grant(words[2], Arrays.asList(words).subList(3, words.length)));
          }
          case "token" -> {
            if (words.length < 2) {
              throw new IllegalArgumentException(where + ": expected 'token TOKEN [BUCKET ...]'");
            }
            tokens.add(grant(words[1], Arrays.asList(words).subList(2, words.length)));
          }
          default -> throw new IllegalArgumentException(where + ": an entry starts with 'user' or 'token', not '"
              + words[0] + "'");
        }
      }
    }
    for (String pair : list(environment.get("TALLY_GATEWAY_USERS"))) {
      int colon = pair.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("TALLY_GATEWAY_USERS: expected name:password, got '" + pair + "'");
      }
      users.put(pair.substring(0, colon), grant(pair.substring(colon + 1), List.of()));
    }
    for (String token : list(environment.get("TALLY_GATEWAY_TOKENS"))) {
      tokens.add(grant(token, List.of()));
    }
    return new Credentials(Map.copyOf(users), List.copyOf(tokens));
  }

  /** Whether any credential is configured; without one, every request is allowed. */
  public boolean required() {
    return !users.isEmpty() || !tokens.isEmpty();
  }

  /** Checks what a request presented against a write to {@code target} (a database or bucket). */
  Verdict check(Presented presented, String target) {
    if (!required()) {
      return Verdict.ALLOWED;
    }
    Grant grant = null;
    if (presented instanceof UserPassword up) {
      grant = matching(users.get(up.user()), up.password());
    } else if (presented instanceof Token token) {
      for (Grant candidate : tokens) {
        // every token is compared, so the time taken does not say which one nearly matched
        if (matching(candidate, token.token()) != null) {
          grant = candidate;
        }
      }
      // InfluxDB 1.8 also takes "Token user:password" on its 2.x-compatible endpoint
      int colon = token.token().indexOf(':');
      if (grant == null && colon > 0) {
        grant = matching(users.get(token.token().substring(0, colon)), token.token().substring(colon + 1));
      }
    }
    if (grant == null) {
      return Verdict.UNAUTHENTICATED;
    }
    if (grant.targets().isEmpty()) {
      return Verdict.ALLOWED;
    }
    String database = target == null ? "" : target.contains("/") ? target.substring(0, target.indexOf('/')) : target;
    return grant.targets().contains(database) ? Verdict.ALLOWED : Verdict.FORBIDDEN;
  }

  private static Grant matching(Grant grant, String secret) {
    if (grant == null) {
      return null;
    }
    return MessageDigest.isEqual(grant.secret(), secret.getBytes(StandardCharsets.UTF_8)) ? grant : null;
  }

  private static Grant grant(String secret, List<String> targets) {
    return new Grant(secret.getBytes(StandardCharsets.UTF_8), Set.copyOf(targets));
  }

  private static List<String> list(String value) {
    if (value == null || value.isBlank()) {
      return List.of();
    }
    return Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }
}
