package dev.tugboat.registry;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/** A registry answer read whole (manifests, tag lists, errors: small bodies only, never blobs). */
record RegistryResponse(int status, MultiMap headers, Buffer body) {}
