public import Foundation

/// Writes invoices as the API and webhooks show them, with FeePay's one JSON writer, so that
/// a replayed response is byte for byte the first one.
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

  /// The invoice's JSON bytes (``InvoiceObject/jsonValue``).
  public func json(_ invoice: Invoice, now: Date) -> [UInt8] {
    object(invoice, now: now).jsonValue.jsonBytes
  }
}
