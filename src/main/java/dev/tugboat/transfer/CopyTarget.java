package dev.tugboat.transfer;

import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.Repository;

/**
 * Where an image is copied to. {@code label} names the target in progress reports (the job's endpoint URL);
 * with {@code overwrite} false, a reference already present there is left alone (the target is skipped).
 */
record CopyTarget(String label, RegistryClient client, Repository repo, String reference, boolean overwrite) {}
