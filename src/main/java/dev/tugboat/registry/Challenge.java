package dev.tugboat.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@code WWW-Authenticate} challenge: {@code Bearer realm="…",service="…",scope="repository:a/b:pull,push"}
 * or {@code Basic realm="…"}. Quoted values may hold commas and escaped quotes; a header may carry several
 * challenges, of which the first Bearer (else the first Basic) is used.
 */
public record Challenge(String scheme, Map<String, String> params) {

  public boolean isBearer() {
    return scheme.equals("bearer");
  }

  public boolean isBasic() {
    return scheme.equals("basic");
  }

  public String realm() {
    return params.get("realm");
  }

  public String service() {
    return params.get("service");
  }

  /** The scopes the registry asked for (the {@code scope} value is space-separated). */
  public List<String> scopes() {
    String scope = params.get("scope");
    List<String> out = new ArrayList<>();
    if (scope != null) {
      for (String s : scope.trim().split("\\s+")) {
        if (!s.isEmpty()) {
          out.add(s);
        }
      }
    }
    return out;
  }

  /** Parses a header; null when it holds no Basic or Bearer challenge. */
  public static Challenge parse(String header) {
    if (header == null) {
      return null;
    }
    List<Challenge> all = new ArrayList<>();
    Parser p = new Parser(header);
    while (p.more()) {
      String scheme = p.token();
      if (scheme.isEmpty()) {
        p.skip();
        continue;
      }
      Map<String, String> params = new LinkedHashMap<>();
      p.spaces();
      while (p.more()) {
        int mark = p.pos;
        String key = p.token();
        p.spaces();
        if (key.isEmpty() || !p.consume('=')) { // the next challenge's scheme
          p.pos = mark;
          break;
        }
        p.spaces();
        params.put(key.toLowerCase(Locale.ROOT), p.value());
        p.spaces();
        p.consume(',');
        p.spaces();
      }
      all.add(new Challenge(scheme.toLowerCase(Locale.ROOT), Map.copyOf(params)));
    }
    return all.stream().filter(Challenge::isBearer).findFirst()
        .orElse(all.stream().filter(Challenge::isBasic).findFirst().orElse(null));
  }

  private static final class Parser {
    final String s;
    int pos;

    Parser(String s) {
      this.s = s;
    }

    boolean more() {
      spaces();
      return pos < s.length();
    }

    void spaces() {
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t' || s.charAt(pos) == ',')) {
        pos++;
      }
    }

    void skip() {
      pos++;
    }

    boolean consume(char c) {
      if (pos < s.length() && s.charAt(pos) == c) {
        pos++;
        return true;
      }
      return false;
    }

    String token() {
      int start = pos;
      while (pos < s.length() && "=, \t\"".indexOf(s.charAt(pos)) < 0) {
        pos++;
      }
      return s.substring(start, pos);
    }

    String value() {
      if (!consume('"')) {
        return token();
      }
      StringBuilder out = new StringBuilder();
      while (pos < s.length() && s.charAt(pos) != '"') {
        char c = s.charAt(pos++);
        if (c == '\\' && pos < s.length()) {
          c = s.charAt(pos++);
        }
        out.append(c);
      }
      consume('"');
      return out.toString();
    }
  }
}
