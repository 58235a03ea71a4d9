package dev.tugboat.registry;

import java.util.List;

/**
 * A registry call that failed: the operation, the HTTP status (0 when none was received) and the OCI
 * errors the registry gave. Subclasses name the cases callers act on.
 */
public class RegistryException extends RuntimeException {
  private final int status;
  private final List<RegistryError> errors;

  public RegistryException(String operation, int status, List<RegistryError> errors, Throwable cause) {
    super(operation + " failed" + (status > 0 ? " with HTTP " + status : "") + describe(errors)
        + (cause != null && status == 0 ? ": " + describe(cause) : ""), cause);
    this.status = status;
    this.errors = List.copyOf(errors);
  }

  private static String describe(Throwable cause) {
    return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
  }

  private static String describe(List<RegistryError> errors) {
    if (errors.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder(":");
    errors.forEach(e -> out.append(' ').append(e.code()).append(" (").append(e.message()).append(')'));
    return out.toString();
  }

  public int status() {
    return status;
  }

  public List<RegistryError> errors() {
    return errors;
  }

  public boolean hasCode(String code) {
    return errors.stream().anyMatch(e -> e.code().equals(code));
  }

  /** 404: no such manifest, blob, repository or upload. */
  public static final class NotFound extends RegistryException {
    public NotFound(String operation, int status, List<RegistryError> errors) {
      super(operation, status, errors, null);
    }
  }

  /** 401/403 after authenticating as configured: wrong credentials or no permission. */
  public static final class Unauthorized extends RegistryException {
    public Unauthorized(String operation, int status, List<RegistryError> errors) {
      super(operation, status, errors, null);
    }
  }

  /** 429 that outlasted the retries. */
  public static final class TooManyRequests extends RegistryException {
    public TooManyRequests(String operation, List<RegistryError> errors) {
      super(operation, 429, errors, null);
    }
  }

  /** Content whose sha256 is not the digest it was asked for or announced with. */
  public static final class DigestMismatch extends RegistryException {
    public DigestMismatch(String operation, String expected, String actual) {
      super(operation + ": expected digest " + expected + " but the content hashes to " + actual, 0, List.of(), null);
    }
  }

  /** No answer within the deadline ({@code egress.timeout}): the request was reset. */
  public static final class Timeout extends RegistryException {
    public Timeout(String operation, long millis) {
      super(operation, 0, List.of(), new java.util.concurrent.TimeoutException("no answer within " + millis + " ms"));
    }
  }

  /**
   * A request that cannot even be built (a reference, name or URL outside the grammar): it fails at once and
   * would fail the same way every time, so it is never retried.
   */
  public static final class InvalidRequest extends RegistryException {
    public InvalidRequest(String operation, String reason) {
      super(operation, 0, List.of(), new IllegalArgumentException(reason));
    }
  }
}
