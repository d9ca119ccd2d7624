package dev.tally.connect.redis;

import dev.tally.testkit.RedisProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A throwaway CA, a server certificate for 127.0.0.1 and localhost, and a client certificate,
 * made with openssl; the Java trust store (the CA) and key store (the client) as PKCS12.
 */
final class TestCertificates {

  static final String STORE_PASSWORD = "changeit";

  final Path dir;

  private TestCertificates(Path dir) {
    this.dir = dir;
  }

  static TestCertificates create(Path directory) {
    Path dir = directory.toAbsolutePath();
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    openssl(dir, "req", "-x509", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", "ca.key",
        "-out", "ca.crt", "-days", "2", "-subj", "/CN=tally-test-ca");
    for (String name : List.of("server", "client")) {
      openssl(dir, "req", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", name + ".key",
          "-out", name + ".csr", "-subj", "/CN=tally-test-" + name);
      if (name.equals("server")) {
        openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "server.ext");
      } else {
        openssl(dir, "x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "client.crt", "-days", "2");
      }
    }
    openssl(dir, "pkcs12", "-export", "-in", "client.crt", "-inkey", "client.key", "-out",
        "client.p12", "-passout", "pass:" + STORE_PASSWORD);
    RedisProcess.run(dir, List.of("keytool", "-importcert", "-noprompt", "-alias", "tally-test-ca",
        "-file", "ca.crt", "-keystore", "truststore.p12", "-storetype", "PKCS12", "-storepass",
        STORE_PASSWORD));
    return new TestCertificates(dir);
  }

  private static void openssl(Path dir, String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    RedisProcess.run(dir, command);
  }

  /** redis-server arguments: TLS only (no plain port), client certificates required. */
  List<String> serverArgs(int tlsPort) {
    return List.of("--port", "0", "--tls-port", Integer.toString(tlsPort),
        "--tls-cert-file", file("server.crt"), "--tls-key-file", file("server.key"),
        "--tls-ca-cert-file", file("ca.crt"), "--tls-auth-clients", "yes");
  }

  String file(String name) {
    return dir.resolve(name).toString();
  }
}
