/// Where an IP address leads, for deciding whether FeePay may send a portal's webhook to it.
///
/// A portal names its webhook URL, and FeePay posts signed payer data there and shows the
/// outcome back in `/v1/webhook-deliveries`: a URL that leads inside (loopback, the private
/// ranges, link-local cloud metadata at 169.254.169.254, …) would turn FeePay into the
/// portal's probe of FeePay's own network. Only ``global`` addresses are sent to, unless the
/// operator allows private ones (`FEEPAY_WEBHOOK_ALLOW_PRIVATE=1`).
public enum AddressScope: String, Sendable, Hashable {
  /// A public unicast address: the only scope a webhook goes to by default.
  case global
  case loopback
  /// RFC 1918, shared address space (100.64.0.0/10), IPv6 unique-local and site-local.
  case privateUse = "private"
  case linkLocal = "link_local"
  case multicast
  /// `0.0.0.0/8` and `::`: "this host" to most stacks.
  case unspecified
  /// Documentation, benchmarking, IETF protocol and future-use ranges, and broadcast.
  case reserved
}

/// IPv4 (4 bytes) and IPv6 (16 bytes) addresses, classified. IPv6 forms that carry an IPv4
/// address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`
/// and 6to4 `2002::/16`) are judged by the IPv4 address they carry, so `::ffff:127.0.0.1`
/// is loopback.
public enum NetworkAddress {
  /// The scope of an address given as its 4 or 16 network-order bytes; nil for any other length.
  public static func scope(of bytes: [UInt8]) -> AddressScope? {
    switch bytes.count {
    case 4: scope(ipv4: bytes[0], bytes[1], bytes[2], bytes[3])
    case 16: scope(ipv6: bytes)
    default: nil
    }
  }

  static func scope(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> AddressScope {
    switch (a, b, c) {
    case (0, _, _): return .unspecified
    case (127, _, _): return .loopback
    case (10, _, _): return .privateUse
    case (172, 16...31, _): return .privateUse
    case (192, 168, _): return .privateUse
    case (100, 64...127, _): return .privateUse
    case (169, 254, _): return .linkLocal
    case (224...239, _, _): return .multicast
    case (240...255, _, _): return .reserved
    case (192, 0, 0), (192, 0, 2), (198, 51, 100), (203, 0, 113), (198, 18...19, _): return .reserved
    default: return .global
    }
  }

  static func scope(ipv6 x: [UInt8]) -> AddressScope {
    let prefix96Zero = x[0..<10].allSatisfy { $0 == 0 }
    if prefix96Zero && x[10] == 0xff && x[11] == 0xff {
      return scope(ipv4: x[12], x[13], x[14], x[15])  // IPv4-mapped
    }
    if prefix96Zero && x[10] == 0 && x[11] == 0 {
      if x[12..<15].allSatisfy({ $0 == 0 }) {
        if x[15] == 0 { return .unspecified }
        if x[15] == 1 { return .loopback }
      }
      return scope(ipv4: x[12], x[13], x[14], x[15])  // IPv4-compatible (deprecated, still routed by some stacks)
    }
    if x[0] == 0x00 && x[1] == 0x64 && x[2] == 0xff && x[3] == 0x9b && x[4..<12].allSatisfy({ $0 == 0 }) {
      return scope(ipv4: x[12], x[13], x[14], x[15])  // NAT64 well-known prefix
    }
    if x[0] == 0x20 && x[1] == 0x02 { return scope(ipv4: x[2], x[3], x[4], x[5]) }  // 6to4
    if x[0] == 0xff { return .multicast }
    if x[0] == 0xfe && (x[1] & 0xc0) == 0x80 { return .linkLocal }
    if x[0] == 0xfe && (x[1] & 0xc0) == 0xc0 { return .privateUse }  // site-local (deprecated)
    if (x[0] & 0xfe) == 0xfc { return .privateUse }  // unique local
    if x[0] == 0x20 && x[1] == 0x01 && x[2] == 0x0d && x[3] == 0xb8 { return .reserved }  // documentation
    if x[0] == 0x01 && x[1..<8].allSatisfy({ $0 == 0 }) { return .reserved }  // discard-only 100::/64
    return .global
  }
}

/// The rules for a URL FeePay will post to or send a citizen back to, before any lookup.
public enum OutboundURL {
  /// Why a webhook URL is refused, or nil: at most 2048 printable characters, a host, and
  /// `https://` unless `allowPrivate` (a laptop or a test, where the portal listens on
  /// `http://127.0.0.1`). `localhost` names are refused unless `allowPrivate`.
  public static func webhookRefusal(_ s: String, allowPrivate: Bool) -> String? {
    if let refusal = ProvisioningRules.webhookURL(s) { return refusal }
    if !allowPrivate && !s.hasPrefix("https://") {
      return "webhook URL must start with https:// (plain http only with FEEPAY_WEBHOOK_ALLOW_PRIVATE=1)"
    }
    if !allowPrivate, let host = host(of: s), host == "localhost" || host.hasSuffix(".localhost") {
      return "webhook URL names localhost"
    }
    return nil
  }

  /// The host of an `http(s)://` URL, lowercased, without brackets, port, user or path.
  public static func host(of s: String) -> String? {
    guard let colon = s.firstIndex(of: ":"), s[colon...].hasPrefix("://") else { return nil }
    let afterScheme = s.index(colon, offsetBy: 3)
    var authority = Substring(s[afterScheme...].prefix { $0 != "/" && $0 != "?" && $0 != "#" })
    if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
    if authority.hasPrefix("[") {
      guard let close = authority.firstIndex(of: "]") else { return nil }
      return authority[authority.index(after: authority.startIndex)..<close].lowercased()
    }
    let host = authority.prefix { $0 != ":" }
    return host.isEmpty ? nil : host.lowercased()
  }
}

extension OutboundURL {
  /// Why a VNPay return URL is refused, or nil: an https URL (no user part) whose host is one
  /// of `allowedHosts`, the portal's own (`feepay portal set-return-hosts`). VNPay sends the
  /// citizen there with signed payment parameters, so it must never be somebody else's page.
  public static func returnURLRefusal(_ s: String, allowedHosts: [String]) -> String? {
    guard ProvisioningRules.webhookURL(s) == nil, s.hasPrefix("https://"), let host = host(of: s) else {
      return "must be an https URL"
    }
    let authority = s.dropFirst("https://".count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
    if authority.contains("@") { return "must not carry a user name" }
    guard allowedHosts.contains(host) else {
      return allowedHosts.isEmpty
        ? "this portal has no return hosts (feepay portal set-return-hosts)"
        : "host \(host) is not one of this portal's return hosts"
    }
    return nil
  }

  /// Why a host name given to `portal set-return-hosts` is refused, or nil: a DNS name of
  /// letters, digits, hyphens and dots, at most 253 characters, no empty label.
  public static func hostNameRefusal(_ s: String) -> String? {
    let labels = s.split(separator: ".", omittingEmptySubsequences: false)
    guard (1...253).contains(s.utf8.count), labels.count >= 2,
      labels.allSatisfy({ label in
        (1...63).contains(label.count) && label.first != "-" && label.last != "-"
          && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
      })
    else { return "\(s) is not a host name (like portal.example.gov.vn)" }
    return nil
  }
}
