package dev.tugboat.api;

import io.vertx.core.json.JsonObject;

/**
 * A request that cannot be served, answered as {@code {"error": {"code", "message", "field"?}}}.
 * Thrown by handlers and capabilities; {@link ErrorHandler} turns it into the response.
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String code;
  private final String field;

  public ApiError(int status, String code, String message, String field) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
  }

  public static ApiError invalid(String field, String message) {
    return new ApiError(400, "invalid_request", message, field);
  }

  /** A required field that is absent: {@code Missing field: <path>} on every route. */
  public static ApiError missing(String field) {
    return new ApiError(400, "invalid_request", "Missing field: " + field, field);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, "not_found", message, null);
  }

  public static ApiError unauthorized() {
    return new ApiError(401, "unauthorized", "a valid 'Authorization: Bearer <token>' header is required", null);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String field() {
    return field;
  }

  public JsonObject toJson() {
    JsonObject error = new JsonObject().put("code", code).put("message", getMessage());
    if (field != null) {
      error.put("field", field);
    }
    return new JsonObject().put("error", error);
  }
}
