package dev.tugboat.inventory;

import dev.tugboat.api.Capability;
import dev.tugboat.api.Services;
import dev.tugboat.config.Settings;
import dev.tugboat.db.Schedule;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/**
 * The inventory on one node: the webhook inbox and its ingestion verticle, the scheduled re-scan, and the
 * imagespy routes. {@link #rescan()} is also what {@code tugboat updater} runs.
 */
public final class InventoryModule implements Capability {
  private final Vertx vertx;
  private final Services services;
  private final InboxStore inbox;
  private final InventoryStore store;
  private final Ingestion ingestion;
  private final ScrapeTargets targets;

  public InventoryModule(Vertx vertx, Services services) {
    this.vertx = vertx;
    this.services = services;
    this.store = new InventoryStore(services.db());
    this.inbox = new InboxStore(services.db());
    Settings settings = services.settings();
    this.targets = new ScrapeTargets(services.egress(), settings.inventory().configuredRegistriesOnly(),
        settings.registries().stream().map(Settings.RegistrySettings::host).toList());
    this.ingestion = new Ingestion(services.registry(), store, targets, vertx.eventBus(), services.clock());
  }

  @Override
  public String name() {
    return "inventory";
  }

  @Override
  public Future<Void> deploy() {
    Settings.Inventory settings = services.settings().inventory();
    Future<String> deployed = vertx.deployVerticle(new IngestionVerticle(inbox, ingestion, settings.sweepInterval(),
        services.clock(), services.cluster().node(), settings.leaseTtl()));
    if (settings.rescanEnabled()) {
      InventoryRescan rescan = rescan();
      Schedule schedule = new Schedule(services.db(), RescanVerticle.SCHEDULE, settings.rescanInterval());
      deployed = deployed.compose(id -> vertx.deployVerticle(new RescanVerticle(schedule,
          () -> settings.rescanMode().equals("latest") ? rescan.latest() : rescan.all(), settings.rescanInterval(),
          services.metrics(), services.cluster().node(), settings.leaseTtl())));
    }
    return deployed.mapEmpty();
  }

  @Override
  public void mount(Router router) {
    new WebhookRoutes(inbox, targets, services.settings().auth().webhookToken(), services.metrics(), services.clock())
        .mount(router);
    new InventoryRoutes(store, ingestion, targets).mount(router);
    new ImageDetailRoutes(store, new ImageDetails(services.db())).mount(router);
  }

  /** The re-scan ({@code tugboat updater}) over every configured registry's catalog and every known repository. */
  public InventoryRescan rescan() {
    Settings settings = services.settings();
    return new InventoryRescan(store, ingestion, services.registry(),
        settings.registries().stream().map(Settings.RegistrySettings::host).toList(), settings.inventory().workers());
  }
}
