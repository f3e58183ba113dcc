public import Foundation

/// Receipt numbering as Decree 123/2020/NĐ-CP (amended by Decree 70/2025/NĐ-CP) and
/// Circular 32/2025/TT-BTC ask of e-receipts: per agency, template symbol and series, a
/// 7-digit number from 0000001 each calendar year (Asia/Ho_Chi_Minh), without gaps or reuse.
public enum ReceiptNumbering {
  /// The series for `year` from an agency's configured series: its two year digits replaced
  /// (`26T` → `27T` for 2027). A series set for that year explicitly takes precedence. A
  /// series of Circular 78/2021's form (`C26TAA`, only in receipts issued before migration
  /// 0008) has its digits in the second and third places.
  public static func series(from base: String, year: Int) -> String {
    var chars = Array(base)
    let yy = Array(String(format: "%02d", year % 100))
    let digitsAt = chars.count == 3 ? 0 : 1
    guard chars.count >= digitsAt + 2 else { return base }
    chars[digitsAt] = yy[0]
    chars[digitsAt + 1] = yy[1]
    return String(chars)
  }

  /// The year digits a series carries (`26` of `26T`).
  public static func yearDigits(of series: String) -> Substring {
    series.utf8.count == 3 ? series.prefix(2) : series.dropFirst().prefix(2)
  }

  public static func format(_ number: Int) -> String { String(format: "%07d", number) }
}

/// The receipt type that fee and charge receipts carry.
public let receiptTypeName = "BIÊN LAI THU PHÍ, LỆ PHÍ"

/// An issued receipt (biên lai điện tử). `content` is exactly what was signed; the rest is
/// its lifecycle (a replaced receipt is kept, marked, and points to its replacement).
public struct Receipt: Sendable {
  public var id: String
  public var invoiceID: String
  public var status: String
  public var replacedBy: String?
  /// The signed receipt content (canonical JSON object).
  public var content: JSONValue
  public var jws: String

  public init(id: String, invoiceID: String, status: String, replacedBy: String?, content: JSONValue, jws: String) {
    self.id = id
    self.invoiceID = invoiceID
    self.status = status
    self.replacedBy = replacedBy
    self.content = content
    self.jws = jws
  }

  /// The receipt as the API shows it (openapi.yaml): the signed content plus `status`,
  /// `replaced_by` and `jws`.
  public var object: JSONValue {
    guard case .object(var members) = content else { return content }
    members["status"] = .string(status)
    members["replaced_by"] = replacedBy.map(JSONValue.string) ?? .null
    members["jws"] = .string(jws)
    return .object(members)
  }
}

/// What goes on a receipt, before it is numbered and signed.
public struct ReceiptDraft: Sendable {
  public var id: String
  public var invoice: Invoice
  public var agency: Agency
  public var payment: (id: String, connector: String, method: String, bankTxnID: String, paidAt: Date)
  public var lookupCode: String
  public var verifyURL: String
  public var replaces: String?
  /// The account the payer paid from, when the bank's callback said (sample 6 prints it).
  public var payerAccount: String?

  public init(
    id: String, invoice: Invoice, agency: Agency,
    payment: (id: String, connector: String, method: String, bankTxnID: String, paidAt: Date), lookupCode: String,
    verifyURL: String, replaces: String?, payerAccount: String? = nil
  ) {
    self.id = id
    self.invoice = invoice
    self.agency = agency
    self.payment = payment
    self.lookupCode = lookupCode
    self.verifyURL = verifyURL
    self.replaces = replaces
    self.payerAccount = payerAccount
  }

  /// The content to sign, with its number.
  public func content(template: String, series: String, number: Int, issuedAt: Date) -> JSONValue {
    func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    let payer: JSONValue = [
      "name": .string(invoice.payer.name), "id_number": text(invoice.payer.idNumber),
      "address": text(invoice.payer.address), "account": text(payerAccount),
    ]
    // The collecting organisation as Circular 32/2025/TT-BTC's sample 6 names it.
    let issuer: JSONValue = [
      "code": .string(agency.code), "name": .string(agency.name), "tax_code": .string(agency.taxCode),
      "address": text(agency.address), "phone": text(agency.phone), "bank_bin": .string(agency.bankBIN),
      "account_number": .string(agency.accountNumber), "account_name": .string(agency.accountName),
    ]
    return [
      "id": .string(id), "invoice_id": .string(invoice.id), "type_name": .string(receiptTypeName),
      "template_symbol": .string(template), "series": .string(series),
      "number": .string(ReceiptNumbering.format(number)),
      "issued_at": .string(Timestamp.format(issuedAt)),
      "agency": issuer,
      "payer": payer, "dossier_code": .string(invoice.dossierCode), "procedure_code": .string(invoice.procedureCode),
      "lines": .array(
        invoice.lines.map {
          [
            "fee_code": .string($0.feeCode), "description": .string($0.description), "quantity": .integer($0.quantity),
            "unit_amount": .integer($0.unitAmount), "amount": .integer($0.amount),
          ]
        }),
      "total_amount": .integer(invoice.totalAmount), "currency": .string(invoice.currency.rawValue),
      "amount_in_words": .string(AmountInWords.vietnamese(invoice.totalAmount)),
      "payment": [
        "id": .string(payment.id), "connector": .string(payment.connector), "method": .string(payment.method),
        "bank_txn_id": .string(payment.bankTxnID), "paid_at": .string(Timestamp.format(payment.paidAt)),
      ],
      "lookup_code": .string(lookupCode), "verify_url": .string(verifyURL),
      "replaces": replaces.map(JSONValue.string) ?? .null,
    ]
  }

  /// The payment method a connector kind stands for, as a receipt names it.
  public static func method(of kind: ConnectorKind?) -> String {
    switch kind {
    case .vnpay: "VNPay"
    case .standardWebhooks, .standardWebhooksEd25519: "Chuyển khoản"
    case nil: "Chuyển khoản"
    }
  }

  /// A lookup code for the receipt page: 16 lowercase base32 characters (80 random bits).
  public static func makeLookupCode() -> String {
    let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
    return String(randomBytes(16).map { alphabet[Int($0 & 31)] })
  }
}
