public import Foundation

/// One line of a bank's settlement statement, as parsed: a credit (or a debit, which is
/// listed but never matched), in minor units of its currency.
public struct StatementLine: Sendable, Equatable {
  public var lineNo: Int
  public var bankTxnID: String
  public var paymentCode: String?
  public var amount: Int64
  public var currency: String
  public var isCredit: Bool
  public var isReversal: Bool
  public var bookedAt: Date?
  public var payerAccount: String?
  public var memo: String?

  public init(
    lineNo: Int, bankTxnID: String, paymentCode: String?, amount: Int64, currency: String, isCredit: Bool = true,
    isReversal: Bool = false, bookedAt: Date?, payerAccount: String? = nil, memo: String? = nil
  ) {
    self.lineNo = lineNo
    self.bankTxnID = bankTxnID
    self.paymentCode = paymentCode
    self.amount = amount
    self.currency = currency
    self.isCredit = isCredit
    self.isReversal = isReversal
    self.bookedAt = bookedAt
    self.payerAccount = payerAccount
    self.memo = memo
  }

  /// The line as a row of PostgreSQL's COPY text format (tab-separated, `\N` for null), in
  /// the column order of ``copyColumns``.
  public func copyRow(settlementID: String) -> String {
    func field(_ s: String?) -> String {
      guard let s else { return "\\N" }
      var out = ""
      out.reserveCapacity(s.utf8.count)
      for ch in s.unicodeScalars {
        switch ch {
        case "\\": out += "\\\\"
        case "\t": out += "\\t"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        default: out.unicodeScalars.append(ch)
        }
      }
      return out
    }
    let code =
      paymentCode.flatMap { PaymentCode(parsing: $0)?.value } ?? memo.flatMap { PaymentCode.find(inMemo: $0)?.value }
    return [
      field(settlementID), String(lineNo), field(bankTxnID), field(code), String(amount), field(currency),
      isCredit ? "credit" : "debit", isReversal ? "t" : "f", field(bookedAt.map(Timestamp.format)), field(payerAccount),
      field(memo),
    ].joined(separator: "\t") + "\n"
  }

  public static let copyColumns = [
    "settlement_id", "line_no", "bank_txn_id", "payment_code", "amount", "currency", "direction", "reversal",
    "booked_at", "payer_account", "memo",
  ]
}

/// Why a statement file was refused, and where: a line number or an XML element path.
public struct StatementError: Error, Sendable, CustomStringConvertible {
  public var location: String
  public var reason: String

  public init(location: String, reason: String) {
    self.location = location
    self.reason = reason
  }

  public var description: String { "\(location): \(reason)" }
}

/// Decimal amounts in a currency's minor unit (ISO 4217 exponent: VND, JPY, KRW have none).
public enum StatementAmount {
  static let zeroExponent: Set<String> = ["VND", "JPY", "KRW", "CLP", "ISK", "UGX", "XAF", "XOF"]

  public static func exponent(of currency: String) -> Int { zeroExponent.contains(currency) ? 0 : 2 }

  /// Parses `16000`, `16000.00`, `8.85` into minor units; `nil` if malformed, negative, or
  /// more precise than the currency allows.
  public static func parse(_ text: String, currency: String, scale: Int64 = 1) -> Int64? {
    let t = text.trimmingCharacters(in: .whitespaces)
    let parts = t.split(separator: ".", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }),
      parts[0].count <= 16
    else { return nil }
    let e = exponent(of: currency)
    var fraction = parts.count == 2 ? String(parts[1]) : ""
    guard fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    while fraction.count > e, fraction.hasSuffix("0") { fraction.removeLast() }
    guard fraction.count <= e else { return nil }
    fraction += String(repeating: "0", count: e - fraction.count)
    guard let whole = Int64(parts[0] + fraction) else { return nil }
    let (scaled, overflow) = whole.multipliedReportingOverflow(by: scale)
    return overflow ? nil : scaled
  }
}
