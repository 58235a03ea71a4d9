package dev.tugboat.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

/**
 * Seeded hostile input for fuzzing: strings (NUL, control characters, lone surrogates, huge, markup, injection
 * attempts, a credential marker), out-of-range numbers, image references and digests, raw path and query text.
 * No value is a host name that could resolve beyond loopback (every string holds a character no host name has, or
 * is a loopback address), and every reference that parses names a loopback host (closed ports or the test's own
 * registry, never Docker Hub), so no fuzzed request makes the node send traffic, DNS included, off loopback.
 */
public final class HostileValues {
  /**
   * Put only where a secret goes (passwords, tokens, credentials in URLs, Authorization headers); an answer that
   * contains it echoed a secret. Other strings never hold it, so naming a refused value is not mistaken for a leak.
   */
  public static final String SECRET = "s3cr3t-F0ZZ";

  private static final String HEX = "0123456789abcdef";
  private static final List<String> STRINGS = List.of(
      "", " ", "\t", "\u0000", "a\u0000b", "%00", "\u0001\u0002", "\u007f", "line\nbreak", "\r\n\r\nX-Injected: 1",
      "\ud800", "\udc00x", "\ud83d\ude00 emoji", "\u202eRTL", "e\u0301", "\uFEFFbom", "../../../etc/passwd", "..",
      "x!/../b", "//", "%zz", "%", "%ff%fe", "%C0%80", "%2F", "a b", "${jndi:ldap://127.0.0.1:1/a}", "{{7*7}}",
      "<script>alert(1)</script>", "'; DROP TABLE allowlist_images; --", "\" OR 1=1 --", "\\", "\"", "null!", "\u22121",
      "1e999!", "[]", "{}", "sha256:not a digest", "UP PER/Case", "ÄÖÜ/ß", "http://user:pw@127.0.0.1:1 x",
      "Bearer x.y.z");

  private final Random random;
  private final List<String> hosts;

  /** @param hosts loopback {@code host:port} values references and URLs may name (closed ports, the test registry) */
  public HostileValues(Random random, List<String> hosts) {
    this.random = random;
    this.hosts = List.copyOf(hosts);
  }

  public Random random() {
    return random;
  }

  public boolean chance(double p) {
    return random.nextDouble() < p;
  }

  public int nextInt(int bound) {
    return random.nextInt(bound);
  }

  public <T> T pick(List<T> items) {
    return items.get(random.nextInt(items.size()));
  }

  public String host() {
    return pick(hosts);
  }

  /** A hostile string; now and then a huge one. */
  public String string() {
    return switch (random.nextInt(12)) {
      case 0 -> "x!".repeat(1 + random.nextInt(3000)); // long, and not a host name ('!')
      case 1 -> new String(Character.toChars(0x10000 + random.nextInt(0x1000))).repeat(1 + random.nextInt(600));
      case 2 -> pick(STRINGS) + pick(STRINGS);
      case 3 -> "é".repeat(511 + random.nextInt(3)); // around the 512-character columns, 2 bytes each
      case 4 -> "a!".repeat(127 + random.nextInt(3)); // around the 255-character columns
      default -> pick(STRINGS);
    };
  }

  /** A number out of range or of the wrong kind for counts, limits and flags. */
  public Object number() {
    return pick(List.<Object>of(0, -1, 1.5, 2.5, -0.0, Integer.MAX_VALUE, Integer.MIN_VALUE, 4294967297L,
        -4294967293L, Long.MAX_VALUE, Long.MIN_VALUE, 1e308, -1e308, 1e-300, new BigInteger("123456789012345678901234567890"),
        new BigDecimal("0.000000000000000000000000000001"), 3.0, 100, 101, 1000, 1001));
  }

