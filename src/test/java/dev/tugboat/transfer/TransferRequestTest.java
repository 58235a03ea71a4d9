package dev.tugboat.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tugboat.api.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** Job requests: the transfer service's model, its broken auth options fixed, secrets kept apart and sealed. */
class TransferRequestTest {
  static JsonObject job(JsonObject sourceAuth, JsonObject targetAuth) {
    JsonObject source = new JsonObject().put("endpoint", "https://registry.example.com/v2").put("image", "team/app")
        .put("ref", "1.0");
    JsonObject target = new JsonObject().put("endpoint", "http://127.0.0.1:5000").put("overwrite", "true");
    if (sourceAuth != null) {
      source.put("auth", sourceAuth);
    }
    if (targetAuth != null) {
      target.put("auth", targetAuth);
    }
    return new JsonObject().put("source", source).put("targets", new JsonArray().add(target).add(target.copy()));
  }

  @Test
  void endpointsWithAndWithoutV2() {
    TransferRequest r = TransferRequest.parse(job(null, null));
    assertThat(r.source().endpoint().registry()).isEqualTo("registry.example.com");
    assertThat(r.source().endpoint().https()).isTrue();
    assertThat(r.source().verifyTls()).as("TLS verified unless verify_tls is false").isTrue();
    assertThat(r.targets()).as("a repeated endpoint is copied to once").hasSize(1);
    assertThat(r.targets().get(0).endpoint().registry()).isEqualTo("127.0.0.1:5000");
    assertThat(r.targets().get(0).overwrite()).isTrue();
    assertThat(field(() -> Endpoint.parse("e", "http://host:5000/v1"))).isEqualTo("e");
    assertThat(field(() -> Endpoint.parse("e", "host:5000"))).isEqualTo("e");
  }

  @Test
  void tokenAuthTakesHeaderObjectsAndAnyJson() {
    JsonObject auth = new JsonObject().put("url", "https://auth.example.com/token?scope=x").put("token_type", "JWT")
        .put("header", new JsonObject().put("X-Api-Key", "k-123")).put("json", new JsonArray().add(1).add("two"));
    Credentials c = TransferRequest.parse(job(auth, null)).source().auth();
    assertThat(c.basic()).isFalse();
    assertThat(c.tokenType()).isEqualTo("JWT");
    assertThat(c.header().getString("X-Api-Key")).isEqualTo("k-123");
    assertThat(c.json()).isEqualTo(new JsonArray().add(1).add("two"));
    assertThat(c.toString()).doesNotContain("k-123");
    JsonObject headerAsText = auth.copy().put("header", "{\"X-Api-Key\":\"k-123\"}");
    assertThat(TransferRequest.parse(job(headerAsText, null)).source().auth().header().getString("X-Api-Key"))
        .isEqualTo("k-123");
  }

  @Test
  void basicAuthWinsAndUrlIsOptionalForIt() {
    JsonObject auth = new JsonObject().put("url", "https://auth.example.com/token")
        .put("basicauth", new JsonObject().put("user", "u").put("password", "p-999"));
    Credentials c = TransferRequest.parse(job(null, auth)).targets().get(0).auth();
    assertThat(c.basic()).isTrue();
    assertThat(c.url()).isNull();
    assertThat(TransferRequest.parse(job(null, new JsonObject().put("basicauth", new JsonObject().put("user", "u")
        .put("password", "p")))).targets().get(0).auth().basic()).isTrue();
    assertThat(c.toString()).doesNotContain("p-999");
  }

  @Test
  void secretsAreKeptApartAndSealed() {
    JsonObject auth = new JsonObject().put("basicauth", new JsonObject().put("user", "u").put("password", "p-999"));
    TransferRequest r = TransferRequest.parse(job(auth, null));
    assertThat(r.toJson().encode()).doesNotContain("p-999");
    SecretBox box = SecretBox.fromBase64(SecretBox.newKey());
    String sealed = box.seal(r.secrets());
    assertThat(sealed).doesNotContain("p-999");
    TransferRequest restored = TransferRequest.restore(r.toJson(), box.open(sealed));
    assertThat(restored.source().auth().password()).isEqualTo("p-999");
    assertThat(TransferRequest.parse(job(null, null)).secrets()).isNull();
    SecretBox other = SecretBox.fromBase64(SecretBox.newKey());
    assertThatThrownBy(() -> other.open(sealed)).hasMessageContaining("transfer.secretKey");
  }

  @Test
  void badInputNamesTheField() {
    assertThat(field(() -> TransferRequest.parse(new JsonObject()))).isEqualTo("source");
    JsonObject noTargets = job(null, null);
    noTargets.put("targets", new JsonArray());
    assertThat(field(() -> TransferRequest.parse(noTargets))).isEqualTo("targets");
    JsonObject badImage = job(null, null);
    badImage.getJsonObject("source").put("image", "Team/App");
    assertThat(field(() -> TransferRequest.parse(badImage))).isEqualTo("source.image");
    assertThat(field(() -> TransferRequest.parse(job(new JsonObject().put("token_type", "Bearer"), null))))
        .isEqualTo("source.auth.url");
    assertThat(field(() -> TransferRequest.parse(job(null, new JsonObject().put("basicauth", "u:p")))))
        .isEqualTo("targets[0].auth.basicauth");
    assertThat(field(() -> TransferRequest.parse(job(null, null).put("retries_left", 0)))).isEqualTo("retries_left");
    JsonObject badBool = job(null, null);
    badBool.getJsonArray("targets").getJsonObject(0).put("verify_tls", "maybe");
    assertThat(field(() -> TransferRequest.parse(badBool))).isEqualTo("targets[0].verify_tls");
  }

  static String field(Runnable parse) {
    ApiError e = catchThrowableOfType(ApiError.class, parse::run);
    assertThat(e).as("expected a 400").isNotNull();
    assertThat(e.status()).isEqualTo(400);
    return e.field();
  }
}
