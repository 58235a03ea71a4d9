package dev.tugboat.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/**
 * At the end of a test run that checked answers against openapi.yaml ({@link ApiDescription}): the number of
 * operations described and of responses validated, printed and appended to {@code target/openapi-validation.txt}.
 * Registered through {@code META-INF/services}, so every run that uses the checks reports them.
 */
public final class ApiDescriptionSummary implements TestExecutionListener {
  static final Path REPORT = Path.of("target", "openapi-validation.txt");

  @Override
  public void testPlanExecutionFinished(TestPlan testPlan) {
    String summary = ApiDescription.summaryIfUsed();
    if (summary == null) {
      return;
    }
    System.out.println(summary);
    try {
      Files.createDirectories(REPORT.getParent());
      Files.writeString(REPORT, Instant.now() + " " + summary + System.lineSeparator(), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.err.println("openapi.yaml summary not written to " + REPORT + ": " + e.getMessage());
    }
  }
}
