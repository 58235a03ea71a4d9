package dev.tugboat.transfer;

import dev.tugboat.registry.RegistryClient;
import dev.tugboat.registry.Repository;

/** Where an image is copied from: a repository and a tag or digest, reached through {@code client}. */
record CopySource(RegistryClient client, Repository repo, String reference) {}
