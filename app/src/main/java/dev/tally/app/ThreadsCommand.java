package dev.tally.app;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Shows, adds or removes stream threads of a running instance, through its admin server. */
@Command(name = "threads", mixinStandardHelpOptions = true,
    description = "Shows (default), adds or removes a stream thread of a running Tally instance "
        + "through its admin server (tally.admin.port). The change shows in /metrics as "
        + "tally_stream_threads_alive.")
public final class ThreadsCommand implements Callable<Integer> {

  @Option(names = {"-a", "--admin"}, required = true, paramLabel = "URL",
      description = "The instance's admin server, e.g. http://127.0.0.1:8080")
  String admin;

  @Parameters(arity = "0..1", paramLabel = "ACTION", defaultValue = "show",
      description = "show, add or remove (default: ${DEFAULT-VALUE}).")
  String action;

  @Override
  public Integer call() throws Exception {
    String base = admin.endsWith("/") ? admin.substring(0, admin.length() - 1) : admin;
    HttpRequest.Builder request = switch (action) {
      case "show" -> HttpRequest.newBuilder(URI.create(base + "/threads")).GET();
      case "add", "remove" -> HttpRequest.newBuilder(URI.create(base + "/threads/" + action))
          .POST(HttpRequest.BodyPublishers.noBody());
      default -> throw new IllegalArgumentException("unknown action '" + action
          + "': use show, add or remove");
    };
    HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
        .build().send(request.timeout(Duration.ofSeconds(60)).build(),
            HttpResponse.BodyHandlers.ofString());
    System.out.print(response.body());
    return response.statusCode() == 200 ? 0 : 1;
  }
}
