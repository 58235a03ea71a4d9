package dev.tugboat.inventory;

import dev.tugboat.api.Services;
import dev.tugboat.config.Settings;
import io.vertx.core.Vertx;

/** The inventory's parts as one node builds them for a verticle (the stores are stateless over the pool). */
public record Inventory(InboxStore inbox, InventoryStore store, Ingestion ingestion) {

  public static Inventory of(Vertx vertx, Services services) {
    InventoryStore store = new InventoryStore(services.db());
    Ingestion ingestion = new Ingestion(new Scraper(services.registry()), store, vertx.eventBus(), services.clock());
    return new Inventory(new InboxStore(services.db()), store, ingestion);
  }

  /** The re-scan ({@code tugboat updater}) over every configured registry's catalog and every known repository. */
  public InventoryRescan rescan(Services services) {
    Settings settings = services.settings();
    return new InventoryRescan(store, ingestion, services.registry(),
        settings.registries().stream().map(Settings.RegistrySettings::host).toList(), settings.inventory().workers());
  }
}
