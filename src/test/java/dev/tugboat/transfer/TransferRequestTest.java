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
    assertThat(field(() -> TransferRequest.parse(job(null, null).put("retries_left", 2.5)))).isEqualTo("retries_left");
    assertThat(field(() -> TransferRequest.parse(job(null, null).put("retries_left", 4294967297L))))
        .isEqualTo("retries_left");
    assertThat(TransferRequest.parse(job(null, null).put("retries_left", 0)).attempts()).as("0 = one attempt").isEqualTo(1);
    assertThat(TransferRequest.parse(job(null, null).put("retries_left", 3.0)).attempts()).isEqualTo(3);
    assertThat(TransferRequest.parse(job(null, null)).attempts()).as("transfer.retries").isNull();
    JsonObject badBool = job(null, null);
    badBool.getJsonArray("targets").getJsonObject(0).put("verify_tls", "maybe");
    assertThat(field(() -> TransferRequest.parse(badBool))).isEqualTo("targets[0].verify_tls");
  }

  @Test
  void headerValuesAreTextWithoutLineBreaks() {
    JsonObject auth = new JsonObject().put("url", "https://auth.example.com/token");
    for (String bad : new String[] {"a\r\nX-Injected: 1", "a\nb", "a\u0000b", "a\u0007b", "snow \u2603"}) {
      JsonObject withHeader = auth.copy().put("header", new JsonObject().put("X-Api-Key", bad));
      assertThat(field(() -> TransferRequest.parse(job(null, withHeader)))).isEqualTo("targets[0].auth.header.X-Api-Key");
      assertThat(field(() -> TransferRequest.parse(job(null, auth.copy().put("token", bad)))))
          .isEqualTo("targets[0].auth.token");
    }
    assertThat(field(() -> TransferRequest.parse(job(auth.copy().put("header", new JsonObject().put("Bad Name", "v")),
        null)))).isEqualTo("source.auth.header");
    assertThat(TransferRequest.parse(job(null, auth.copy().put("header", new JsonObject().put("X-Api-Key", "caf\u00e9\tx"))))
        .targets().get(0).auth().header().getString("X-Api-Key")).isEqualTo("caf\u00e9\tx");
  }

  @Test
  void refusalsNeverRepeatTheUrl() {
    for (String url : new String[] {"http://user:PW-1@127.0.0.1:7150 x", "ftp://user:PW-2@127.0.0.1:7150",
        "http://user:PW-3@127.0.0.1:7150/v2", "http://user:PW-4@bad_host:5000/v2", "http://h:1/v3?PW-5",
        "http://127.0.0.1:7150/v2#PW-6"}) {
      ApiError e = catchThrowableOfType(ApiError.class, () -> Endpoint.parse("source.endpoint", url));
      assertThat(e).as(url).isNotNull();
      assertThat(e.getMessage()).startsWith("source.endpoint").doesNotContain("PW");
      JsonObject auth = new JsonObject().put("url", url.replace("/v2", "/token"));
      ApiError t = catchThrowableOfType(ApiError.class, () -> TransferRequest.parse(job(null, auth)));
      if (t != null) {
        assertThat(t.getMessage()).doesNotContain("PW");
      }
    }
  }

  static String field(Runnable parse) {
    ApiError e = catchThrowableOfType(ApiError.class, parse::run);
    assertThat(e).as("expected a 400").isNotNull();
    assertThat(e.status()).isEqualTo(400);
    return e.field();
  }
}
