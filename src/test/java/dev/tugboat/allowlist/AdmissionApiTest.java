package dev.tugboat.allowlist;

import static dev.tugboat.allowlist.AllowListApiTest.assertField;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.db.Vendor;
import dev.tugboat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Kubernetes ImageReview and AdmissionReview answered from the allow-list, on both databases. */
@ParameterizedClass
@EnumSource(Vendor.class)
class AdmissionApiTest {
  static final String DIGEST = "sha256:" + "ab".repeat(32);
  static final String OTHER_DIGEST = "sha256:" + "cd".repeat(32);
  @Parameter Vendor vendor;
  static TestServer server;

  @BeforeParameterizedClassInvocation
  static void start(Vendor vendor) {
    server = TestServer.start(vendor, Map.of());
    put("{\"id\":\"quay.io/foo/nginx@" + DIGEST + "\",\"name\":\"quay.io/foo/nginx\",\"tags\":[\"v1.0\"]}");
    put("{\"id\":\"busybox-entry\",\"name\":\"busybox\",\"tags\":[\"1.36\",\"latest\"]}");
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
  }

  static void put(String body) {
    assertThat(server.send("PUT", "/images", body, null).statusCode()).isEqualTo(200);
  }

  static JsonObject imageReview(String... images) {
    JsonArray containers = new JsonArray();
    for (String image : images) {
      containers.add(new JsonObject().put("image", image));
    }
    HttpResponse<String> response = server.send("POST", "/imagepolicy", new JsonObject()
        .put("apiVersion", "imagepolicy.k8s.io/v1alpha1").put("kind", "ImageReview")
        .put("spec", new JsonObject().put("containers", containers).put("namespace", "default")).encode(), null);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonObject review = new JsonObject(response.body());
    assertThat(review.getString("kind")).isEqualTo("ImageReview");
    assertThat(review.getString("apiVersion")).isEqualTo("imagepolicy.k8s.io/v1alpha1");
    return review.getJsonObject("status");
  }

  @Test
  @DisplayName("ImageReview: listed by digest, by tag, and docker.io short names are allowed")
  void imageReviewAllowed() {
    JsonObject status = imageReview("quay.io/foo/nginx@" + DIGEST, "quay.io/foo/nginx:v1.0", "busybox",
        "docker.io/library/busybox:1.36", "index.docker.io/library/busybox:latest");
    assertThat(status.getBoolean("allowed")).isTrue();
    assertThat(status.getString("reason")).isNull();
  }

  @Test
  @DisplayName("ImageReview: the reason names each refused image, allowed ones are not named")
  void imageReviewRefused() {
    JsonObject status = imageReview("quay.io/foo/nginx:v2.0", "busybox:1.36", "quay.io/foo/nginx@" + OTHER_DIGEST,
        "quay.io/other/nginx@" + DIGEST);
    assertThat(status.getBoolean("allowed")).isFalse();
    assertThat(status.getString("reason"))
        .contains("quay.io/foo/nginx:v2.0", "quay.io/foo/nginx@" + OTHER_DIGEST, "quay.io/other/nginx@" + DIGEST)
        .doesNotContain("busybox");
  }

  @Test
  @DisplayName("ImageReview: bad input → 400 naming the field")
  void imageReviewBadInput() {
    assertField(server.send("POST", "/imagepolicy", "{\"kind\":\"ImageReview\",\"spec\":{}}", null), "spec.containers");
    assertField(server.send("POST", "/imagepolicy", "{\"kind\":\"ImageReview\",\"spec\":{\"containers\":[{}]}}", null),
        "spec.containers[0].image");
    assertField(server.send("POST", "/imagepolicy", "{\"kind\":\"Pod\"}", null), "kind");
  }

