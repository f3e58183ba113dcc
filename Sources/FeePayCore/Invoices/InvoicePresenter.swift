public import Foundation

/// Writes invoices as the API and webhooks show them. One encoder configuration for every
/// JSON FeePay emits, so that a replayed response is byte for byte the first one.
public struct InvoicePresenter: Sendable {
  /// Base of citizen-facing links, such as `https://pay.example.vn` (no trailing slash).
  public let publicBaseURL: String

  public init(publicBaseURL: String) {
    var base = publicBaseURL
    while base.hasSuffix("/") { base.removeLast() }
    self.publicBaseURL = base
  }

  public func object(_ invoice: Invoice, now: Date) -> InvoiceObject {
    InvoiceObject(invoice, now: now, publicBaseURL: publicBaseURL)
  }

  /// The same bytes as `JSONOutput.encode(object(invoice, now:))`, written directly.
  public func json(_ invoice: Invoice, now: Date) -> [UInt8] {
    object(invoice, now: now).jsonValue.jsonBytes
  }
}

/// FeePay's JSON encoder settings: sorted keys (deterministic bytes), no escaped slashes.
public enum JSONOutput {
  public static func encode(_ value: some Encodable) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding FeePay's own value types cannot fail (no non-finite floats are used).
    return Array(try! encoder.encode(value))
  }
}
