package dev.tugboat.registry;

/** An image reference, name, tag or digest that does not follow the OCI grammar. */
public final class InvalidReferenceException extends IllegalArgumentException {
  public InvalidReferenceException(String message) {
    super(message);
  }
}
