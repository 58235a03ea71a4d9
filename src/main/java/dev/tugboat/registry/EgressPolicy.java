package dev.tugboat.registry;

import io.netty.util.NetUtil;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which hosts Tugboat may call (registries, token servers, Nomad, notification webhooks), in one place:
 * {@code egress.deny} wins; when {@code egress.allow} is not empty a host must match it too. A pattern is a
 * host name ({@code metadata.google.internal}), a wildcard suffix ({@code *.internal}), an IP address or a CIDR
 * block ({@code 169.254.0.0/16}, {@code fe80::/10}). Every outbound request checks its URL's host before it is
 * sent ({@link #check}), every redirect target too, and every connection is checked again on the address it
 * actually reached ({@link #connectGuard}), so a name that resolves into a denied block is refused as well.
 */
public final class EgressPolicy {
  private static final Logger LOG = LoggerFactory.getLogger(EgressPolicy.class);

  /** Link-local and the cloud metadata addresses: refused unless {@code egress.deny} is set otherwise. */
  public static final List<String> DEFAULT_DENY = List.of("169.254.0.0/16", "fe80::/10", "fd00:ec2::254");

  /** Nothing denied, nothing required: for tools and tests that call fixed loopback servers. */
  public static final EgressPolicy OPEN = new EgressPolicy(List.of(), List.of());

  /** A refused call, typed so routes and workers can tell it from a registry that failed. */
  public static final class Denied extends RuntimeException {
    public Denied(String message) {
      super(message, null, false, false);
    }
  }

  private record Rule(String text, String name, byte[] network, int prefix) {
    boolean matchesName(String host) {
      if (name == null) {
        return false;
      }
      return name.startsWith("*.") ? host.endsWith(name.substring(1)) : host.equals(name);
    }

    boolean matchesAddress(byte[] address) {
      if (network == null || network.length != address.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (network[i] != address[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      return rest == 0 || ((network[full] ^ address[full]) & (0xff << (8 - rest)) & 0xff) == 0;
    }
  }

  private final List<Rule> allow;
  private final List<Rule> deny;

  private EgressPolicy(List<Rule> allow, List<Rule> deny) {
    this.allow = allow;
    this.deny = deny;
  }

  /** The policy of {@code egress.allow} / {@code egress.deny}; an unreadable pattern is an IllegalArgumentException naming it. */
  public static EgressPolicy of(List<String> allow, List<String> deny) {
    return new EgressPolicy(rules(allow), rules(deny));
  }

  private static List<Rule> rules(List<String> patterns) {
    List<Rule> out = new ArrayList<>();
    for (String raw : patterns) {
      String p = raw.trim().toLowerCase(Locale.ROOT);
      if (p.isEmpty()) {
        continue;
      }
      int slash = p.indexOf('/');
      String addressPart = slash < 0 ? p : p.substring(0, slash);
      byte[] address = bytes(addressPart);
      if (address != null) {
        int max = address.length * 8;
        int prefix = max;
        if (slash >= 0) {
          try {
            prefix = Integer.parseInt(p.substring(slash + 1));
          } catch (NumberFormatException e) {
            prefix = -1;
          }
          if (prefix < 0 || prefix > max) {
            throw new IllegalArgumentException("'" + raw + "': the prefix length must be 0 to " + max);
          }
        }
        out.add(new Rule(raw.trim(), null, address, prefix));
      } else if (slash < 0 && p.matches("(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
        out.add(new Rule(raw.trim(), p, null, 0));
      } else {
        throw new IllegalArgumentException("'" + raw + "' is neither a host name, *.suffix, an IP address nor a CIDR block");
      }
    }
    return List.copyOf(out);
  }

  /**
   * The address bytes of an IP literal (IPv4-mapped IPv6 as IPv4, so {@code ::ffff:169.254.169.254} is
   * 169.254.169.254), or null for a host name. Never resolves anything.
   */
  private static byte[] bytes(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    byte[] raw = NetUtil.createByteArrayFromIpAddressString(h);
    if (raw == null) {
      return null;
    }
    try {
      InetAddress address = InetAddress.getByAddress(raw); // maps ::ffff:a.b.c.d to an Inet4Address
      return address instanceof Inet4Address ? address.getAddress() : raw;
    } catch (java.net.UnknownHostException e) {
      return null;
    }
  }

  /** The host of {@code host[:port]} or {@code [v6][:port]}, lower case, without brackets. */
  static String hostOnly(String hostAndPort) {
    String h = hostAndPort.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? h : h.substring(1, end);
    }
    int colon = h.indexOf(':');
    return colon >= 0 && h.indexOf(':', colon + 1) < 0 ? h.substring(0, colon) : h; // a bare IPv6 keeps its colons
  }

  /** Why calls to {@code host} (a name or address, with or without port) are refused, or null when allowed. */
  public String refusal(String host) {
    String h = hostOnly(host);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1); // "metadata.google.internal." is the same host
    }
    byte[] address = bytes(h);
    for (Rule rule : deny) {
      if (address != null ? rule.matchesAddress(address) : rule.matchesName(h)) {
        return "egress to " + h + " is denied (egress.deny: " + rule.text() + ")";
      }
    }
    if (allow.isEmpty()) {
      return null;
    }
    for (Rule rule : allow) {
      if (address != null ? rule.matchesAddress(address) : rule.matchesName(h)) {
        return null;
      }
    }
    return "egress to " + h + " is not allowed (not in egress.allow)";
  }

  /** Why a connection to the address {@code ip} is refused (deny blocks only: names were checked before), or null. */
  public String refusalOfAddress(String ip) {
    byte[] address = bytes(ip);
    if (address == null) {
      return null;
    }
    for (Rule rule : deny) {
      if (rule.matchesAddress(address)) {
        return "egress to " + ip + " is denied (egress.deny: " + rule.text() + ")";
      }
    }
    return null;
  }

  /** Fails with {@link Denied} when the host of {@code url} is refused; call before sending and before following a redirect. */
  public void check(String url) {
    String host;
    try {
      URI uri = URI.create(url);
      host = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
    } catch (IllegalArgumentException e) {
      throw new Denied("not a URL Tugboat can call");
    }
    if (host == null) {
      throw new Denied("not a URL Tugboat can call (no host)");
    }
    String refusal = refusal(host);
    if (refusal != null) {
      throw new Denied(refusal);
    }
  }

  /**
   * For {@code httpClientBuilder().withConnectHandler}: closes a connection whose remote address is denied
   * (the request on it then fails), covering names that resolve into a denied block.
   */
  public Handler<HttpConnection> connectGuard() {
    return connection -> {
      String ip = connection.remoteAddress() == null ? null : connection.remoteAddress().hostAddress();
      String refusal = ip == null ? null : refusalOfAddress(ip);
      if (refusal != null) {
        LOG.warn("outbound connection closed: {}", refusal);
        connection.close();
      }
    };
  }

  @Override
  public String toString() {
    return "EgressPolicy[allow=" + allow.stream().map(Rule::text).toList() + ", deny="
        + deny.stream().map(Rule::text).toList() + "]";
  }
}
