import Foundation

extension String {
  /// The string in Unicode Normalization Form C. Vietnamese text arrives both composed and
  /// decomposed; FeePay stores and compares only NFC.
  public var nfc: String {
    // ASCII is its own normal form: skip Foundation's normalization (the common case on the
    // hot paths: bank memos, codes, most statement fields).
    utf8.allSatisfy { $0 < 0x80 } ? self : precomposedStringWithCanonicalMapping
  }

  /// The text without leading and trailing whitespace (`CharacterSet.whitespaces`: spaces,
  /// tabs and the Unicode space separators). Text that starts and ends with a printable
  /// ASCII character other than a space is returned as it is, without Foundation's cost.
  public var trimmingSpaces: String {
    guard let first = utf8.first, let last = utf8.last else { return self }
    if first > 0x20, first < 0x7F, last > 0x20, last < 0x7F { return self }
    return trimmingCharacters(in: .whitespaces)
  }

  /// Vietnamese text folded to plain ASCII for fields that allow only ASCII (bank memos,
  /// VietQR purpose, VNPay order info): diacritics dropped, `đ` → `d`, anything else outside
  /// printable ASCII removed.
  public var asciiFolded: String {
    var out = String.UnicodeScalarView()
    for scalar in decomposedStringWithCanonicalMapping.unicodeScalars {
      switch scalar {
      case "đ": out.append("d")
      case "Đ": out.append("D")
      case _ where scalar.value >= 0x20 && scalar.value < 0x7F: out.append(scalar)
      default: continue
      }
    }
    return String(out)
  }

  /// Whether every scalar is printable ASCII (0x20–0x7E).
  public var isPrintableASCII: Bool {
    unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
  }

  /// Whether the string contains a control character (C0, DEL or C1).
  public var containsControlCharacters: Bool {
    unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
  }
}

extension Sequence<UInt8> {
  /// Lowercase hexadecimal, two digits per byte (digests, MACs).
  public var lowercaseHex: String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(underestimatedCount * 2)
    for byte in self {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
