package dev.tally.localstack;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Just enough RESP to send a command and read a simple, bulk, integer or error reply. */
final class Resp implements AutoCloseable {

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;

  Resp(String host, int port) throws IOException {
    socket = new Socket(host, port);
    socket.setSoTimeout(5_000);
    out = socket.getOutputStream();
    in = new BufferedInputStream(socket.getInputStream());
  }

  /** Sends one command; returns the reply as text ("-ERR ..." for an error, null for a nil bulk). */
  String call(String... args) throws IOException {
    StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
    for (String arg : args) {
      byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
      request.append('$').append(bytes.length).append("\r\n").append(arg).append("\r\n");
    }
    out.write(request.toString().getBytes(StandardCharsets.UTF_8));
    out.flush();
    String line = readLine();
    switch (line.charAt(0)) {
      case '+':
      case ':':
        return line.substring(1);
      case '-':
        return line;
      case '$':
        int length = Integer.parseInt(line.substring(1));
        if (length < 0) {
          return null;
        }
        String value = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        readLine();
        return value;
      default:
        throw new IOException("Unexpected reply: " + line);
    }
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int previous = -1;
    for (int b = in.read(); b != -1; b = in.read()) {
      if (previous == '\r' && b == '\n') {
        byte[] bytes = line.toByteArray();
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
      }
      line.write(b);
      previous = b;
    }
    throw new IOException("Connection closed");
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