  static JsonObject admissionReview(JsonObject request) {
    HttpResponse<String> response = server.send("POST", "/admission", new JsonObject()
        .put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview").put("request", request).encode(), null);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonObject review = new JsonObject(response.body());
    assertThat(review.getString("kind")).isEqualTo("AdmissionReview");
    assertThat(review.getString("apiVersion")).isEqualTo("admission.k8s.io/v1");
    assertThat(review.getJsonObject("response").getString("uid")).isEqualTo(request.getString("uid"));
    return review.getJsonObject("response");
  }

  static JsonObject podRequest(String uid, JsonObject spec) {
    return new JsonObject().put("uid", uid).put("operation", "CREATE")
        .put("kind", new JsonObject().put("group", "").put("version", "v1").put("kind", "Pod"))
        .put("object", new JsonObject().put("apiVersion", "v1").put("kind", "Pod").put("spec", spec));
  }

  static JsonArray containers(String... images) {
    JsonArray out = new JsonArray();
    for (int i = 0; i < images.length; i++) {
      out.add(new JsonObject().put("name", "c" + i).put("image", images[i]));
    }
    return out;
  }

  @Test
  @DisplayName("AdmissionReview: a Pod whose containers, initContainers and ephemeralContainers are listed is allowed")
  void admissionAllowed() {
    JsonObject response = admissionReview(podRequest("uid-1", new JsonObject()
        .put("containers", containers("quay.io/foo/nginx@" + DIGEST))
        .put("initContainers", containers("busybox:1.36"))
        .put("ephemeralContainers", containers("busybox"))));
    assertThat(response.getBoolean("allowed")).isTrue();
    assertThat(response.getJsonObject("status")).isNull();
  }

  @Test
  @DisplayName("AdmissionReview: an unlisted init or ephemeral container image refuses the Pod with 403 and names it")
  void admissionRefused() {
    JsonObject response = admissionReview(podRequest("uid-2", new JsonObject()
        .put("containers", containers("busybox:1.36"))
        .put("initContainers", containers("alpine:3.20"))
        .put("ephemeralContainers", containers("quay.io/foo/debug:1"))));
    assertThat(response.getBoolean("allowed")).isFalse();
    assertThat(response.getJsonObject("status").getInteger("code")).isEqualTo(403);
    assertThat(response.getJsonObject("status").getString("message")).contains("alpine:3.20", "quay.io/foo/debug:1")
        .doesNotContain("busybox");
  }

  @Test
  @DisplayName("AdmissionReview: other kinds and DELETEs (no object) are allowed; missing uid → 400")
  void admissionOtherKinds() {
    JsonObject deployment = new JsonObject().put("uid", "uid-3")
        .put("kind", new JsonObject().put("kind", "Deployment")).put("object", new JsonObject());
    assertThat(admissionReview(deployment).getBoolean("allowed")).isTrue();
    JsonObject delete = new JsonObject().put("uid", "uid-4").put("operation", "DELETE")
        .put("kind", new JsonObject().put("kind", "Pod"));
    assertThat(admissionReview(delete).getBoolean("allowed")).isTrue();
    assertField(server.send("POST", "/admission",
        "{\"kind\":\"AdmissionReview\",\"request\":{\"kind\":{\"kind\":\"Pod\"}}}", null), "request.uid");
    assertField(server.send("POST", "/admission", new JsonObject().put("kind", "AdmissionReview")
        .put("request", podRequest("uid-5", new JsonObject().put("containers", new JsonArray().add(new JsonObject()))))
        .encode(), null), "request.object.spec.containers[0].image");
  }

  @ParameterizedTest(name = "{0} → 400 naming {1}")
  @CsvSource(delimiter = '|', value = {
      "/imagepolicy | {\"kind\":\"ImageReview\",\"spec\":\"x\"} | spec",
      "/imagepolicy | {\"kind\":\"ImageReview\",\"spec\":{\"containers\":\"x\"}} | spec.containers",
      "/imagepolicy | {\"kind\":\"ImageReview\",\"spec\":{\"containers\":[1]}} | spec.containers[0]",
      "/imagepolicy | {\"kind\":\"ImageReview\",\"spec\":{\"containers\":[{\"image\":7}]}} | spec.containers[0].image",
      "/imagepolicy | {\"kind\":\"ImageReview\",\"spec\":{\"containers\":[{\"image\":\"a\\u0000b\"}]}} | spec.containers[0].image",
      "/imagepolicy | {\"kind\":\"ImageReview\"} | spec",
      "/imagepolicy | {\"kind\":[\"ImageReview\"]} | kind",
      "/imagepolicy | {\"apiVersion\":5,\"kind\":\"ImageReview\",\"spec\":{\"containers\":[]}} | apiVersion",
      "/imagepolicy | [] | body",
      "/imagepolicy | \"x\" | body",
      "/imagepolicy | null | body",
      "/admission | {\"kind\":\"AdmissionReview\",\"request\":\"x\"} | request",
      "/admission | {\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"kind\":\"Pod\"}} | request.kind",
      "/admission | {\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"object\":\"x\"}} | request.object",
      "/admission | {\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"object\":{\"spec\":{\"initContainers\":{}}}}} | request.object.spec.initContainers",
      "/admission | {\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"object\":{\"spec\":\"x\"}}} | request.object.spec",
      "/admission | {\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"kind\":{\"kind\":5}}} | request.kind.kind",
      "/admission | {\"kind\":\"AdmissionReview\",\"request\":{\"uid\":[],\"kind\":{\"kind\":\"Pod\"}}} | request.uid",
      "/admission | {\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"kind\":{\"kind\":\"Deployment\"},\"object\":[]}} | request.object",
      "/admission | {\"kind\":\"AdmissionReview\"} | request",
      "/admission | {\"kind\":\"Pod\",\"request\":{}} | kind",
  })
  @DisplayName("wrong JSON types anywhere in a review → 400 naming the field, never 500")
  void wrongTypes(String path, String body, String field) {
    assertField(server.send("POST", path, body, null), field);
  }
}
