package dev.tugboat.allowlist;

import dev.tugboat.api.ApiError;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Kubernetes admission backed by the allow-list: {@code POST /imagepolicy} answers the ImagePolicyWebhook's
 * {@code ImageReview} (imagepolicy.k8s.io/v1alpha1); {@code POST /admission} answers a
 * ValidatingAdmissionWebhook {@code AdmissionReview} (admission.k8s.io/v1) for Pods.
 */
public final class AdmissionRoutes {
  private static final String IMAGE_REVIEW_API = "imagepolicy.k8s.io/v1alpha1";
  private static final String ADMISSION_API = "admission.k8s.io/v1";
  private static final List<String> CONTAINER_LISTS = List.of("containers", "initContainers", "ephemeralContainers");

  private final AllowListStore store;
  private final MeterRegistry metrics;

  public AdmissionRoutes(AllowListStore store, MeterRegistry metrics) {
    this.store = store;
    this.metrics = metrics;
  }

  public void mount(Router router) {
    router.post("/imagepolicy").handler(this::imageReview);
    router.post("/admission").handler(this::admissionReview);
  }

  private void imageReview(RoutingContext ctx) {
    JsonObject review = jsonBody(ctx);
    if (!"ImageReview".equals(review.getString("kind"))) {
      throw ApiError.invalid("kind", "expected kind ImageReview");
    }
    JsonArray containers = review.getJsonObject("spec", new JsonObject()).getJsonArray("containers");
    if (containers == null) {
      throw ApiError.invalid("spec.containers", "expected spec.containers, a list of {\"image\": ...}");
    }
    List<String> images = new ArrayList<>();
    for (int i = 0; i < containers.size(); i++) {
      images.add(image(containers.getValue(i), "spec.containers[" + i + "].image"));
    }
    decide(images, "imagepolicy").onSuccess(decision -> {
      JsonObject status = new JsonObject().put("allowed", decision.allowed());
      if (!decision.allowed()) {
        status.put("reason", decision.reason());
      }
      ctx.json(new JsonObject().put("apiVersion", review.getString("apiVersion", IMAGE_REVIEW_API))
          .put("kind", "ImageReview").put("status", status));
    }).onFailure(ctx::fail);
  }

  private void admissionReview(RoutingContext ctx) {
    JsonObject review = jsonBody(ctx);
    JsonObject request = review.getJsonObject("request");
    if (!"AdmissionReview".equals(review.getString("kind")) || request == null) {
      throw ApiError.invalid("request", "expected an AdmissionReview with a request");
    }
    String uid = request.getString("uid");
    if (uid == null || uid.isBlank()) {
      throw ApiError.invalid("request.uid", "request.uid is required");
    }
    JsonObject kind = request.getJsonObject("kind", new JsonObject());
    JsonObject pod = request.getJsonObject("object");
    if (!"Pod".equals(kind.getString("kind")) || pod == null) { // not a Pod, or a DELETE: nothing to check
      ctx.json(admissionResponse(review, uid, new AdmissionPolicy.Decision(true, List.of())));
      return;
    }
    JsonObject spec = pod.getJsonObject("spec", new JsonObject());
    List<String> images = new ArrayList<>();
    for (String list : CONTAINER_LISTS) {
      JsonArray containers = spec.getJsonArray(list, new JsonArray());
      for (int i = 0; i < containers.size(); i++) {
        images.add(image(containers.getValue(i), "request.object.spec." + list + "[" + i + "].image"));
      }
    }
    decide(images, "admission").onSuccess(decision -> ctx.json(admissionResponse(review, uid, decision)))
        .onFailure(ctx::fail);
  }

  private static JsonObject admissionResponse(JsonObject review, String uid, AdmissionPolicy.Decision decision) {
    JsonObject response = new JsonObject().put("uid", uid).put("allowed", decision.allowed());
    if (!decision.allowed()) {
      response.put("status", new JsonObject().put("code", 403).put("message", decision.reason()));
    }
    return new JsonObject().put("apiVersion", review.getString("apiVersion", ADMISSION_API))
        .put("kind", "AdmissionReview").put("response", response);
  }

  private Future<AdmissionPolicy.Decision> decide(List<String> images, String api) {
    return store.byNameKeys(AdmissionPolicy.nameKeys(images))
        .map(entries -> AdmissionPolicy.decide(images, entries))
        .onSuccess(decision -> metrics.counter("tugboat_admission_reviews", "api", api,
            "allowed", String.valueOf(decision.allowed())).increment());
  }

  private static JsonObject jsonBody(RoutingContext ctx) {
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        throw ApiError.invalid("body", "expected a JSON object");
      }
      return body;
    } catch (ClassCastException | io.vertx.core.json.DecodeException e) {
      throw ApiError.invalid("body", "expected a JSON object");
    }
  }

  private static String image(Object container, String field) {
    Object image = container instanceof JsonObject c ? c.getValue("image") : null;
    if (!(image instanceof String text) || text.isBlank()) {
      throw ApiError.invalid(field, field + " must be a non-empty string");
    }
    return text;
  }
}
