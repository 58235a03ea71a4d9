package dev.tugboat.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.testing.TokenServerFixture.TokenField;
import dev.tugboat.testing.TokenServerFixture.TokenRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The token server fixture against a REAL distribution registry configured with {@code auth.token}: the 401 challenge,
 * token fetch with credentials, retry with the bearer token, and the registry's verdict on signature, claims and scope.
 */
class TokenServerFixtureTest {
  private static final String REPO = "demo/app";
  private static TokenServerFixture auth;
  private static RegistryFixture registry;

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER)
      .build();

  @BeforeAll
  static void startServers() {
    auth = TokenServerFixture.builder()
        .users(Map.of("alice", "s3cret!"))
        .pullOnly("bob", "b0b")
        .start();
    registry = RegistryFixture.builder().tokenAuth(auth).start();
  }

  @AfterAll
  static void stopServers() {
    if (registry != null) {
      registry.close();
    }
    if (auth != null) {
      auth.close();
    }
  }

  @BeforeEach
  void reset() {
    auth.resetRequests();
    auth.tokenField(TokenField.BOTH);
  }

  private String why() {
    return "registry log " + registry.logFile() + ":\n" + registry.log();
  }

  @Test
  void registryChallengesWithBearerRealmServiceAndScope() throws Exception {
    HttpResponse<String> base = send(get(registry.baseUrl() + "/v2/", null));
    assertThat(base.statusCode()).as(why()).isEqualTo(401);
    String challenge = base.headers().firstValue("WWW-Authenticate").orElseThrow();
    assertThat(challenge).startsWith("Bearer ")
        .contains("realm=\"" + auth.realm() + "\"")
        .contains("service=\"" + auth.service() + "\"");
    assertThat(auth.realm()).isEqualTo("http://127.0.0.1:" + auth.port() + "/token");

    HttpResponse<String> tags = send(get(registry.baseUrl() + "/v2/" + REPO + "/tags/list", null));
    assertThat(tags.statusCode()).as(why()).isEqualTo(401);
    assertThat(tags.headers().firstValue("WWW-Authenticate").orElseThrow())
        .contains("realm=\"" + auth.realm() + "\"")
        .contains("scope=\"repository:" + REPO + ":pull\"");
  }

  @Test
  void tokenWithCredentialsLetsTheUserPush() throws Exception {
    HttpResponse<String> resp = tokenGet(basic("alice", "s3cret!"), "repository:" + REPO + ":pull,push");
    assertThat(resp.statusCode()).isEqualTo(200);
    JsonObject body = new JsonObject(resp.body());
    assertThat(body.getString("token")).isEqualTo(body.getString("access_token"));
    assertThat(body.getLong("expires_in")).isEqualTo(60L);
    assertThat(body.getString("issued_at")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
    String jwt = body.getString("token");

    // the JWT's shape (distribution 2.8 registry/auth/token)
    JsonObject header = TokenServerFixture.header(jwt);
    assertThat(header.getString("alg")).isEqualTo("RS256");
    assertThat(header.getString("typ")).isEqualTo("JWT");
    assertThat(Base64.getDecoder().decode(header.getJsonArray("x5c").getString(0)))
        .isEqualTo(auth.certificate().getEncoded());
    JsonObject claims = TokenServerFixture.claims(jwt);
    assertThat(claims.getString("iss")).isEqualTo(auth.issuer()).isEqualTo("tugboat-test-issuer");
    assertThat(claims.getString("aud")).isEqualTo(auth.service()).isEqualTo("tugboat-test-registry");
    assertThat(claims.getString("sub")).isEqualTo("alice");
    assertThat(claims.getLong("exp") - claims.getLong("iat")).isEqualTo(60L);
    assertThat(claims.getLong("nbf")).isLessThan(claims.getLong("iat"));
    assertThat(claims.getString("jti")).isNotEmpty();
    assertThat(claims.getJsonArray("access")).isEqualTo(new JsonArray().add(new JsonObject()
        .put("type", "repository").put("name", REPO).put("actions", new JsonArray().add("pull").add("push"))));
    String[] parts = jwt.split("\\.");
    Signature verify = Signature.getInstance("SHA256withRSA");
    verify.initVerify(auth.certificate().getPublicKey());
    verify.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    assertThat(verify.verify(Base64.getUrlDecoder().decode(parts[2]))).isTrue();
    assertThat(jwt).doesNotContain("=");

    // distribution accepts it: monolithic upload 202 → 201
    String digest = uploadBlob(REPO, "token-auth layer\n".getBytes(StandardCharsets.UTF_8), jwt);
    HttpResponse<String> head = send(HttpRequest.newBuilder(URI.create(registry.baseUrl() + "/v2/" + REPO
        + "/blobs/" + digest)).header("Authorization", "Bearer " + jwt)
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    assertThat(head.statusCode()).as(why()).isEqualTo(200);

    List<TokenRequest> requests = auth.requests();
    assertThat(requests).hasSize(1);
    TokenRequest r = requests.get(0);
    assertThat(r.method()).isEqualTo("GET");
    assertThat(r.hadCredentials()).isTrue();
    assertThat(r.user()).isEqualTo("alice");
    assertThat(r.account()).isEqualTo("alice");
    assertThat(r.scopes()).containsExactly("repository:" + REPO + ":pull,push");
    assertThat(r.service()).isEqualTo(auth.service());
    assertThat(r.status()).isEqualTo(200);
  }

  @Test
  void fullChallengeTokenRetryFlow() throws Exception {
    String url = registry.baseUrl() + "/v2/" + REPO + "/tags/list";
    HttpResponse<String> first = send(get(url, null));
    assertThat(first.statusCode()).isEqualTo(401);
    Map<String, String> challenge = parseChallenge(first.headers().firstValue("WWW-Authenticate").orElseThrow());
    String tokenUrl = challenge.get("realm") + "?service=" + enc(challenge.get("service"))
        + "&scope=" + enc(challenge.get("scope")) + "&account=alice";
    HttpResponse<String> token = send(get(tokenUrl, basic("alice", "s3cret!")));
    assertThat(token.statusCode()).isEqualTo(200);
    String jwt = new JsonObject(token.body()).getString("token");
    HttpResponse<String> retry = send(get(url, "Bearer " + jwt));
    // authorized; the repository may not exist yet (404 NAME_UNKNOWN) or list the tags (200)
    assertThat(retry.statusCode()).as(why() + "\nbody " + retry.body()).isIn(200, 404);
    assertThat(retry.body()).doesNotContain("UNAUTHORIZED");
  }

  @Test
  void tokenFieldCanBeOnlyTokenOrOnlyAccessToken() throws Exception {
    auth.tokenField(TokenField.TOKEN_ONLY);
    JsonObject onlyToken = new JsonObject(tokenGet(basic("alice", "s3cret!"), "repository:" + REPO + ":pull").body());
    assertThat(onlyToken.containsKey("token")).isTrue();
    assertThat(onlyToken.containsKey("access_token")).isFalse();

    auth.tokenField(TokenField.ACCESS_TOKEN_ONLY);
    JsonObject onlyAccess = new JsonObject(tokenGet(basic("alice", "s3cret!"), "repository:" + REPO + ":pull").body());
    assertThat(onlyAccess.containsKey("token")).isFalse();
    assertThat(onlyAccess.getString("access_token")).isNotEmpty();
    HttpResponse<String> tags = send(get(registry.baseUrl() + "/v2/" + REPO + "/tags/list",
        "Bearer " + onlyAccess.getString("access_token")));
    assertThat(tags.statusCode()).as(why()).isIn(200, 404);
  }

  @Test
  void pullOnlyUserCannotPush() throws Exception {
    HttpResponse<String> resp = tokenGet(basic("bob", "b0b"), "repository:" + REPO + ":pull,push");
    assertThat(resp.statusCode()).isEqualTo(200);
    String jwt = new JsonObject(resp.body()).getString("token");
    assertThat(TokenServerFixture.claims(jwt).getJsonArray("access")).isEqualTo(new JsonArray().add(new JsonObject()
        .put("type", "repository").put("name", REPO).put("actions", new JsonArray().add("pull"))));

    HttpResponse<String> open = openUpload(REPO, jwt);
    assertThat(open.statusCode()).as(why()).isIn(401, 403);
    assertThat(open.body()).containsAnyOf("DENIED", "UNAUTHORIZED");

    // but pull is fine
    HttpResponse<String> tags = send(get(registry.baseUrl() + "/v2/" + REPO + "/tags/list", "Bearer " + jwt));
    assertThat(tags.statusCode()).as(why()).isIn(200, 404);
  }

  @Test
  void tokenForAnotherRepositoryIsInsufficient() throws Exception {
    String jwt = new JsonObject(tokenGet(basic("alice", "s3cret!"), "repository:other/repo:pull,push").body())
        .getString("token");
    HttpResponse<String> open = openUpload(REPO, jwt);
    assertThat(open.statusCode()).as(why()).isEqualTo(401);
    assertThat(open.headers().firstValue("WWW-Authenticate").orElseThrow())
        .contains("error=\"insufficient_scope\"")
        .contains("scope=\"repository:" + REPO + ":pull,push\"");
  }

  @Test
  void wrongPasswordIsRejectedByTheTokenServer() throws Exception {
    HttpResponse<String> resp = tokenGet(basic("alice", "wrong"), "repository:" + REPO + ":pull");
    assertThat(resp.statusCode()).isEqualTo(401);
    HttpResponse<String> unknown = tokenGet(basic("mallory", "x"), "repository:" + REPO + ":pull");
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(auth.requests()).extracting(TokenRequest::status).containsExactly(401, 401);
    assertThat(auth.requests()).allMatch(TokenRequest::hadCredentials);
  }

  @Test
  void anonymousTokenHasNoAccessAndCannotPush() throws Exception {
    HttpResponse<String> resp = tokenGet(null, "repository:" + REPO + ":pull,push");
    assertThat(resp.statusCode()).isEqualTo(200);
    String jwt = new JsonObject(resp.body()).getString("token");
    JsonObject claims = TokenServerFixture.claims(jwt);
    assertThat(claims.getString("sub")).isEmpty();
    assertThat(claims.getJsonArray("access")).isEmpty();
    assertThat(auth.requests()).singleElement().satisfies(r -> {
      assertThat(r.hadCredentials()).isFalse();
      assertThat(r.user()).isNull();
    });

    HttpResponse<String> open = openUpload(REPO, jwt);
    assertThat(open.statusCode()).as(why()).isEqualTo(401);
    // a valid (signed) token with no access: the registry still knows it and answers insufficient_scope
    assertThat(open.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("insufficient_scope");
    HttpResponse<String> tags = send(get(registry.baseUrl() + "/v2/" + REPO + "/tags/list", "Bearer " + jwt));
    assertThat(tags.statusCode()).as(why()).isEqualTo(401);
  }

  @Test
  void forgedTokenIsRejected() throws Exception {
    String jwt = new JsonObject(tokenGet(basic("alice", "s3cret!"), "repository:" + REPO + ":pull,push").body())
        .getString("token");
    String[] parts = jwt.split("\\.");
    JsonObject claims = TokenServerFixture.claims(jwt).put("aud", "some-other-service");
    String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    HttpResponse<String> open = openUpload(REPO, tampered);
    assertThat(open.statusCode()).as(why()).isEqualTo(401);
    assertThat(open.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("invalid_token");
  }

  @Test
  void oauthPostFormGivesATokenTheRegistryAccepts() throws Exception {
    String form = "grant_type=password&username=alice&password=" + enc("s3cret!")
        + "&service=" + enc(auth.service())
        + "&scope=" + enc("repository:" + REPO + ":pull,push registry:catalog:*")
        + "&client_id=tugboat&access_type=offline";
    HttpResponse<String> resp = send(HttpRequest.newBuilder(URI.create(auth.realm()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build());
    assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
    JsonObject body = new JsonObject(resp.body());
    assertThat(body.containsKey("token")).isFalse();
    assertThat(body.getLong("expires_in")).isEqualTo(60L);
    String jwt = body.getString("access_token");
    assertThat(TokenServerFixture.claims(jwt).getJsonArray("access")).hasSize(2);

    uploadBlob(REPO, "oauth layer\n".getBytes(StandardCharsets.UTF_8), jwt);
    HttpResponse<String> catalog = send(get(registry.baseUrl() + "/v2/_catalog", "Bearer " + jwt));
    assertThat(catalog.statusCode()).as(why()).isEqualTo(200);

    // refresh_token grant
    String refresh = body.getString("refresh_token");
    assertThat(refresh).isNotEmpty();
    HttpResponse<String> refreshed = send(HttpRequest.newBuilder(URI.create(auth.realm()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("grant_type=refresh_token&refresh_token=" + enc(refresh)
            + "&service=" + enc(auth.service()) + "&scope=" + enc("repository:" + REPO + ":pull")
            + "&client_id=tugboat")).build());
    assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);
    assertThat(TokenServerFixture.claims(new JsonObject(refreshed.body()).getString("access_token"))
        .getString("sub")).isEqualTo("alice");

    // wrong password on the form → 401
    HttpResponse<String> wrong = send(HttpRequest.newBuilder(URI.create(auth.realm()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form.replace(enc("s3cret!"), "nope"))).build());
    assertThat(wrong.statusCode()).isEqualTo(401);

    assertThat(auth.requests()).extracting(TokenRequest::method, TokenRequest::grantType, TokenRequest::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("POST", "password", 200),
            org.assertj.core.groups.Tuple.tuple("POST", "refresh_token", 200),
            org.assertj.core.groups.Tuple.tuple("POST", "password", 401));
    assertThat(auth.requests().get(0).scopes())
        .containsExactly("repository:" + REPO + ":pull,push", "registry:catalog:*");
    assertThat(auth.requests().get(0).clientId()).isEqualTo("tugboat");
  }

  @Test
  void scopeNamesWithPortAndClassAndSeveralScopes() throws Exception {
    HttpResponse<String> resp = send(get(auth.realm() + "?service=" + enc(auth.service())
        + "&scope=" + enc("repository:localhost:5000/x/y:pull")
        + "&scope=" + enc("repository(plugin):demo/plug:pull,push")
        + "&scope=" + enc("registry:catalog:*"), basic("bob", "b0b")));
    JsonArray access = TokenServerFixture.claims(new JsonObject(resp.body()).getString("token"))
        .getJsonArray("access");
    assertThat(access).containsExactly(
        new JsonObject().put("type", "repository").put("name", "localhost:5000/x/y")
            .put("actions", new JsonArray().add("pull")),
        new JsonObject().put("type", "repository").put("class", "plugin").put("name", "demo/plug")
            .put("actions", new JsonArray().add("pull")),
        new JsonObject().put("type", "registry").put("name", "catalog").put("actions", new JsonArray().add("*")));
    assertThat(auth.requests().get(0).scopes()).hasSize(3);
  }

  @Test
  void anonymousPullIsConfigurable() throws Exception {
    try (TokenServerFixture open = TokenServerFixture.builder().anonymousPull(true).expiresIn(300).start()) {
      HttpResponse<String> resp = send(get(open.realm() + "?service=" + enc(open.service())
          + "&scope=" + enc("repository:a/b:pull,push"), null));
      JsonObject body = new JsonObject(resp.body());
      assertThat(body.getLong("expires_in")).isEqualTo(300L);
      assertThat(TokenServerFixture.claims(body.getString("token")).getJsonArray("access")).containsExactly(
          new JsonObject().put("type", "repository").put("name", "a/b").put("actions", new JsonArray().add("pull")));
      assertThat(open.certPath()).exists();
    }
  }

  // ---------------------------------------------------------------- helpers

  private HttpResponse<String> tokenGet(String authorization, String... scopes) throws Exception {
    StringBuilder url = new StringBuilder(auth.realm()).append("?service=").append(enc(auth.service()));
    for (String s : scopes) {
      url.append("&scope=").append(enc(s));
    }
    if (authorization != null) {
      String user = new String(Base64.getDecoder().decode(authorization.substring(6)), StandardCharsets.UTF_8)
          .split(":", 2)[0];
      url.append("&account=").append(enc(user));
    }
    return send(get(url.toString(), authorization));
  }

  private HttpResponse<String> openUpload(String repo, String jwt) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(registry.baseUrl() + "/v2/" + repo + "/blobs/uploads/"))
        .header("Authorization", "Bearer " + jwt)
        .POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  /** Monolithic upload with a bearer token: POST 202, PUT ?digest= 201. Returns the digest. */
  private String uploadBlob(String repo, byte[] data, String jwt) throws Exception {
    String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    HttpResponse<String> open = openUpload(repo, jwt);
    assertThat(open.statusCode()).as(why() + "\nbody " + open.body()).isEqualTo(202);
    String location = open.headers().firstValue("Location").orElseThrow();
    URI upload = URI.create(registry.baseUrl() + "/v2/" + repo + "/").resolve(location);
    String sep = upload.getRawQuery() == null ? "?" : "&";
    HttpResponse<String> put = send(HttpRequest.newBuilder(URI.create(upload + sep + "digest=" + digest))
        .header("Authorization", "Bearer " + jwt)
        .header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build());
    assertThat(put.statusCode()).as(why() + "\nbody " + put.body()).isEqualTo(201);
    assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    return digest;
  }

  /** {@code Bearer k="v",k="v"} → map (values without commas inside quotes are fine; scopes may contain commas). */
  private static Map<String, String> parseChallenge(String header) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\w+)=\"([^\"]*)\"").matcher(header);
    Map<String, String> out = new java.util.LinkedHashMap<>();
    while (m.find()) {
      out.put(m.group(1), m.group(2));
    }
    return out;
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest get(String url, String authorization) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return b.build();
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
