/// The code a citizen's transfer memo carries (docs/design/protocols.md §6): 11 characters of Crockford
/// base32 — a 2-character prefix, 8 random characters (40 bits) and a Luhn mod 32 check
/// character — so that a typo is rejected instead of matching another invoice.
public struct PaymentCode: Sendable, Hashable, CustomStringConvertible {
  public static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
  public static let length = 11

  /// The canonical 11-character form, uppercase.
  public let value: String

  public var description: String { value }

  private init(unchecked value: String) { self.value = value }

  /// A fresh code with `prefix` (2 characters of the alphabet) and 40 random bits.
  public static func generate(prefix: String = "FP") -> PaymentCode {
    precondition(isValidPrefix(prefix), "payment code prefix must be 2 Crockford base32 characters")
    var rng = SystemRandomNumberGenerator()
    var body = Array(prefix.utf8)
    let bits = rng.next() as UInt64
    for i in 0..<8 { body.append(alphabet[Int((bits >> (5 * UInt64(i))) & 31)]) }
    body.append(checkCharacter(for: body))
    return PaymentCode(unchecked: String(decoding: body, as: UTF8.self))
  }

  public static func isValidPrefix(_ prefix: String) -> Bool {
    prefix.utf8.count == 2 && prefix.utf8.allSatisfy { alphabet.contains($0) }
  }

  /// Reads a code back the forgiving way: case is ignored, `O` is `0`, `I` and `L` are `1`,
  /// and spaces, dashes and dots are dropped. Answers `nil` unless what remains is 11
  /// characters of the alphabet whose check character is right.
  public init?(parsing text: String) {
    var normalized: [UInt8] = []
    normalized.reserveCapacity(Self.length)
    for byte in text.utf8 {
      switch byte {
      case 0x20, 0x2D, 0x2E, 0x09: continue
      default:
        guard let mapped = Self.normalize(byte) else { return nil }
        normalized.append(mapped)
        if normalized.count > Self.length { return nil }
      }
    }
    guard normalized.count == Self.length,
      Self.checkCharacter(for: normalized.prefix(Self.length - 1)) == normalized[Self.length - 1]
    else { return nil }
    self.init(unchecked: String(decoding: normalized, as: UTF8.self))
  }

  /// Maps one byte to its canonical alphabet character, or `nil` if it has none.
  static func normalize(_ byte: UInt8) -> UInt8? {
    var b = byte
    if b >= 0x61 && b <= 0x7A { b -= 0x20 }  // lowercase → uppercase
    switch b {
    case UInt8(ascii: "O"): return UInt8(ascii: "0")
    case UInt8(ascii: "I"), UInt8(ascii: "L"): return UInt8(ascii: "1")
    default: return alphabet.contains(b) ? b : nil
    }
  }

  static func digit(_ byte: UInt8) -> Int { alphabet.firstIndex(of: byte)! }

  /// Luhn mod N (N = 32) over the body, rightmost character doubled first.
  public static func checkCharacter(for body: some Collection<UInt8>) -> UInt8 {
    var factor = 2
    var sum = 0
    for byte in body.reversed() {
      var addend = factor * digit(byte)
      factor = factor == 2 ? 1 : 2
      addend = addend / 32 + addend % 32
      sum += addend
    }
    return alphabet[(32 - sum % 32) % 32]
  }

  /// Finds a payment code inside a bank transfer memo, as banks mangle it: any case, spaces
  /// or dashes inside the code, extra words around it. Only a candidate whose check
  /// character is right is returned; with several different valid codes, none is (the memo
  /// is ambiguous).
  public static func find(inMemo memo: String, prefix: String = "FP") -> PaymentCode? {
    let prefixBytes = Array(prefix.utf8)
    // Keep code characters and separators; break runs at anything else.
    var tokens: [[UInt8]] = [[]]
    for byte in memo.utf8 {
      if byte == 0x20 || byte == 0x2D || byte == 0x2E || byte == 0x09 || byte == 0x5F {
        tokens[tokens.count - 1].append(0x20)
      } else if let mapped = normalize(byte) {
        tokens[tokens.count - 1].append(mapped)
      } else {
        tokens.append([])
      }
    }
    var found: Set<String> = []
    for token in tokens {
      let chars = token.filter { $0 != 0x20 }
      guard chars.count >= length else { continue }
      // Candidate starts: only at the start of a word, so that a code is not carved out of
      // the middle of an unrelated long number.
      var starts: [Int] = []
      var charIndex = 0
      var atWordStart = true
      for byte in token {
        if byte == 0x20 {
          atWordStart = true
          continue
        }
        if atWordStart { starts.append(charIndex) }
        atWordStart = false
        charIndex += 1
      }
      for start in starts where start + length <= chars.count {
        let candidate = chars[start..<(start + length)]
        if candidate.starts(with: prefixBytes),
          checkCharacter(for: candidate.prefix(length - 1)) == candidate.last!
        {
          found.insert(String(decoding: candidate, as: UTF8.self))
        }
      }
    }
    guard found.count == 1, let only = found.first else { return nil }
    return PaymentCode(unchecked: only)
  }
}

/// The token of a citizen's payment link (`/pay/<token>`): 128 random bits in base64url
/// (22 characters), so that knowing a payment code, which bank statements print, does not
/// open the page.
public enum PayToken {
  public static let length = 22

  public static func generate() -> String {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    return Base64URL.encode(bytes)
  }

  /// Whether `text` has a token's shape (22 base64url characters); what it names is the store's to say.
  public static func isWellFormed(_ text: String) -> Bool {
    text.utf8.count == length
      && text.utf8.allSatisfy {
        ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95
      }
  }
}
