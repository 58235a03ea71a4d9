package dev.tugboat.allowlist;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.JsonFields;
import dev.tugboat.config.Durations;
import dev.tugboat.config.Settings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes admission backed by the allow-list: {@code POST /imagepolicy} answers the ImagePolicyWebhook's
 * {@code ImageReview} (imagepolicy.k8s.io/v1alpha1); {@code POST /admission} answers a
 * ValidatingAdmissionWebhook {@code AdmissionReview} (admission.k8s.io/v1) for Pods.
 *
 * <p>A body that is not a review is a 400 naming the field. Reviews are decided from this node's copy of the
 * allow-list ({@link AllowListSync}), never waiting for the database; while the database cannot be read the last
 * known list answers, and once it is older than {@code admission.staleFor} (or was never loaded)
 * {@code admission.failurePolicy} does: {@code deny} refuses every image with a reason saying so (503 in an
 * AdmissionReview), {@code allow} admits every image (with a warning in an AdmissionReview). Either way the review
 * is answered, in time and well-formed, never with a 500 the API server would have to interpret.
 */
public final class AdmissionRoutes {
  private static final String IMAGE_REVIEW_API = "imagepolicy.k8s.io/v1alpha1";
  private static final String ADMISSION_API = "admission.k8s.io/v1";
  private static final List<String> CONTAINER_LISTS = List.of("containers", "initContainers", "ephemeralContainers");
  /** Containers of one review; a Pod has a handful. */
  private static final int MAX_CONTAINERS = 1000;
  /** Longest apiVersion, kind or uid accepted (Kubernetes names are far shorter). */
  private static final int MAX_NAME = 256;

  private final AllowListIndex index;
  private final AllowListSync sync;
  private final Verdict unavailable;
  /** tugboat_admission_reviews_total{api, allowed}, by api, then true / false / unavailable / unavailable_allowed. */
  private final Map<String, Counter[]> reviews = new HashMap<>();

  public AdmissionRoutes(AllowListIndex index, AllowListSync sync, Settings.Admission settings, MeterRegistry metrics) {
    this.index = index;
    this.sync = sync;
    String why = "the allow-list could not be confirmed with the database for longer than admission.staleFor ("
        + Durations.format(settings.staleFor()) + ")";
    this.unavailable = settings.failurePolicy() == Settings.Admission.FailurePolicy.ALLOW
        ? new Verdict(new AdmissionPolicy.Decision(true, List.of()), 200,
            why + ": admitted by admission.failurePolicy allow")
        : new Verdict(new AdmissionPolicy.Decision(false, List.of(why + ", so no image is allowed; retry later")), 503,
            null);
    for (String api : List.of("imagepolicy", "admission")) {
      reviews.put(api, List.of("true", "false", "unavailable", "unavailable_allowed").stream()
          .map(allowed -> Counter.builder("tugboat_admission_reviews").tag("api", api).tag("allowed", allowed)
              .register(metrics)).toArray(Counter[]::new));
    }
  }

  public void mount(Router router) {
    router.post("/imagepolicy").handler(this::imageReview);
    router.post("/admission").handler(this::admissionReview);
  }

  private void imageReview(RoutingContext ctx) {
    JsonFields review = JsonFields.body(ctx);
    if (!"ImageReview".equals(review.text("kind", MAX_NAME))) {
      throw ApiError.invalid("kind", "expected kind ImageReview");
    }
    String apiVersion = review.text("apiVersion", MAX_NAME, IMAGE_REVIEW_API);
    JsonFields spec = review.object("spec");
    List<JsonFields> containers = spec.objects("containers", MAX_CONTAINERS);
    if (containers == null) {
      throw spec.missing("containers");
    }
    List<String> images = new ArrayList<>();
    containers.forEach(container -> images.add(container.text("image", Integer.MAX_VALUE)));
    AdmissionPolicy.Decision decision = decide(images, "imagepolicy").decision();
    JsonObject status = new JsonObject().put("allowed", decision.allowed());
    if (!decision.allowed()) {
      status.put("reason", decision.reason());
    }
    ctx.json(new JsonObject().put("apiVersion", apiVersion).put("kind", "ImageReview").put("status", status));
  }

  private void admissionReview(RoutingContext ctx) {
    JsonFields review = JsonFields.body(ctx);
    if (!"AdmissionReview".equals(review.text("kind", MAX_NAME))) {
      throw ApiError.invalid("kind", "expected kind AdmissionReview");
    }
    String apiVersion = review.text("apiVersion", MAX_NAME, ADMISSION_API);
    JsonFields request = review.object("request");
    String uid = request.text("uid", MAX_NAME);
    JsonFields kind = request.optionalObject("kind");
    String resource = kind == null ? null : kind.string("kind", MAX_NAME, null);
    JsonFields object = request.optionalObject("object");
    if (!"Pod".equals(resource) || object == null) { // not a Pod, or a DELETE: nothing to check
      ctx.json(admissionResponse(apiVersion, uid, new Verdict(new AdmissionPolicy.Decision(true, List.of()), 200,
          null)));
      return;
    }
    JsonFields spec = object.optionalObject("spec");
    List<String> images = new ArrayList<>();
    for (String list : CONTAINER_LISTS) {
      List<JsonFields> containers = spec == null ? null : spec.objects(list, MAX_CONTAINERS);
      if (containers != null) {
        containers.forEach(container -> images.add(container.text("image", Integer.MAX_VALUE)));
      }
    }
    ctx.json(admissionResponse(apiVersion, uid, decide(images, "admission")));
  }

  /**
   * A decision, the code its refusal carries (403 refused by the allow-list, 503 by the failure policy), and a
   * warning for the API server (admitted by the failure policy), or null.
   */
  private record Verdict(AdmissionPolicy.Decision decision, int refusalCode, String warning) {}

  private static JsonObject admissionResponse(String apiVersion, String uid, Verdict verdict) {
    JsonObject response = new JsonObject().put("uid", uid).put("allowed", verdict.decision().allowed());
    if (!verdict.decision().allowed()) {
      response.put("status", new JsonObject().put("code", verdict.refusalCode())
          .put("message", verdict.decision().reason()));
    }
    if (verdict.warning() != null) {
      response.put("warnings", new JsonArray().add(verdict.warning()));
    }
    return new JsonObject().put("apiVersion", apiVersion).put("kind", "AdmissionReview").put("response", response);
  }

  /** The verdict from this node's copy of the allow-list, or the failure policy's once that copy expired. */
  private Verdict decide(List<String> images, String api) {
    Counter[] counters = reviews.get(api);
    if (sync.state() == AllowListSync.State.EXPIRED) {
      counters[unavailable.decision().allowed() ? 3 : 2].increment();
      return unavailable;
    }
    AdmissionPolicy.Decision decision = AdmissionPolicy.decide(images, index);
    counters[decision.allowed() ? 0 : 1].increment();
    return new Verdict(decision, 403, null);
  }
}
