package dev.tugboat.inventory;

import dev.tugboat.registry.ImageReference;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** An image as the inventory holds it, with the tags that currently point at it. */
public record StoredImage(String id, String registry, String repository, String digest, List<String> tags) {

  /** imagespy's {@code name}: {@code <registry>/<repository>}, Docker Hub spelled {@code index.docker.io}. */
  public String name() {
    return (registry.equals(ImageReference.DOCKER_HUB) ? "index.docker.io" : registry) + "/" + repository;
  }

  /** imagespy's short image JSON {@code {digest, name, tags}}. */
  public JsonObject toJson() {
    return new JsonObject().put("digest", digest).put("name", name()).put("tags", new JsonArray(tags));
  }
}
