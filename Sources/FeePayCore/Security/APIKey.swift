import Crypto
import Foundation

/// Roles an API key can carry.
public enum Role: String, Sendable, Codable, CaseIterable {
  case portal, accountant, auditor, admin
}

/// A freshly generated API key: `fpk_` followed by 32 random bytes in base64url. Only its
/// SHA-256 and a short lookup prefix are stored; the whole key is shown once.
public struct NewAPIKey: Sendable {
  public let secret: String
  public let prefix: String
  public let hash: [UInt8]

  public static let marker = "fpk_"
  /// Characters of the random part kept in the lookup prefix.
  public static let prefixLength = 8

  public static func generate() -> NewAPIKey {
    let secret = marker + Base64URL.encode(randomBytes(32))
    return NewAPIKey(secret: secret, prefix: lookupPrefix(of: secret)!, hash: sha256(secret))
  }

  /// The lookup prefix (`fpk_` and the first 8 characters) of a key, or `nil` if the text
  /// is not shaped like a key.
  public static func lookupPrefix(of key: String) -> String? {
    guard key.hasPrefix(marker), key.utf8.count >= marker.utf8.count + 43, key.utf8.count <= 128,
      key.utf8.dropFirst(marker.utf8.count).allSatisfy(Base64URL.isAlphabet)
    else { return nil }
    return String(key.prefix(marker.count + prefixLength))
  }

  public static func sha256(_ key: String) -> [UInt8] { Array(SHA256.hash(data: Data(key.utf8))) }
}

/// A portal's webhook signing secret in Standard Webhooks form: `whsec_` + base64 of 32
/// random bytes.
public enum WebhookSecret {
  public static func generate() -> String { "whsec_" + Data(randomBytes(32)).base64EncodedString() }
}

/// Comparison whose time does not depend on where the inputs differ.
public func constantTimeEquals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
  guard a.count == b.count else { return false }
  var difference: UInt8 = 0
  for (x, y) in zip(a, b) { difference |= x ^ y }
  return difference == 0
}

/// Cryptographically secure random bytes.
public func randomBytes(_ count: Int) -> [UInt8] {
  var rng = SystemRandomNumberGenerator()
  return (0..<count).map { _ in rng.next() }
}

/// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5).
public enum Base64URL {
  static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

  /// RFC 4648 §5 base64url without padding (every request id goes through it).
  public static func encode(_ bytes: some Collection<UInt8>) -> String {
    let input = Array(bytes)
    var out: [UInt8] = []
    out.reserveCapacity((input.count * 4 + 2) / 3)
    var i = 0
    while i + 3 <= input.count {
      let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
      for shift in [18, 12, 6, 0] as [UInt32] { out.append(alphabet[Int((n >> shift) & 63)]) }
      i += 3
    }
    let rest = input.count - i
    if rest > 0 {
      let n = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
      out.append(alphabet[Int((n >> 18) & 63)])
      out.append(alphabet[Int((n >> 12) & 63)])
      if rest == 2 { out.append(alphabet[Int((n >> 6) & 63)]) }
    }
    return String(decoding: out, as: UTF8.self)
  }

  public static func decode(_ text: String) -> [UInt8]? {
    guard text.utf8.allSatisfy(isAlphabet) else { return nil }
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.utf8.count % 4 != 0 { base64 += "=" }
    return Data(base64Encoded: base64).map(Array.init)
  }

  static func isAlphabet(_ b: UInt8) -> Bool {
    (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 95
  }
}
