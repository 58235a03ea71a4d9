package dev.tugboat.allowlist;

import dev.tugboat.api.ApiError;
import dev.tugboat.api.JsonFields;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes admission backed by the allow-list: {@code POST /imagepolicy} answers the ImagePolicyWebhook's
 * {@code ImageReview} (imagepolicy.k8s.io/v1alpha1); {@code POST /admission} answers a
 * ValidatingAdmissionWebhook {@code AdmissionReview} (admission.k8s.io/v1) for Pods.
 *
 * <p>A body that is not a review is a 400 naming the field. When the allow-list cannot be read (database down
 * or slower than {@link #LOOKUP_TIMEOUT_MS}), the review is still answered, in time and well-formed: the images
 * are refused with a reason saying so (fail closed), never a 500 the API server would have to interpret.
 */
public final class AdmissionRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(AdmissionRoutes.class);
  private static final String IMAGE_REVIEW_API = "imagepolicy.k8s.io/v1alpha1";
  private static final String ADMISSION_API = "admission.k8s.io/v1";
  private static final List<String> CONTAINER_LISTS = List.of("containers", "initContainers", "ephemeralContainers");
  /** Containers of one review; a Pod has a handful, the bound only keeps the lookup's statement small. */
  private static final int MAX_CONTAINERS = 1000;
  /** Longest apiVersion, kind or uid accepted (Kubernetes names are far shorter). */
  private static final int MAX_NAME = 256;
  /** Below kube-apiserver's default webhook timeout (10 s) and the route deadline (5 s). */
  static final long LOOKUP_TIMEOUT_MS = 3_000;
  static final String UNAVAILABLE = "the allow-list cannot be read right now (database unavailable), so no image is"
      + " allowed; retry later";

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
    decide(images, "imagepolicy").onSuccess(verdict -> {
      AdmissionPolicy.Decision decision = verdict.decision();
      JsonObject status = new JsonObject().put("allowed", decision.allowed());
      if (!decision.allowed()) {
        status.put("reason", decision.reason());
      }
      ctx.json(new JsonObject().put("apiVersion", apiVersion).put("kind", "ImageReview").put("status", status));
    });
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
      ctx.json(admissionResponse(apiVersion, uid, new Verdict(new AdmissionPolicy.Decision(true, List.of()), 200)));
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
    decide(images, "admission").onSuccess(verdict -> ctx.json(admissionResponse(apiVersion, uid, verdict)));
  }

  /** A decision and the code its refusal carries: 403 refused by the allow-list, 503 the allow-list unreadable. */
  private record Verdict(AdmissionPolicy.Decision decision, int refusalCode) {}

  private static JsonObject admissionResponse(String apiVersion, String uid, Verdict verdict) {
    JsonObject response = new JsonObject().put("uid", uid).put("allowed", verdict.decision().allowed());
    if (!verdict.decision().allowed()) {
      response.put("status", new JsonObject().put("code", verdict.refusalCode())
          .put("message", verdict.decision().reason()));
    }
    return new JsonObject().put("apiVersion", apiVersion).put("kind", "AdmissionReview").put("response", response);
  }

  /** The verdict; never fails: an unreadable allow-list refuses every image with {@link #UNAVAILABLE}. */
  private Future<Verdict> decide(List<String> images, String api) {
    return store.byNameKeys(AdmissionPolicy.nameKeys(images))
        .timeout(LOOKUP_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(entries -> new Verdict(AdmissionPolicy.decide(images, entries), 403))
        .onSuccess(verdict -> metrics.counter("tugboat_admission_reviews", "api", api,
            "allowed", String.valueOf(verdict.decision().allowed())).increment())
        .recover(failure -> {
          LOG.error("{} review of {} image(s) refused: the allow-list could not be read: {}", api, images.size(),
              failure.getMessage());
          metrics.counter("tugboat_admission_reviews", "api", api, "allowed", "unavailable").increment();
          return Future.succeededFuture(new Verdict(new AdmissionPolicy.Decision(false, List.of(UNAVAILABLE)), 503));
        });
  }
}
