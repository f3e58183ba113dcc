import Foundation

/// One VNPay IPN (instant payment notification) as it arrived, and what it means. Read once
/// per callback: the signature check and the interpretation use the same parameters.
public struct VNPayIPN: Sendable {
  /// The parameters in the order they came (the query string, then a form body's fields),
  /// repeats kept, so that the signature check can refuse an ambiguous message.
  public let parameters: [(String, String)]

  /// `nil` when the query or the form body is not valid form encoding.
  public init?(query: String, formBody: [UInt8]?) {
    var raw = query
    if let formBody {
      raw += (raw.isEmpty ? "" : "&") + String(decoding: formBody, as: UTF8.self)
    }
    guard let parameters = FormEncoding.parse(raw) else { return nil }
    self.parameters = parameters
  }

  /// Whether `vnp_SecureHash` verifies under any of `secrets` (``VNPay/verify(_:secrets:)``).
  public func verifies(secrets: [String]) -> Bool { VNPay.verify(parameters, secrets: secrets) }

  /// What a verified IPN says.
  public enum Meaning: Sendable, Equatable {
    /// The citizen paid: a credit to record.
    case paid(PaymentNotification)
    /// The citizen tried and failed (VNPay's response code is not `00`): kept as evidence,
    /// nothing is paid.
    case failedAttempt(paymentCode: PaymentCode?, bankTxnID: String, responseCode: String, amount: Int64)
    /// A required parameter is missing or not what VNPay 2.1.0 sends, or the IPN is for
    /// another merchant (`vnp_TmnCode`).
    case malformed
  }

  /// Reads the IPN of the merchant `tmnCode`: the order (`vnp_TxnRef`), the amount (in
  /// hundredths of a đồng, VNPay's unit, whole đồng only), the transaction and its result.
  public func meaning(tmnCode: String?) -> Meaning {
    let p = Dictionary(parameters, uniquingKeysWith: { first, _ in first })
    guard let ref = p["vnp_TxnRef"], let amountText = p["vnp_Amount"], let hundredths = Int64(amountText),
      hundredths > 0, hundredths % 100 == 0, let response = p["vnp_ResponseCode"],
      let status = p["vnp_TransactionStatus"], let txn = p["vnp_TransactionNo"], !txn.isEmpty, txn.utf8.count <= 64,
      let payDate = p["vnp_PayDate"].flatMap(VNPay.parseDate), tmnCode != nil, p["vnp_TmnCode"] == tmnCode
    else { return .malformed }
    let amount = hundredths / 100
    guard response == "00", status == "00" else {
      return .failedAttempt(
        paymentCode: PaymentCode(parsing: ref), bankTxnID: txn, responseCode: response, amount: amount)
    }
    return .paid(
      PaymentNotification(bankTxnID: txn, amount: amount, paidAt: payDate, paymentCode: ref, memo: p["vnp_OrderInfo"]))
  }
}

extension VNPay.Answer {
  /// VNPay's answer for money held as an exception of `kind`.
  public static func exception(_ kind: ExceptionKind) -> VNPay.Answer {
    switch kind {
    case .amountMismatch, .amountMismatchInStatement: .invalidAmount
    case .alreadyPaid, .invoiceNotOpen, .recoveryPendingApproval: .alreadyConfirmed
    case .unknownPaymentCode, .connectorNotAllowed, .missingInFeePay, .missingInBank: .orderNotFound
    }
  }
}

/// `application/x-www-form-urlencoded` and query strings, keeping order and repeats.
public enum FormEncoding {
  /// `nil` when a key or value is not valid percent-encoding.
  public static func parse(_ text: String) -> [(String, String)]? {
    var result: [(String, String)] = []
    for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      guard let key = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else { return nil }
      result.append((key, value))
    }
    return result
  }

  static func decode(_ s: Substring) -> String? {
    s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
  }
}