  /** Any JSON value, nested at most {@code depth} levels. */
  public Object value(int depth) {
    int kind = random.nextInt(depth > 0 ? 7 : 5);
    return switch (kind) {
      case 0 -> string();
      case 1 -> number();
      case 2 -> random.nextBoolean();
      case 3 -> null;
      case 4 -> pick(List.<Object>of("", 0, false, new JsonArray(), new JsonObject()));
      case 5 -> {
        JsonArray array = new JsonArray();
        for (int i = random.nextInt(4); i > 0; i--) {
          array.add(value(depth - 1));
        }
        yield array;
      }
      default -> {
        JsonObject object = new JsonObject();
        for (int i = random.nextInt(4); i > 0; i--) {
          object.put(random.nextBoolean() ? "k" + i : string(), value(depth - 1));
        }
        yield object;
      }
    };
  }

  /** A digest: valid, malformed, of another algorithm, wrong length or case. */
  public String digest() {
    return switch (random.nextInt(8)) {
      case 0, 1 -> "sha256:" + hex(64);
      case 2 -> "sha256:" + hex(63);
      case 3 -> "sha256:" + hex(65);
      case 4 -> "sha256:" + hex(64).toUpperCase();
      case 5 -> "sha512:" + hex(128);
      case 6 -> "md5:" + hex(32);
      default -> pick(List.of("sha256:", "sha256:not a digest", ":" + hex(64), hex(64), "sha256:" + hex(64) + "\u0000"));
    };
  }

  /** An image reference on a loopback host, or broken in one of many ways (never a valid Docker Hub name). */
  public String reference() {
    String repo = pick(List.of("fuzz", "fuzz/app", "library/x", "a-b/c_d/e.f", "UPPER", "a//b", "-x", "x-", "a".repeat(256),
        "%2e%2e", "a\u0000b", "ü"));
    String tag = pick(List.of("1.0", "latest", "v1.2.3", "t".repeat(128), "t".repeat(129), ".bad", "-bad", "a b", ""));
    return switch (random.nextInt(9)) {
      case 0 -> host() + "/" + repo + ":" + tag;
      case 1 -> host() + "/" + repo + "@" + digest();
      case 2 -> host() + "/" + repo + ":" + tag + "@" + digest();
      case 3, 4 -> pick(List.of("127.0.0.1:99999/x", "[zz]/x", "[::1]:1/x:1", "localhost:1/x", "a..b/x", "-h:1/x",
          "127.0.0.1:1:2/x", "@sha256:" + hex(64), ":tag", "x@", "x:", "x:1:2", "/x", "x/"));
      case 5 -> host() + "/" + "a/".repeat(400) + "b";
      default -> host() + "/" + repo + ":" + tag;
    };
  }

  /** Raw request-target text for one path segment: usually percent-encoded, sometimes raw bad escapes or bytes. */
  public String pathSegment(String usual) {
    return switch (random.nextInt(10)) {
      case 0 -> pick(List.of("%00", "a%00b", "%zz", "%", "%f", "%ff%fe", "%C0%80", "%ED%A0%80", "%2e%2e", "..", "%2F%2F"));
      case 1 -> "\u00ff\u00fe"; // bytes 0xFF 0xFE, not UTF-8
      case 2 -> "a".repeat(3000 + random.nextInt(2000)); // near and over the 4096-byte request line
      case 3 -> encode(string());
      case 4 -> encode(reference());
      default -> usual;
    };
  }

  /** A query value as raw text. */
  public String queryValue(String usual) {
    return switch (random.nextInt(8)) {
      case 0 -> pick(List.of("%00", "%zz", "%", "a+b", "%ff", "&", "=", "a=b=c"));
      case 1 -> encode(string());
      case 2 -> encode(String.valueOf(number()));
      default -> encode(usual);
    };
  }

  public String hex(int length) {
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append(HEX.charAt(random.nextInt(16)));
    }
    return out.toString();
  }

  /** Percent-encoding of the UTF-8 form (a lone surrogate becomes '?', as the JDK encodes it). */
  public static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
