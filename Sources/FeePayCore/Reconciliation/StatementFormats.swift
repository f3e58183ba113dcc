public import Foundation

/// How a bank's own CSV maps onto statement lines (set per connector with
/// `feepay connector set-csv-mapping`). Column names are matched exactly after trimming.
public struct CSVMapping: Sendable, Decodable, Equatable, JSONRepresentable {
  public var bankTxnID: String
  public var amount: String
  public var paidAt: String
  public var paymentCode: String?
  public var memo: String?
  public var currency: String?
  public var payerAccount: String?
  /// `yyyy-MM-dd`, `dd/MM/yyyy`, `dd/MM/yyyy HH:mm:ss`, `yyyy-MM-dd HH:mm:ss`, or `rfc3339`;
  /// times without an offset are Vietnam's.
  public var dateFormat: String
  /// Multiply the amount column by this (a bank that writes thousands of đồng: 1000).
  public var amountScale: Int64
  /// A one-character delimiter (`,` by default; `;` is common).
  public var delimiter: String

  enum CodingKeys: String, CodingKey {
    case amount, memo, currency, delimiter
    case bankTxnID = "bank_txn_id"
    case paidAt = "paid_at"
    case paymentCode = "payment_code"
    case payerAccount = "payer_account"
    case dateFormat = "date_format"
    case amountScale = "amount_scale"
  }

  public init(
    bankTxnID: String, amount: String, paidAt: String, paymentCode: String? = nil, memo: String? = nil,
    currency: String? = nil, payerAccount: String? = nil, dateFormat: String = "rfc3339", amountScale: Int64 = 1,
    delimiter: String = ","
  ) {
    self.bankTxnID = bankTxnID
    self.amount = amount
    self.paidAt = paidAt
    self.paymentCode = paymentCode
    self.memo = memo
    self.currency = currency
    self.payerAccount = payerAccount
    self.dateFormat = dateFormat
    self.amountScale = amountScale
    self.delimiter = delimiter
  }

  /// The mapping as it is stored and shown (every member written, absent columns as null).
  public var jsonValue: JSONValue {
    func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    return [
      "bank_txn_id": .string(bankTxnID), "amount": .string(amount), "paid_at": .string(paidAt),
      "payment_code": text(paymentCode), "memo": text(memo), "currency": text(currency),
      "payer_account": text(payerAccount), "date_format": .string(dateFormat), "amount_scale": .integer(amountScale),
      "delimiter": .string(delimiter),
    ]
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    bankTxnID = try c.decode(String.self, forKey: .bankTxnID)
    amount = try c.decode(String.self, forKey: .amount)
    paidAt = try c.decode(String.self, forKey: .paidAt)
    paymentCode = try c.decodeIfPresent(String.self, forKey: .paymentCode)
    memo = try c.decodeIfPresent(String.self, forKey: .memo)
    currency = try c.decodeIfPresent(String.self, forKey: .currency)
    payerAccount = try c.decodeIfPresent(String.self, forKey: .payerAccount)
    dateFormat = try c.decodeIfPresent(String.self, forKey: .dateFormat) ?? "rfc3339"
    amountScale = try c.decodeIfPresent(Int64.self, forKey: .amountScale) ?? 1
    delimiter = try c.decodeIfPresent(String.self, forKey: .delimiter) ?? ","
  }

  /// FeePay's own CSV (docs/design/protocols.md §4).
  public static let feepay = CSVMapping(
    bankTxnID: "bank_txn_id", amount: "amount", paidAt: "paid_at", paymentCode: "payment_code", memo: "memo",
    currency: "currency", payerAccount: "payer_account")

  public var problem: String? {
    guard delimiter.utf8.count == 1 else { return "delimiter must be one character" }
    guard (1...1_000_000).contains(amountScale) else { return "amount_scale must be 1-1000000" }
    guard Self.formats.contains(dateFormat) else {
      return "date_format must be one of \(Self.formats.sorted().joined(separator: ", "))"
    }
    return nil
  }

  static let formats: Set<String> = [
    "rfc3339", "yyyy-MM-dd", "dd/MM/yyyy", "dd/MM/yyyy HH:mm:ss", "yyyy-MM-dd HH:mm:ss",
  ]

