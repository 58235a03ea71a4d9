package dev.tugboat.deploy;

/** Nomad refused or failed a request; the message names the request and the answer, never the token. */
public class NomadException extends RuntimeException {
  private final int status;
  private final String body;

  public NomadException(String operation, int status, String body) {
    super(operation + ": Nomad answered " + status + (body == null || body.isBlank() ? "" : " (" + abbreviate(body) + ")"),
        null, false, false);
    this.status = status;
    this.body = body == null ? "" : body;
  }

  /** The request got no answer: refused by the egress policy, timed out, connection failed. */
  public NomadException(String operation, String problem) {
    super(operation + ": " + abbreviate(String.valueOf(problem)), null, false, false);
    this.status = 0;
    this.body = "";
  }

  /** Nomad's HTTP status, 0 when there was no answer. */
  public int status() {
    return status;
  }

  /** The register was refused because the job changed since it was read (EnforceIndex). */
  public boolean indexConflict() {
    return status == 500 && body.contains("Enforcing job modify index");
  }

  private static String abbreviate(String body) {
    String line = body.strip().replaceAll("\\s+", " ");
    return line.length() > 300 ? line.substring(0, 300) + "…" : line;
  }
}
