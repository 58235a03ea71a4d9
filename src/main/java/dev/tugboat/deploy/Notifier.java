package dev.tugboat.deploy;

import dev.tugboat.config.Settings;
import dev.tugboat.registry.EgressPolicy;
import io.vertx.core.Future;
import io.vertx.core.http.HttpResponseExpectation;
import io.vertx.ext.web.client.WebClient;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts notices to the Slack incoming webhook and the generic JSON webhook when configured. A notification
 * never fails what it reports on: failures are logged (without the URL, which is a secret) and dropped. Each
 * post obeys the egress policy (checked before sending; the client's connect guard checks the address) and ends
 * by {@code egress.timeout}.
 */
public final class Notifier {
  private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
  private final WebClient client;
  private final Settings.Notify urls;
  private final Clock clock;
  private final EgressPolicy egress;
  private final long timeoutMs;

  public Notifier(WebClient client, Settings.Notify urls, Clock clock, EgressPolicy egress, Duration timeout) {
    this.client = client;
    this.urls = urls;
    this.clock = clock;
    this.egress = egress;
    this.timeoutMs = timeout.toMillis();
  }

  public Future<Void> send(Notice notice) {
    LOG.info("notice {}: {}", notice.event(), notice.text());
    Future<Void> slack = urls.slackUrl().isEmpty() ? Future.succeededFuture()
        : post("Slack", urls.slackUrl(), notice.slack(clock.instant()).encode());
    Future<Void> webhook = urls.webhookUrl().isEmpty() ? Future.succeededFuture()
        : post("webhook", urls.webhookUrl(), notice.json(clock.instant()).encode());
    return Future.join(slack, webhook).mapEmpty();
  }

  private Future<Void> post(String kind, String url, String body) {
    try {
      egress.check(url);
    } catch (EgressPolicy.Denied denied) { // names the host only, never the path (the webhook's secret)
      LOG.warn("{} notification not sent: {}", kind, denied.getMessage());
      return Future.succeededFuture();
    }
    return client.postAbs(url).timeout(timeoutMs).putHeader("Content-Type", "application/json")
        .sendBuffer(io.vertx.core.buffer.Buffer.buffer(body))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .expecting(HttpResponseExpectation.SC_SUCCESS)
        .<Void>mapEmpty()
        .recover(failure -> {
          // only the failure's kind: Vert.x messages (timeouts) quote the request URI, and a webhook's path is its secret
          LOG.warn("{} notification not delivered: {}", kind, failure.getClass().getSimpleName());
          return Future.succeededFuture();
        });
  }
}
