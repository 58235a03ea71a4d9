package dev.tugboat.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The openapi.yaml checks themselves: answers true to the document pass, each kind of difference fails, named. */
class ApiDescriptionTest {
  private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");
  private static final String ENTRY = "{\"created_at\":\"2017-10-27T16:51:06.698062Z\",\"updated_at\":\"2017-10-27T16:51:06.698062Z\","
      + "\"id\":\"quay.io/foo/nginx@sha256:b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c\","
      + "\"name\":\"quay.io/foo/nginx\",\"tags\":[\"latest\"]}";
  private static final String ERROR = "{\"error\":{\"code\":\"not_found\",\"message\":\"no route\"}}";

  @Test
  @DisplayName("answers as documented pass: JSON bodies, ids holding '/', empty bodies, errors, headers, unknown routes")
  void documentedAnswersPass() {
    assertThatCode(() -> {
      ApiDescription.checkUncounted("GET", "/images?name=quay.io/foo/nginx", 200, JSON, "[" + ENTRY + "]");
      ApiDescription.checkUncounted("GET", "/images/quay.io/foo/nginx@sha256:b5bb", 200, JSON, ENTRY);
      ApiDescription.checkUncounted("GET", "/images/", 200, JSON, "[]");
      ApiDescription.checkUncounted("DELETE", "/images/quay.io%2Ffoo", 204, Map.of(), "");
      ApiDescription.checkUncounted("GET", "/health/ping", 500, Map.of(), "");
      ApiDescription.checkUncounted("GET", "/v2/images/127.0.0.1:5000/a/b:1.0/layers", 200,
          Map.of("Content-Type", "application/json", "Cache-Control", "public, max-age=900"), "[]");
      ApiDescription.checkUncounted("GET", "/tags/team/app", 400, JSON, "{\"message\":\"Error: Repo team/app is not being watched\"}");
      ApiDescription.checkUncounted("GET", "/api/distribute/image/x", 404, JSON,
          "{\"status\":\"error\",\"msg\":\"job with id not found\",\"error\":{\"code\":\"not_found\",\"message\":\"m\"}}");
      ApiDescription.checkUncounted("GET", "/api/distribute/image/x/events", 200, Map.of("Content-Type", "text/event-stream"),
          "event: end\ndata: FAILED\n\n");
      ApiDescription.checkUncounted("GET", "/nope", 404, JSON, ERROR);
      ApiDescription.checkUncounted("PATCH", "/images", 405, JSON, ERROR);
      ApiDescription.checkUncounted("HEAD", "/api/v1/watches", 405, JSON, "");
      ApiDescription.checkUncounted("HEAD", "/images?sort=name", 200, JSON, ""); // the GET's headers, no body
      ApiDescription.checkUncounted("HEAD", "/images/x", 404, JSON, "");
      ApiDescription.checkUncounted("HEAD", "/repos", 200, Map.of("Content-Type", "application/json",
          "Access-Control-Allow-Origin", "*"), "");
    }).doesNotThrowAnyException();
  }

  @Test
  @DisplayName("a field missing or of another type fails, naming the operation and the field")
  void wrongBody() {
    assertThatThrownBy(() -> ApiDescription.checkUncounted("GET", "/images/x", 200, JSON, ENTRY.replace("\"tags\"", "\"labels\"")))
        .isInstanceOf(AssertionError.class).hasMessageContaining("GET /images/x → 200").hasMessageContaining("tags");
    assertThatThrownBy(() -> ApiDescription.checkUncounted("GET", "/health/live", 200, JSON, "{\"status\":\"DOWN\"}"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("healthLive").hasMessageContaining("status");
  }

  @Test
  @DisplayName("an undocumented status, a wrong Content-Type or a body where none is documented fails")
  void wrongStatusTypeOrBody() {
    assertThatThrownBy(() -> ApiDescription.checkUncounted("GET", "/images", 418, JSON, ERROR))
        .isInstanceOf(AssertionError.class).hasMessageContaining("status 418 is not documented for listImages");
    assertThatThrownBy(() -> ApiDescription.checkUncounted("GET", "/images", 200, Map.of("Content-Type", "text/html"), "[]"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("Content-Type 'text/html'");
    assertThatThrownBy(() -> ApiDescription.checkUncounted("GET", "/health/ping", 200, JSON, "{}"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("documented without a body");
    assertThatThrownBy(() -> ApiDescription.checkUncounted("HEAD", "/api/v1/watches", 200, JSON, ""))
        .isInstanceOf(AssertionError.class).hasMessageContaining("no operation in openapi.yaml for HEAD /api/v1/watches");
    assertThatThrownBy(() -> ApiDescription.checkUncounted("HEAD", "/images", 200, JSON, "[]"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("a HEAD answer with a body");
    assertThatThrownBy(() -> ApiDescription.checkUncounted("GET", "/nope", 404, JSON, ""))
        .isInstanceOf(AssertionError.class).hasMessageContaining("not JSON");
  }

  @Test
  @DisplayName("a documented header missing fails (imagespy's Cache-Control, registrywatcher's CORS)")
  void missingHeader() {
    assertThatThrownBy(() -> ApiDescription.checkUncounted("GET", "/v2/layers/sha256:ab", 200, JSON, "{\"digest\":\"d\",\"source_images\":[]}"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("cache-control");
    assertThatThrownBy(() -> ApiDescription.checkUncounted("OPTIONS", "/repos", 204, Map.of(), ""))
        .isInstanceOf(AssertionError.class).hasMessageContaining("access-control");
    assertThatThrownBy(() -> ApiDescription.checkUncounted("HEAD", "/repos", 200, JSON, ""))
        .isInstanceOf(AssertionError.class).hasMessageContaining("access-control");
  }

  @Test
  @DisplayName("a route the document does not have must answer 404 in the error shape; an event not in x-events fails")
  void unknownRoutesAndEvents() {
    assertThatThrownBy(() -> ApiDescription.checkUncounted("GET", "/api/v1/nothing", 200, JSON, "{}"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("no operation in openapi.yaml for GET /api/v1/nothing");
    assertThatThrownBy(() -> ApiDescription.checkUncounted("GET", "/nope", 404, JSON, "{\"message\":\"gone\"}"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("does not match its schema");
    assertThatThrownBy(() -> ApiDescription.checkUncounted("GET", "/api/distribute/image/x/events", 200,
        Map.of("Content-Type", "text/event-stream"), "event: done\ndata: FINISHED\n\n"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("event 'done'");
    assertThatThrownBy(() -> ApiDescription.checkUncounted("GET", "/api/distribute/image/x/events", 200,
        Map.of("Content-Type", "text/event-stream"), "event: progress\ndata: {\"value\":\"LOST\"}\n\n"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("event progress");
  }

  @Test
  @DisplayName("an answer with a body and without Content-Type fails unless listed; a body-less one needs none")
  void missingContentType() {
    assertThat(ApiDescription.MISSING_CONTENT_TYPE).doesNotContainKey("addWatch 201");
    assertThatThrownBy(() -> ApiDescription.checkUncounted("POST", "/api/v1/watches", 201, Map.of(), "{\"name\":\"app\"}"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("Content-Type");
    assertThatCode(() -> ApiDescription.checkUncounted("DELETE", "/api/v1/watches/app", 204, Map.of(), ""))
        .doesNotThrowAnyException();
  }
}
