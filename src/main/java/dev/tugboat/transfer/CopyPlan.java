package dev.tugboat.transfer;

import dev.tugboat.registry.Descriptor;
import dev.tugboat.registry.Manifest;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a copy moves: the top manifest (image or index), its child manifests (pushed first, so the index
 * never points at something missing) and the unique blobs of all of them, largest first so the longest
 * stream starts earliest.
 */
record CopyPlan(Manifest top, List<Manifest> children, List<Descriptor> blobs) {

  static Future<CopyPlan> resolve(CopySource source) {
    return source.client().manifest(source.repo(), source.reference()).compose(top -> {
      if (!top.isIndex()) {
        return Future.succeededFuture(of(top, List.of()));
      }
      List<Future<Manifest>> children = new ArrayList<>();
      top.children().forEach(child -> children.add(source.client().manifest(source.repo(), child.digest())));
      return Future.all(children).map(all -> of(top, all.<Manifest>list()));
    });
  }

  private static CopyPlan of(Manifest top, List<Manifest> children) {
    Map<String, Descriptor> unique = new LinkedHashMap<>();
    List<Manifest> images = children.isEmpty() ? List.of(top) : children;
    for (Manifest image : images) {
      if (image.config() != null) {
        unique.putIfAbsent(image.config().digest(), image.config());
      }
      image.layers().forEach(layer -> unique.putIfAbsent(layer.digest(), layer));
    }
    List<Descriptor> blobs = new ArrayList<>(unique.values());
    blobs.sort(Comparator.comparingLong(Descriptor::size).reversed());
    return new CopyPlan(top, List.copyOf(children), List.copyOf(blobs));
  }

  /** The manifests in push order: children, then the top one. */
  List<Manifest> manifests() {
    List<Manifest> out = new ArrayList<>(children);
    out.add(top);
    return out;
  }
}
