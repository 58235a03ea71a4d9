package dev.tugboat.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A Docker token-auth server (the {@code realm} of {@code WWW-Authenticate: Bearer ...}) for registry tests, issuing
 * RS256 JWTs in the format CNCF distribution 2.8 verifies ({@code registry/auth/token}): header with an {@code x5c}
 * chain holding a self-signed certificate, claims {@code iss, sub, aud, exp, nbf, iat, jti, access}. Start a real
 * registry that trusts it with {@link RegistryFixture.Builder#tokenAuth(TokenServerFixture)}.
 *
 * <pre>{@code
 * try (TokenServerFixture auth = TokenServerFixture.builder().user("alice", "s3cret").pullOnly("bob", "pw").start();
 *      RegistryFixture registry = RegistryFixture.builder().tokenAuth(auth).start()) { ... }
 * }</pre>
 *
 * <p>Endpoints (both at {@link #realm()}):
 * <ul>
 *   <li>{@code GET /token?service=S&scope=A&scope=B[&account=U][&offline_token=true]}, optional
 *       {@code Authorization: Basic}: → {@code {"token","access_token","expires_in","issued_at"}}
 *       (see {@link TokenField} for returning only one of the two token fields).</li>
 *   <li>{@code POST /token} form {@code grant_type=password&username&password&service&scope&client_id
 *       [&access_type=offline]} or {@code grant_type=refresh_token&refresh_token&service&scope&client_id} (the OAuth2
 *       variant, space-separated scopes) → {@code {"access_token","expires_in","issued_at","scope"[,"refresh_token"]}}.
 *       404 when {@link Builder#oauthPost(boolean)} is off.</li>
 * </ul>
 * Wrong credentials → 401. Anonymous requests get a token with an empty {@code access} list unless
 * {@link Builder#anonymousPull(boolean)}. Granted actions are the requested ones ∩ the user's permitted ones
 * ({@code pull,push,delete}/{@code *} for normal users, {@code pull} for pull-only users and anonymous pull;
 * {@code registry:catalog:*} for any authenticated user).
 */
public final class TokenServerFixture implements AutoCloseable {
  public static final String DEFAULT_ISSUER = "tugboat-test-issuer";
  public static final String DEFAULT_SERVICE = "tugboat-test-registry";
  public static final String SUBJECT_CN = "tugboat-test-token-issuer";
  private static final String LOOPBACK = "127.0.0.1";
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Which token field(s) the GET endpoint returns. The OAuth POST always returns {@code access_token}. */
  public enum TokenField { BOTH, TOKEN_ONLY, ACCESS_TOKEN_ONLY }

  /**
   * One call to the token endpoint, in arrival order.
   *
   * @param method {@code GET} or {@code POST}
   * @param grantType {@code null} for GET; the form's {@code grant_type} for POST
   * @param account {@code account} query parameter (GET) or {@code username} form field (POST), may be null
   * @param user the user the credentials authenticated (or tried to), null when anonymous
   * @param scopes the requested scopes, one entry per scope (space-separated values split)
   * @param hadCredentials whether Basic credentials (GET), a password or a refresh token (POST) were sent
   * @param clientId {@code client_id}, may be null
   * @param service the requested {@code service}
   * @param status the HTTP status the server answered
   */
  public record TokenRequest(String method, String grantType, String account, String user, List<String> scopes,
      boolean hadCredentials, String clientId, String service, int status) {
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final Path dir;
  private final Path certPath;
  private final PrivateKey privateKey;
  private final X509Certificate certificate;
  private final String x5c;
  private final String issuer;
  private final String service;
  private final Map<String, String> users;
  private final Set<String> pullOnlyUsers;
  private final boolean anonymousPull;
  private final boolean oauthPost;
  private volatile long expiresIn;
  private volatile TokenField tokenField;
  private final List<TokenRequest> requests = new CopyOnWriteArrayList<>();
  private final Map<String, String> refreshTokens = new ConcurrentHashMap<>();

  private TokenServerFixture(Builder b, Path dir) throws IOException, GeneralSecurityException {
    this.dir = dir;
    this.issuer = b.issuer;
    this.service = b.service;
    this.users = Map.copyOf(b.users);
    this.pullOnlyUsers = Set.copyOf(b.pullOnlyUsers);
    this.anonymousPull = b.anonymousPull;
    this.oauthPost = b.oauthPost;
    this.expiresIn = b.expiresIn;
    this.tokenField = b.tokenField;

    Path keyPath = dir.resolve("key.pem");
    this.certPath = dir.resolve("cert.pem");
    generateKeyAndCert(dir, keyPath, certPath);
    this.privateKey = loadPrivateKey(keyPath);
    try (InputStream in = Files.newInputStream(certPath)) {
      this.certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    this.x5c = Base64.getEncoder().encodeToString(certificate.getEncoded());

    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(LOOPBACK), 0), 50);
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "token-server-fixture");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/token", this::handle);
    server.start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A token server without users: only anonymous tokens (with empty access). */
  public static TokenServerFixture start() {
    return builder().start();
  }

  /** {@code http://127.0.0.1:PORT/token} */
  public String realm() {
    return "http://" + LOOPBACK + ":" + port() + "/token";
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The {@code service} (JWT {@code aud}) the registry is configured with. */
  public String service() {
    return service;
  }

  /** The JWT {@code iss} the registry is configured to trust. */
  public String issuer() {
    return issuer;
  }

  /** The self-signed signing certificate (PEM), the registry's {@code rootcertbundle}. */
  public Path certPath() {
    return certPath;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public long expiresIn() {
    return expiresIn;
  }

  /** Changes {@code expires_in} (and the JWT {@code exp}) of tokens issued from now on. */
  public TokenServerFixture expiresIn(long seconds) {
    this.expiresIn = seconds;
    return this;
  }

  /** Changes which token field(s) the GET endpoint returns from now on. */
  public TokenServerFixture tokenField(TokenField field) {
    this.tokenField = field;
    return this;
  }

  /** Every token request so far, in order (a snapshot). */
  public List<TokenRequest> requests() {
    return List.copyOf(requests);
  }

  public void resetRequests() {
    requests.clear();
  }

  /**
   * Mints a token directly (no HTTP, not recorded), e.g. for a token with a hand-picked access list.
   *
   * @param subject the JWT {@code sub} ("" for anonymous)
   * @param access entries {@code {"type","name","actions":[...]}}
   */
  public String mint(String subject, JsonArray access) {
    return sign(subject, access, Instant.now(), expiresIn);
  }

  /** Decodes the claims part of a JWT (no verification). */
  public static JsonObject claims(String jwt) {
    return part(jwt, 1);
  }

  /** Decodes the header part of a JWT (no verification). */
  public static JsonObject header(String jwt) {
    return part(jwt, 0);
  }

  private static JsonObject part(String jwt, int index) {
    String[] parts = jwt.split("\\.");
    if (parts.length != 3) {
      throw new IllegalArgumentException("not a JWS compact token: " + parts.length + " parts");
    }
    return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[index]), StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deleteQuietly(dir);
  }

  @Override
  public String toString() {
    return "TokenServerFixture[" + realm() + ", service " + service + ", issuer " + issuer + "]";
  }

  // ---------------------------------------------------------------- HTTP

  private void handle(HttpExchange ex) throws IOException {
    try {
      String method = ex.getRequestMethod();
      if ("GET".equals(method)) {
        handleGet(ex);
      } else if ("POST".equals(method)) {
        handlePost(ex);
      } else {
        reply(ex, 405, error("unsupported_method", method));
      }
    } catch (RuntimeException e) {
      reply(ex, 500, error("server_error", e.toString()));
    } finally {
      ex.close();
    }
  }

  private void handleGet(HttpExchange ex) throws IOException {
    Map<String, List<String>> q = parseForm(ex.getRequestURI().getRawQuery());
    String account = first(q, "account");
    String svc = first(q, "service");
    List<String> scopes = splitScopes(q.getOrDefault("scope", List.of()));
    boolean offline = "true".equalsIgnoreCase(first(q, "offline_token"));
    String clientId = first(q, "client_id");
    String[] basic = basicCredentials(ex.getRequestHeaders().getFirst("Authorization"));
    String user = basic == null ? null : basic[0];

    if (basic != null && !passwordMatches(basic[0], basic[1])) {
      record("GET", null, account, user, scopes, true, clientId, svc, 401);
      ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"" + realm() + "\"");
      reply(ex, 401, error("unauthorized", "invalid username or password"));
      return;
    }
    if (basic != null && account != null && !account.equals(basic[0])) {
      record("GET", null, account, user, scopes, true, clientId, svc, 400);
      reply(ex, 400, error("invalid_request", "account does not match the credentials"));
      return;
    }
    if (svc != null && !svc.equals(service)) {
      record("GET", null, account, user, scopes, basic != null, clientId, svc, 400);
      reply(ex, 400, error("invalid_request", "unknown service " + svc));
      return;
    }
    Instant now = Instant.now();
    long ttl = expiresIn;
    String jwt = sign(user == null ? "" : user, grant(user, scopes), now, ttl);
    JsonObject body = new JsonObject();
    TokenField field = tokenField;
    if (field != TokenField.ACCESS_TOKEN_ONLY) {
      body.put("token", jwt);
    }
    if (field != TokenField.TOKEN_ONLY) {
      body.put("access_token", jwt);
    }
    body.put("expires_in", ttl).put("issued_at", rfc3339(now));
    if (offline && user != null) {
      body.put("refresh_token", newRefreshToken(user));
    }
    record("GET", null, account, user, scopes, basic != null, clientId, svc, 200);
    reply(ex, 200, body);
  }

  private void handlePost(HttpExchange ex) throws IOException {
    byte[] raw;
    try (InputStream in = ex.getRequestBody()) {
      raw = in.readAllBytes();
    }
    if (!oauthPost) {
      record("POST", null, null, null, List.of(), false, null, null, 404);
      reply(ex, 404, error("not_found", "OAuth2 POST is disabled on this token server"));
      return;
    }
    Map<String, List<String>> f = parseForm(new String(raw, StandardCharsets.UTF_8));
    String grantType = first(f, "grant_type");
    String username = first(f, "username");
    String svc = first(f, "service");
    String clientId = first(f, "client_id");
    List<String> scopes = splitScopes(f.getOrDefault("scope", List.of()));
    boolean offline = "offline".equals(first(f, "access_type"));

    String user;
    boolean hadCredentials;
    if ("password".equals(grantType)) {
      String password = first(f, "password");
      hadCredentials = password != null;
      user = username;
      if (username == null || password == null) {
        record("POST", grantType, username, user, scopes, hadCredentials, clientId, svc, 400);
        reply(ex, 400, error("invalid_request", "username and password are required"));
        return;
      }
      if (!passwordMatches(username, password)) {
        record("POST", grantType, username, user, scopes, true, clientId, svc, 401);
        reply(ex, 401, error("invalid_grant", "invalid username or password"));
        return;
      }
    } else if ("refresh_token".equals(grantType)) {
      String refresh = first(f, "refresh_token");
      hadCredentials = refresh != null;
      user = refresh == null ? null : refreshTokens.get(refresh);
      if (user == null) {
        record("POST", grantType, username, null, scopes, hadCredentials, clientId, svc, 401);
        reply(ex, 401, error("invalid_grant", "unknown refresh token"));
        return;
      }
    } else {
      record("POST", grantType, username, null, scopes, false, clientId, svc, 400);
      reply(ex, 400, error("unsupported_grant_type", String.valueOf(grantType)));
      return;
    }
    if (clientId == null || clientId.isEmpty()) {
      record("POST", grantType, username, user, scopes, hadCredentials, null, svc, 400);
      reply(ex, 400, error("invalid_request", "client_id is required"));
      return;
    }
    if (svc == null || !svc.equals(service)) {
      record("POST", grantType, username, user, scopes, hadCredentials, clientId, svc, 400);
      reply(ex, 400, error("invalid_request", "unknown service " + svc));
      return;
    }
    Instant now = Instant.now();
    long ttl = expiresIn;
    JsonObject body = new JsonObject()
        .put("access_token", sign(user, grant(user, scopes), now, ttl))
        .put("expires_in", ttl)
        .put("issued_at", rfc3339(now))
        .put("scope", String.join(" ", scopes));
    if (offline) {
      body.put("refresh_token", newRefreshToken(user));
    }
    record("POST", grantType, username, user, scopes, hadCredentials, clientId, svc, 200);
    reply(ex, 200, body);
  }

  private void record(String method, String grantType, String account, String user, List<String> scopes,
      boolean hadCredentials, String clientId, String svc, int status) {
    requests.add(new TokenRequest(method, grantType, account, user, List.copyOf(scopes), hadCredentials, clientId,
        svc, status));
  }

  private boolean passwordMatches(String user, String password) {
    String expected = users.get(user);
    return expected != null && java.security.MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8));
  }

  private String newRefreshToken(String user) {
    byte[] b = new byte[24];
    RANDOM.nextBytes(b);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    refreshTokens.put(token, user);
    return token;
  }

  private static void reply(HttpExchange ex, int status, JsonObject body) throws IOException {
    byte[] bytes = body.encode().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  private static JsonObject error(String code, String details) {
    return new JsonObject().put("error", code).put("error_description", details).put("details", details);
  }

  // ---------------------------------------------------------------- scopes and access

  /** The JWT {@code access} list: for each requested scope, the requested ∩ permitted actions (dropped if empty). */
  private JsonArray grant(String user, List<String> scopes) {
    Map<String, JsonObject> byResource = new LinkedHashMap<>();
    for (String scope : scopes) {
      ParsedScope s = ParsedScope.parse(scope);
      if (s == null) {
        continue;
      }
      Set<String> granted = new LinkedHashSet<>();
      for (String action : s.actions()) {
        granted.addAll(permitted(user, s, action));
      }
      if (granted.isEmpty()) {
        continue;
      }
      String key = s.type() + "(" + s.resourceClass() + "):" + s.name();
      JsonObject entry = byResource.computeIfAbsent(key, k -> {
        JsonObject o = new JsonObject().put("type", s.type());
        if (s.resourceClass() != null) {
          o.put("class", s.resourceClass());
        }
        return o.put("name", s.name()).put("actions", new JsonArray());
      });
      JsonArray actions = entry.getJsonArray("actions");
      for (String a : granted) {
        if (!actions.contains(a)) {
          actions.add(a);
        }
      }
    }
    return new JsonArray(new ArrayList<>(byResource.values()));
  }

  /** The actions granted for one requested action ({@code *} may expand to a subset). */
  private List<String> permitted(String user, ParsedScope s, String action) {
    boolean anonymous = user == null;
    if ("registry".equals(s.type())) {
      // the catalog is read-only: any authenticated user, anonymous only with anonymousPull
      return (anonymous && !anonymousPull) ? List.of() : List.of(action);
    }
    if (!anonymous && !pullOnlyUsers.contains(user)) {
      return List.of(action); // full access: pull, push, delete, *
    }
    if (anonymous && !anonymousPull) {
      return List.of();
    }
    if ("pull".equals(action) || "*".equals(action)) {
      return List.of("pull");
    }
    return List.of();
  }

  /**
   * {@code type[(class)]:name:actions}: the type ends at the first ':', the actions start after the last ':' (a
   * name may contain a {@code host:port}).
   */
  record ParsedScope(String type, String resourceClass, String name, List<String> actions) {
    static ParsedScope parse(String scope) {
      int first = scope.indexOf(':');
      int last = scope.lastIndexOf(':');
      if (first <= 0 || last == first) {
        return null;
      }
      String type = scope.substring(0, first);
      String cls = null;
      int paren = type.indexOf('(');
      if (paren > 0 && type.endsWith(")")) {
        cls = type.substring(paren + 1, type.length() - 1);
        type = type.substring(0, paren);
      }
      String name = scope.substring(first + 1, last);
      List<String> actions = new ArrayList<>();
      for (String a : scope.substring(last + 1).split(",")) {
        if (!a.isBlank()) {
          actions.add(a.trim());
        }
      }
      return name.isEmpty() ? null : new ParsedScope(type, cls, name, actions);
    }
  }

  private static List<String> splitScopes(List<String> values) {
    List<String> out = new ArrayList<>();
    for (String v : values) {
      for (String s : v.trim().split(" +")) {
        if (!s.isEmpty()) {
          out.add(s);
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- JWT

  private String sign(String subject, JsonArray access, Instant now, long ttl) {
    long iat = now.getEpochSecond();
    JsonObject header = new JsonObject()
        .put("typ", "JWT")
        .put("alg", "RS256")
        .put("x5c", new JsonArray().add(x5c));
    byte[] jti = new byte[16];
    RANDOM.nextBytes(jti);
    JsonObject claims = new JsonObject()
        .put("iss", issuer)
        .put("sub", subject == null ? "" : subject)
        .put("aud", service)
        .put("exp", iat + ttl)
        .put("nbf", iat - 10)
        .put("iat", iat)
        .put("jti", HexFormat.of().formatHex(jti))
        .put("access", access);
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput = b64.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
    try {
      Signature sig = Signature.getInstance("SHA256withRSA");
      sig.initSign(privateKey);
      sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + b64.encodeToString(sig.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("could not sign token", e);
    }
  }

  private static String rfc3339(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  // ---------------------------------------------------------------- key material

  private static void generateKeyAndCert(Path dir, Path key, Path cert) throws IOException {
    List<String> cmd = List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=" + SUBJECT_CN,
        "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
        "-keyout", key.toString(), "-out", cert.toString());
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("openssl is needed to generate the token signing key "
          + "(`apt-get install -y openssl`): " + e.getMessage(), e);
    }
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("openssl req did not finish within 60 s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running openssl", e);
    }
    if (p.exitValue() != 0 || !Files.exists(key) || !Files.exists(cert)) {
      throw new IllegalStateException("`" + String.join(" ", cmd) + "` failed with exit code " + p.exitValue()
          + ":\n" + out);
    }
  }

  private static PrivateKey loadPrivateKey(Path pem) throws IOException, GeneralSecurityException {
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN PRIVATE KEY-----";
    String end = "-----END PRIVATE KEY-----";
    int b = text.indexOf(begin);
    int e = text.indexOf(end);
    if (b < 0 || e < b) {
      throw new IllegalStateException(pem + " is not a PKCS#8 PEM private key (expected " + begin + ")");
    }
    byte[] der = Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
  }

  // ---------------------------------------------------------------- helpers

  private static Map<String, List<String>> parseForm(String raw) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return out;
  }

  private static String first(Map<String, List<String>> m, String key) {
    List<String> v = m.get(key);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  /** {@code [user, password]} from {@code Basic ...}, or null if absent / not Basic / malformed. */
  private static String[] basicCredentials(String header) {
    if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return new String[] {"", "\u0000invalid"};
    }
    int colon = decoded.indexOf(':');
    return colon < 0 ? new String[] {decoded, ""} : new String[] {decoded.substring(0, colon),
        decoded.substring(colon + 1)};
  }

  private static void deleteQuietly(Path root) {
    try (var walk = Files.walk(root)) {
      walk.sorted(Collections.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }

  // ---------------------------------------------------------------- builder

  public static final class Builder {
    private final Map<String, String> users = new LinkedHashMap<>();
    private final Set<String> pullOnlyUsers = new LinkedHashSet<>();
    private String issuer = DEFAULT_ISSUER;
    private String service = DEFAULT_SERVICE;
    private boolean anonymousPull;
    private boolean oauthPost = true;
    private long expiresIn = 60;
    private TokenField tokenField = TokenField.BOTH;

    private Builder() {
    }

    /** Adds users (user → password); each may pull, push and delete everywhere unless marked pull-only. */
    public Builder users(Map<String, String> users) {
      users.forEach(this::user);
      return this;
    }

    public Builder user(String user, String password) {
      if (user == null || user.isEmpty() || user.contains(":")) {
        throw new IllegalArgumentException("user must be non-empty and contain no ':'");
      }
      users.put(user, password == null ? "" : password);
      return this;
    }

    /** Restricts a user (added with {@link #users} / {@link #user}) to {@code pull}. */
    public Builder pullOnly(String user) {
      pullOnlyUsers.add(user);
      return this;
    }

    /** Adds a user restricted to {@code pull}. */
    public Builder pullOnly(String user, String password) {
      return user(user, password).pullOnly(user);
    }

    /** Anonymous tokens grant {@code pull} (and the catalog); off by default (empty access). */
    public Builder anonymousPull(boolean anonymousPull) {
      this.anonymousPull = anonymousPull;
      return this;
    }

    /** Serve the OAuth2 {@code POST} variant (default true); false → POST answers 404. */
    public Builder oauthPost(boolean oauthPost) {
      this.oauthPost = oauthPost;
      return this;
    }

    public Builder issuer(String issuer) {
      this.issuer = issuer;
      return this;
    }

    public Builder service(String service) {
      this.service = service;
      return this;
    }

    /** {@code expires_in} and JWT lifetime in seconds (default 60). */
    public Builder expiresIn(long seconds) {
      this.expiresIn = seconds;
      return this;
    }

    public Builder tokenField(TokenField tokenField) {
      this.tokenField = tokenField;
      return this;
    }

    public TokenServerFixture start() {
      Path dir;
      try {
        dir = Files.createTempDirectory("tugboat-token-server-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      try {
        return new TokenServerFixture(this, dir);
      } catch (IOException e) {
        deleteQuietly(dir);
        throw new UncheckedIOException("could not start the token server fixture", e);
      } catch (GeneralSecurityException e) {
        deleteQuietly(dir);
        throw new IllegalStateException("could not load the generated key / certificate", e);
      } catch (RuntimeException e) {
        deleteQuietly(dir);
        throw e;
      }
    }
  }
}
