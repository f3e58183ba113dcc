import Foundation

/// What replacing a wrong receipt takes, checked once for the API and the console: a reason
/// (1–500 characters), the payer's corrected name (1–200 characters, no control characters)
/// and, if given, the payer's id number (1–20 ASCII letters or digits).
public struct ReceiptCorrection: Sendable, Hashable {
  public var reason: String
  public var payerName: String
  public var payerIDNumber: String?

  /// A part of the correction that is missing or not acceptable.
  public enum Refusal: Sendable, Hashable, CaseIterable {
    case reason, payerName, payerIDNumber
  }

  /// The correction, trimmed and in NFC, or every part that is refused.
  public static func check(reason: String?, payerName: String?, payerIDNumber: String?) -> Result<
    ReceiptCorrection, Refusals
  > {
    let reason = reason?.nfc.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    let name = payerName?.nfc.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    var refused: [Refusal] = []
    if reason.isEmpty || reason.count > 500 {
      refused.append(.reason)
    }
    if name.isEmpty || name.count > 200 || name.containsControlCharacters { refused.append(.payerName) }
    if let id = payerIDNumber,
      !(1...20).contains(id.utf8.count) || !id.utf8.allSatisfy({ $0.isASCIILetterOrDigit })
    {
      refused.append(.payerIDNumber)
    }
    guard refused.isEmpty else { return .failure(Refusals(parts: refused)) }
    return .success(ReceiptCorrection(reason: reason, payerName: name, payerIDNumber: payerIDNumber))
  }

  public struct Refusals: Error, Sendable, Hashable {
    public var parts: [Refusal]

    public init(parts: [Refusal]) { self.parts = parts }
  }
}

extension UInt8 {
  fileprivate var isASCIILetterOrDigit: Bool {
    (self >= 48 && self <= 57) || (self >= 65 && self <= 90) || (self >= 97 && self <= 122)
  }
}
