package dev.tugboat.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Token scopes {@code type:name:action[,action]} (the name may hold a {@code :port}, so actions follow the
 * last colon). Merging keeps one entry per resource with the union of actions, the first-named first:
 * some registries read only the first scope.
 */
public final class Scopes {
  private Scopes() {}

  public static String pull(Repository repository) {
    return "repository:" + repository.name() + ":pull";
  }

  public static String push(Repository repository) {
    return "repository:" + repository.name() + ":pull,push";
  }

  public static String delete(Repository repository) {
    return "repository:" + repository.name() + ":delete";
  }

  public static final String CATALOG = "registry:catalog:*";

  /** Merges scope lists; resources keep their first position, actions are unioned. */
  @SafeVarargs
  public static List<String> merge(List<String>... lists) {
    Map<String, Set<String>> byResource = new LinkedHashMap<>();
    for (List<String> list : lists) {
      for (String scope : list) {
        int colon = scope.lastIndexOf(':');
        if (colon <= 0) {
          byResource.computeIfAbsent(scope, k -> new LinkedHashSet<>());
          continue;
        }
        Set<String> actions = byResource.computeIfAbsent(scope.substring(0, colon), k -> new LinkedHashSet<>());
        for (String action : scope.substring(colon + 1).split(",")) {
          if (!action.isEmpty()) {
            actions.add(action);
          }
        }
      }
    }
    List<String> out = new ArrayList<>();
    byResource.forEach((resource, actions) -> out.add(actions.isEmpty() ? resource : resource + ":" + String.join(",", actions)));
    return List.copyOf(out);
  }
}
