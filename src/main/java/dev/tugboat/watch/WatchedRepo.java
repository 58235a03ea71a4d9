package dev.tugboat.watch;

import dev.tugboat.registry.Repository;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A watched repository and its state. {@code deployedTag}/{@code deployedDigest} are what the last successful
 * deployment put into Nomad (or the baseline of the first check): decisions compare with them, not with what
 * the registry looked like at the previous check. {@code running} is what Nomad ran at the last check (null before
 * the first), {@code drift} whether that differed from what Tugboat deployed.
 */
public record WatchedRepo(String name, String registry, String repository, String job, List<String> tasks,
                          String policy, String source, String pinnedTag, boolean autoDeploy, List<String> seenTags,
                          String seenTag, String seenDigest, String deployedTag, String deployedDigest, int failures,
                          String failedTarget, Instant retryAfter, long checks, Instant checkedAt, String lastError,
                          String namespace, Running running, boolean drift) {

  public Repository repo() {
    return new Repository(registry, repository);
  }

  /** Parsed policies by spec: a parse compiles a regex or a range, and there are only as many specs as watches. */
  private static final Map<String, TagPolicy> POLICIES = new ConcurrentHashMap<>();

  public TagPolicy tagPolicy() {
    if (POLICIES.size() > 10_000) { // only reachable by adding and deleting watches with ever new specs
      POLICIES.clear();
    }
    return POLICIES.computeIfAbsent(policy, TagPolicy::parse);
  }

  /**
   * The image reference Nomad gets: {@code domain/prefix/repo:tag} as registrywatcher wrote it, and with
   * {@code pinDigest} {@code …:tag@sha256:…}, so a tag moved after the decision cannot change what a rollout pulls.
   */
  public String image(String tag, String digest, boolean pinDigest) {
    return registry + "/" + repository + ":" + tag + (pinDigest ? "@" + digest : "");
  }

  /** The seed's {@code pinned_tag_value}: the pin, else the policy's newest among the last seen tags. */
  public String effectiveTag() {
    return !pinnedTag.isEmpty() ? pinnedTag : tagPolicy().newest(seenTags).orElse("");
  }

  public JsonObject toJson() {
    return new JsonObject().put("name", name).put("registry", registry).put("repository", repository)
        .put("job", job).put("namespace", namespace).put("tasks", new JsonArray(tasks)).put("policy", policy).put("source", source)
        .put("pinned_tag", pinnedTag).put("pinned_tag_value", effectiveTag()).put("auto_deploy", autoDeploy)
        .put("tags", new JsonArray(Tags.visible(seenTags)))
        .put("seen", new JsonObject().put("tag", seenTag).put("digest", seenDigest))
        .put("deployed", new JsonObject().put("tag", deployedTag).put("digest", deployedDigest))
        .put("running", running == null ? null : running.toJson()).put("drift", drift)
        .put("failures", failures).put("retry_after", retryAfter == null ? null : retryAfter.toString())
        .put("checks", checks).put("checked_at", checkedAt == null ? null : checkedAt.toString())
        .put("last_error", lastError);
  }
}
