public import Foundation

/// What a bank says about one credit: verified facts, validated. Built from a Standard
/// Webhooks body (`payment.succeeded`) or a VNPay IPN.
public struct PaymentNotification: Sendable, Hashable {
  public var bankTxnID: String
  public var amount: Int64
  public var currency: String
  public var paidAt: Date
  /// The payment code as sent, if the bank sent one; else found in the memo, if there.
  public var paymentCode: String?
  public var payerAccount: String?
  public var payerName: String?
  public var memo: String?

  public init(
    bankTxnID: String, amount: Int64, currency: String = Currency.vnd.rawValue, paidAt: Date, paymentCode: String?,
    payerAccount: String? = nil, payerName: String? = nil, memo: String? = nil
  ) {
    self.bankTxnID = bankTxnID
    self.amount = amount
    self.currency = currency
    self.paidAt = paidAt
    self.paymentCode = paymentCode
    self.payerAccount = payerAccount
    self.payerName = payerName
    self.memo = memo
  }

  /// The invoice's payment code this credit names: the `payment_code` field if it parses,
  /// else the one code found in the memo. `nil` when neither names a valid code.
  public func resolvedPaymentCode(prefix: String = "FP") -> PaymentCode? {
    if let paymentCode, let code = PaymentCode(parsing: paymentCode) { return code }
    if let memo { return PaymentCode.find(inMemo: memo, prefix: prefix) }
    return nil
  }

  /// Reads a Standard Webhooks callback body. Answers `nil` for an event type other than
  /// `payment.succeeded` (acknowledged and ignored); throws `malformed_request` for a body
  /// that is not what the protocol says.
  public static func standardWebhooksBody(_ bytes: [UInt8]) throws(FeePayError) -> PaymentNotification? {
    let json = try JSONValue.parse(bytes)
    guard case .object = json, let type = json["type"]?.stringValue else {
      throw FeePayError(.malformedRequest, "The body must be an object with a string member \"type\".")
    }
    guard type == "payment.succeeded" else { return nil }
    guard case .object = json["data"] ?? .null, let data = json["data"] else {
      throw FeePayError(.malformedRequest, "\"data\" must be an object.")
    }
    var problems: [FieldError] = []
    func text(_ key: String, required: Bool, max: Int) -> String? {
      switch data[key] {
      case .string(let s)? where (1...max).contains(s.utf8.count) && !s.containsControlCharacters: return s.nfc
      case nil, .null?:
        if required { problems.append(FieldError(pointer: "/data/\(key)", "is required")) }
        return nil
      default:
        problems.append(FieldError(pointer: "/data/\(key)", "must be a string of 1-\(max) bytes"))
        return nil
      }
    }
    let txn = text("bank_txn_id", required: true, max: 64)
    if let txn, !txn.isPrintableASCII {
      problems.append(FieldError(pointer: "/data/bank_txn_id", "must be printable ASCII"))
    }
    let currency = text("currency", required: true, max: 3)
    let paidAtText = text("paid_at", required: true, max: 40)
    let paidAt = paidAtText.flatMap(Timestamp.parse)
    if paidAtText != nil, paidAt == nil {
      problems.append(FieldError(pointer: "/data/paid_at", "must be an RFC 3339 timestamp with an offset"))
    }
    var amount: Int64?
    switch data["amount"] {
    case .integer(let n)? where n > 0 && n <= 1_000_000_000_000_000: amount = n
    default: problems.append(FieldError(pointer: "/data/amount", "must be a positive integer number of đồng"))
    }
    if let currency, currency != Currency.vnd.rawValue {
      problems.append(FieldError(pointer: "/data/currency", "only VND is accepted"))
    }
    let code = text("payment_code", required: false, max: 64)
    let account = text("payer_account", required: false, max: 64)
    let name = text("payer_name", required: false, max: 200)
    let memo = text("memo", required: false, max: 500)
    guard problems.isEmpty, let txn, let amount, let paidAt else {
      throw FeePayError(.malformedRequest, "The payment notification is malformed.", errors: problems)
    }
    return PaymentNotification(
      bankTxnID: txn, amount: amount, paidAt: paidAt.truncatedToMicroseconds, paymentCode: code, payerAccount: account,
      payerName: name, memo: memo)
  }
}

/// Why money that arrived cannot settle an invoice (docs/design/domain.md).
public enum ExceptionKind: String, Sendable, Codable, CaseIterable {
  case unknownPaymentCode = "unknown_payment_code"
  case amountMismatch = "amount_mismatch"
  case invoiceNotOpen = "invoice_not_open"
  case alreadyPaid = "already_paid"
  case connectorNotAllowed = "connector_not_allowed"
  case missingInFeePay = "missing_in_feepay"
  case missingInBank = "missing_in_bank"
  case amountMismatchInStatement = "amount_mismatch_in_statement"
  /// A statement line names an open invoice with exactly its amount, but only the file an
  /// accountant uploaded says so (no bank signed it): the money waits, nothing is paid, until
  /// a second person approves paying the invoice.
  case recoveryPendingApproval = "recovery_pending_approval"
}
