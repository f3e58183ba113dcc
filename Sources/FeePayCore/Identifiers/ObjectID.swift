import Foundation

/// The kinds of object FeePay hands out ids for, and their prefixes.
public enum ObjectKind: String, Sendable, CaseIterable {
  case invoice = "inv"
  case payment = "pay"
  case receipt = "rct"
  case event = "evt"
  case settlement = "stl"
  case exception = "exc"
  case apiKey = "key"
  case callback = "cbk"
  case journal = "jnl"
  case staff = "stf"
}

/// Makes ids of the form `inv_01jd…`: the kind's prefix, an underscore, and a UUIDv7 written
/// as 26 lowercase Crockford base32 characters. The text sorts in creation order (to the
/// millisecond), which keeps cursor pagination and B-tree inserts cheap. Clients must treat
/// ids as opaque.
public struct IDGenerator: Sendable {
  private let clock: any WallClock

  public init(clock: any WallClock) { self.clock = clock }

  public func make(_ kind: ObjectKind) -> String {
    kind.rawValue + "_" + Self.encode(uuidV7(at: clock.now))
  }

  /// Whether `text` has the shape of an id of `kind` (it may still not exist).
  public static func isWellFormed(_ text: String, kind: ObjectKind) -> Bool {
    let prefix = kind.rawValue + "_"
    guard text.hasPrefix(prefix), text.utf8.count == prefix.utf8.count + 26 else { return false }
    return text.utf8.dropFirst(prefix.utf8.count).allSatisfy { lowerAlphabet.contains($0) }
  }

  func uuidV7(at date: Date) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 16)
    var rng = SystemRandomNumberGenerator()
    for i in 6..<16 { bytes[i] = rng.next() }
    let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
    for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: millis >> (40 - 8 * UInt64(i))) }
    bytes[6] = (bytes[6] & 0x0F) | 0x70
    bytes[8] = (bytes[8] & 0x3F) | 0x80
    return bytes
  }

  static let lowerAlphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

  /// 128 bits as 26 base32 digits, most significant first (the first digit carries 3 bits).
  static func encode(_ bytes: [UInt8]) -> String {
    var out = [UInt8](repeating: 0, count: 26)
    var hi = UInt64(0)
    var lo = UInt64(0)
    for i in 0..<8 { hi = hi << 8 | UInt64(bytes[i]) }
    for i in 8..<16 { lo = lo << 8 | UInt64(bytes[i]) }
    for i in stride(from: 25, through: 0, by: -1) {
      out[i] = lowerAlphabet[Int(lo & 31)]
      lo = (lo >> 5) | (hi << 59)
      hi >>= 5
    }
    return String(decoding: out, as: UTF8.self)
  }
}