  /// Parses a date in `dateFormat`; local times are Asia/Ho_Chi_Minh.
  public func parseDate(_ text: String) -> Date? {
    let t = text.trimmingSpaces
    if dateFormat == "rfc3339" { return Timestamp.parse(t) }
    let digits = t.filter { $0.isASCII && $0.isNumber }
    let d = Array(digits)
    func n(_ r: Range<Int>) -> String { String(d[r]) }
    var iso: String
    switch dateFormat {
    case "yyyy-MM-dd" where d.count == 8 && t.count == 10: iso = "\(n(0..<4))-\(n(4..<6))-\(n(6..<8))T00:00:00"
    case "dd/MM/yyyy" where d.count == 8 && t.count == 10: iso = "\(n(4..<8))-\(n(2..<4))-\(n(0..<2))T00:00:00"
    case "dd/MM/yyyy HH:mm:ss" where d.count == 14 && t.count == 19:
      iso = "\(n(4..<8))-\(n(2..<4))-\(n(0..<2))T\(n(8..<10)):\(n(10..<12)):\(n(12..<14))"
    case "yyyy-MM-dd HH:mm:ss" where d.count == 14 && t.count == 19:
      iso = "\(n(0..<4))-\(n(4..<6))-\(n(6..<8))T\(n(8..<10)):\(n(10..<12)):\(n(12..<14))"
    default: return nil
    }
    iso += "+07:00"
    return Timestamp.parse(iso)
  }
}

/// Turns CSV records into statement lines, checking every field; the first problem stops
/// the file with its line number.
public struct CSVStatement: Sendable {
  let mapping: CSVMapping
  var columns: [String: Int] = [:]

  public init(mapping: CSVMapping) { self.mapping = mapping }

  public mutating func header(_ record: CSVReader.Record) throws(StatementError) {
    for (i, name) in record.fields.enumerated() {
      columns[name.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\u{FEFF}", with: "")] = i
    }
    for required in [mapping.bankTxnID, mapping.amount, mapping.paidAt] where columns[required] == nil {
      throw StatementError(location: "line \(record.line)", reason: "the header has no column \"\(required)\"")
    }
  }

  public func line(_ record: CSVReader.Record) throws(StatementError) -> StatementLine {
    func fail(_ reason: String) -> StatementError { StatementError(location: "line \(record.line)", reason: reason) }
    func value(_ column: String?) -> String? {
      guard let column, let i = columns[column], i < record.fields.count else { return nil }
      let v = record.fields[i].trimmingSpaces
      return v.isEmpty ? nil : v
    }
    guard record.fields.count == columns.count else {
      throw fail("expected \(columns.count) fields, found \(record.fields.count)")
    }
    guard let txn = value(mapping.bankTxnID), txn.utf8.count <= 64, txn.isPrintableASCII else {
      throw fail("\(mapping.bankTxnID) must be 1-64 printable ASCII characters")
    }
    let currency = value(mapping.currency) ?? Currency.vnd.rawValue
    guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
      throw fail("currency must be a 3-letter ISO 4217 code")
    }
    guard let amountText = value(mapping.amount) else { throw fail("\(mapping.amount) is empty") }
    var credit = true
    var text = amountText
    if text.hasPrefix("-") {
      credit = false
      text.removeFirst()
    }
    guard let amount = StatementAmount.parse(text, currency: currency, scale: mapping.amountScale), amount > 0 else {
      throw fail("\(mapping.amount) \"\(amountText)\" is not a positive amount in \(currency)")
    }
    guard let paidText = value(mapping.paidAt), let paidAt = mapping.parseDate(paidText) else {
      throw fail("\(mapping.paidAt) is not a date in the format \(mapping.dateFormat)")
    }
    let memo = value(mapping.memo)
    if let memo, memo.utf8.count > 1000 { throw fail("memo is longer than 1000 bytes") }
    return StatementLine(
      lineNo: record.line, bankTxnID: txn, paymentCode: value(mapping.paymentCode), amount: amount, currency: currency,
      isCredit: credit, bookedAt: paidAt, payerAccount: value(mapping.payerAccount), memo: memo?.nfc)
  }
}
