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
    func append(_ s: String?, to out: inout String) {
      guard let s else {
        out += "\\N"
        return
      }
      let special: (UInt8) -> Bool = { $0 == UInt8(ascii: "\\") || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
      guard s.utf8.contains(where: special) else {
        out += s
        return
      }
      for ch in s.unicodeScalars {
        switch ch {
        case "\\": out += "\\\\"
        case "\t": out += "\\t"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        default: out.unicodeScalars.append(ch)
        }
      }
    }
    let code =
      paymentCode.flatMap { PaymentCode(parsing: $0)?.value } ?? memo.flatMap { PaymentCode.find(inMemo: $0)?.value }
    var row = ""
    row.reserveCapacity(160 + (memo?.utf8.count ?? 0))
    append(settlementID, to: &row)
    row += "\t\(lineNo)\t"
    append(bankTxnID, to: &row)
    row += "\t"
    append(code, to: &row)
    row += "\t\(amount)\t"
    append(currency, to: &row)
    row += isCredit ? "\tcredit\t" : "\tdebit\t"
    row += isReversal ? "t\t" : "f\t"
    append(bookedAt.map(Timestamp.format), to: &row)
    row += "\t"
    append(payerAccount, to: &row)
    row += "\t"
    append(memo, to: &row)
    row += "\n"
    return row
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
    let e = exponent(of: currency)
    var value: Int64 = 0
    var wholeDigits = 0
    var fraction: [Int64] = []
    var sawPoint = false
    for b in text.trimmingSpaces.utf8 {
      if b == UInt8(ascii: ".") {
        guard !sawPoint else { return nil }
        sawPoint = true
        continue
      }
      guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
      let digit = Int64(b - UInt8(ascii: "0"))
      if sawPoint {
        fraction.append(digit)
      } else {
        wholeDigits += 1
        guard wholeDigits <= 16 else { return nil }
        value = value * 10 + digit
      }
    }
    guard wholeDigits > 0 else { return nil }
    // Trailing zeros beyond the currency's exponent are precision, not value.
    while fraction.count > e, fraction.last == 0 { fraction.removeLast() }
    guard fraction.count <= e else { return nil }
    for digit in fraction { value = value * 10 + digit }
    for _ in fraction.count..<e { value *= 10 }
    let (scaled, overflow) = value.multipliedReportingOverflow(by: scale)
    return overflow ? nil : scaled
  }
}
