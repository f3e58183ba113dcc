import FeePayCore
import Foundation
import PostgresNIO

/// How a `payment_exceptions` row is read: the one column list and the one decoder that
/// every query of exceptions uses.
enum PaymentExceptionRows {
  static let columns = """
    id, kind, status, connector_code, amount, currency, bank_txn_id, payment_code, invoice_id, business_date::text,
    created_at, resolution::text, proposal::text
    """

  /// Reads the ``columns`` by name, so that a query may select more (such as `portal_code`).
  static func decode(_ row: PostgresRow) throws -> PaymentException {
    let r = row.makeRandomAccess()
    return PaymentException(
      id: try r["id"].decode(String.self),
      kind: try .stored(try r["kind"].decode(String.self), column: "payment_exceptions.kind"),
      status: try r["status"].decode(String.self), connector: try r["connector_code"].decode(String.self),
      amount: try r["amount"].decode(Int64.self), currency: try r["currency"].decode(String.self),
      bankTxnID: try r["bank_txn_id"].decode(String?.self), paymentCode: try r["payment_code"].decode(String?.self),
      invoiceID: try r["invoice_id"].decode(String?.self),
      businessDate: try .stored(try r["business_date"].decode(String.self), column: "payment_exceptions.business_date"),
      createdAt: try r["created_at"].decode(Date.self),
      resolution: try r["resolution"].decode(String?.self).map {
        try JSONDecoder().decode(PaymentException.Resolution.self, from: Data($0.utf8))
      },
      proposal: try r["proposal"].decode(String?.self).map {
        try JSONDecoder().decode(PaymentException.Proposal.self, from: Data($0.utf8))
      })
  }
}
