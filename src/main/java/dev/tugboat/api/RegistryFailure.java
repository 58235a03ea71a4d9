package dev.tugboat.api;

import dev.tugboat.registry.EgressPolicy;
import dev.tugboat.registry.RegistryException;

/**
 * How a route answers a failed registry call made for its client: the registry has no such thing (404), the host is
 * refused by the egress policy (403 {@code registry_refused}, nothing was sent), the reference is not one the
 * registry can be asked about (400), no answer within {@code egress.timeout} (504 {@code registry_timeout}), any
 * other registry failure (502 {@code registry_error}). Anything else is left as it is (a 500 when unexpected).
 */
public final class RegistryFailure {
  private RegistryFailure() {}

  /** {@code failure} as the answer for a call about {@code what}; {@code field} names the input that chose it (or null). */
  public static Throwable answer(Object what, String field, Throwable failure) {
    if (failure instanceof RegistryException.NotFound) {
      return ApiError.notFound(what + " does not exist in its registry");
    }
    if (failure instanceof EgressPolicy.Denied) {
      return refused(failure.getMessage(), field);
    }
    if (failure instanceof RegistryException.InvalidRequest) {
      return ApiError.invalid(field, failure.getMessage());
    }
    if (failure instanceof RegistryException.Timeout) {
      return new ApiError(504, "registry_timeout", "the registry of " + what + " did not answer in time", null);
    }
    if (failure instanceof RegistryException e) {
      return new ApiError(502, "registry_error", "the registry of " + what + " failed: " + e.getMessage(), null);
    }
    return failure;
  }

  /** A registry host the egress policy (or a capability's own rule) refuses: the client's choice, a 403. */
  public static ApiError refused(String reason, String field) {
    return new ApiError(403, "registry_refused", reason, field);
  }
}
