import Foundation

extension String {
  /// The string in Unicode Normalization Form C. Vietnamese text arrives both composed and
  /// decomposed; FeePay stores and compares only NFC.
  public var nfc: String { precomposedStringWithCanonicalMapping }

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
