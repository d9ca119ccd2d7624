package dev.tally.connect.redis;

import dev.tally.testkit.RedisProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * A redis-server that loads the shipped {@code acl/users.acl}, so the tests exercise the very
 * rules operators install. The default user stays (no password) as the tests' admin.
 */
final class AclRedis implements AutoCloseable {

  static final Path SHIPPED_ACL = Path.of("acl", "users.acl");
  static final String WRITER = "tally-writer";
  static final String ANALYST = "tally-analyst";

  private final RedisProcess server;

  AclRedis(Path dir) {
    try {
      Files.createDirectories(dir);
      Path acl = dir.resolve("users.acl");
      Files.copy(SHIPPED_ACL, acl, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      server = RedisProcess.server(dir, dev.tally.localstack.Ports.free(),
          List.of("--aclfile", acl.toAbsolutePath().toString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The password the shipped file gives {@code user} (its {@code >password} rule). */
  static String password(String user) {
    try {
      return Files.readAllLines(SHIPPED_ACL).stream()
          .filter(line -> line.startsWith("user " + user + " "))
          .flatMap(line -> Arrays.stream(line.split(" ")))
          .filter(token -> token.startsWith(">")).map(token -> token.substring(1))
          .findFirst().orElseThrow(() -> new IllegalStateException("no password for " + user));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return server.port();
  }

  String hostPort() {
    return "127.0.0.1:" + server.port();
  }

  /** A client logged in as {@code user} with its shipped password. */
  UnifiedJedis client(String user) {
    return RedisClient.builder().hostAndPort(new HostAndPort("127.0.0.1", server.port()))
        .clientConfig(DefaultJedisClientConfig.builder().user(user).password(password(user)).build())
        .build();
  }

  /** An admin client (the default user). */
  UnifiedJedis admin() {
    return RedisClient.create("127.0.0.1", server.port());
  }

  /** Sink settings that log in as the writer. */
  Map<String, String> writerSettings() {
    return Map.of(RedisSinkConfig.HOSTS, hostPort(), RedisSinkConfig.USER, WRITER,
        RedisSinkConfig.PASSWORD, password(WRITER));
  }

  void stop() {
    server.close();
  }

  @Override
  public void close() {
    server.close();
  }
}
