package dev.tugboat.watch;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.JsonFields;
import dev.tugboat.api.Text;
import dev.tugboat.deploy.NomadNames;
import dev.tugboat.registry.InvalidReferenceException;
import dev.tugboat.registry.Repository;
import java.util.List;
import java.util.Set;

/**
 * One watched repository as {@code watch.repos[]} configures it or {@code POST /api/v1/watches} adds it, read and
 * validated here only, so both accept and refuse the same: {@code name} is the key of the registrywatcher routes
 * ({@code /tags/{name}}), the image is {@code registry/repository:tag}, deployed to the {@code tasks} of Nomad job
 * {@code job} in {@code namespace} ("" = {@code deploy.nomad.namespace}); {@code policy} is a {@link TagPolicy} spec.
 * Lengths are the columns'; registry and repository are normalised as the inventory records pushes
 * ({@code docker.io/library/nginx}), so a push wakes its watch.
 */
public record WatchDefinition(String name, String registry, String repository, String job, List<String> tasks,
                              String policy, String namespace) {
  public static final Set<String> FIELDS = Set.of("name", "registry", "repository", "job", "tasks", "policy",
      "namespace");

  /**
   * Reads a definition from {@code fields} (the request body, or {@code watch.repos[i]} of the configuration);
   * refuses with an {@link ApiError} 400 naming the field's path ({@code policy}, {@code watch.repos[2].policy}).
   */
  public static WatchDefinition read(JsonFields fields) {
    fields.allowOnly(FIELDS);
    String registry = fields.text("registry", WatchStore.REGISTRY_MAX);
    String repository = fields.text("repository", WatchStore.REPOSITORY_MAX);
    String name = withoutSpace(fields, "name", fields.text("name", WatchStore.NAME_MAX, repository));
    String job = withoutSpace(fields, "job", fields.text("job", WatchStore.JOB_MAX));
    List<String> tasks = fields.texts("tasks", WatchStore.TASKS_MAX, WatchStore.TASK_MAX);
    if (tasks == null) {
      throw fields.missing("tasks");
    }
    if (tasks.isEmpty()) {
      throw ApiError.invalid(fields.field("tasks"), fields.field("tasks") + " must name at least one Nomad task");
    }
    String policy = fields.text("policy", WatchStore.POLICY_MAX, "release");
    try {
      TagPolicy.parse(policy);
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid(fields.field("policy"), fields.field("policy") + ": " + e.getMessage());
    }
    String namespace = fields.string("namespace", WatchStore.NAMESPACE_MAX, "").trim();
    String problem = NomadNames.problem(namespace);
    if (problem != null) {
      throw ApiError.invalid(fields.field("namespace"), fields.field("namespace") + ": " + problem);
    }
    Repository target;
    try {
      target = Repository.on(registry, repository);
    } catch (InvalidReferenceException e) {
      String field = fields.field(e.getMessage().contains("registry host") ? "registry" : "repository");
      throw ApiError.invalid(field, field + ": " + e.getMessage());
    }
    // normalising may lengthen the repository (library/, a registry path prefix moved over): the column decides
    Text.require(fields.field("repository"), target.name(), WatchStore.REPOSITORY_MAX);
    return new WatchDefinition(name, target.registry(), target.name(), job, List.copyOf(tasks), policy, namespace);
  }

  /** Names and Nomad job IDs are path segments and IDs: Nomad refuses a job ID with a space. */
  private static String withoutSpace(JsonFields fields, String key, String value) {
    if (value.chars().anyMatch(Character::isWhitespace)) {
      throw ApiError.invalid(fields.field(key), fields.field(key) + " must not contain whitespace");
    }
    return value;
  }
}
