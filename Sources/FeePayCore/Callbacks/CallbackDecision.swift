public import Foundation

/// What becomes of money a bank reports: it settles the invoice, or it is held in suspense
/// as a payment exception of some kind. Pure: the store applies it in one transaction.
public enum CallbackDecision: Sendable, Equatable {
  case accept
  case exception(ExceptionKind)

  /// - Parameters:
  ///   - invoice: the invoice the payment code names, locked by the caller, or `nil`.
  ///   - amountBeforeState: VNPay checks the amount before whether the order is still
  ///     unpaid; Standard Webhooks connectors report the state first.
  public static func decide(
    invoice: Invoice?, amount: Int64, connector: Connector, now: Date, amountBeforeState: Bool = false
  ) -> CallbackDecision {
    guard let invoice else { return .exception(.unknownPaymentCode) }
    guard connector.mayCollect(for: invoice.agencyCode) else { return .exception(.connectorNotAllowed) }
    let amountOK = amount == invoice.totalAmount
    if amountBeforeState, !amountOK { return .exception(.amountMismatch) }
    switch invoice.status(at: now) {
    case .paid, .refunded: return .exception(.alreadyPaid)
    case .expired, .cancelled: return .exception(.invoiceNotOpen)
    case .open: break
    }
    return amountOK ? .accept : .exception(.amountMismatch)
  }
}

/// A payment exception as the API and webhooks show it (api.md).
public struct PaymentException: Sendable, Hashable, Encodable {
  public struct Resolution: Sendable, Hashable, Codable {
    public var action: String
    public var note: String
    public var by: String
    public var at: String

    public init(action: String, note: String, by: String, at: String) {
      self.action = action
      self.note = note
      self.by = by
      self.at = at
    }
  }

  public var id: String
  public var kind: ExceptionKind
  public var status: String
  public var connector: String
  public var amount: Int64
  public var currency: String
  public var bankTxnID: String?
  public var paymentCode: String?
  public var invoiceID: String?
  public var businessDate: BusinessDate
  public var createdAt: Date
  public var resolution: Resolution?

  public init(
    id: String, kind: ExceptionKind, status: String, connector: String, amount: Int64, currency: String,
    bankTxnID: String?, paymentCode: String?, invoiceID: String?, businessDate: BusinessDate, createdAt: Date,
    resolution: Resolution?
  ) {
    self.id = id
    self.kind = kind
    self.status = status
    self.connector = connector
    self.amount = amount
    self.currency = currency
    self.bankTxnID = bankTxnID
    self.paymentCode = paymentCode
    self.invoiceID = invoiceID
    self.businessDate = businessDate
    self.createdAt = createdAt
    self.resolution = resolution
  }

  enum CodingKeys: String, CodingKey {
    case id, kind, status, connector, amount, currency, resolution
    case bankTxnID = "bank_txn_id"
    case paymentCode = "payment_code"
    case invoiceID = "invoice_id"
    case businessDate = "business_date"
    case createdAt = "created_at"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(id, forKey: .id)
    try c.encode(kind, forKey: .kind)
    try c.encode(status, forKey: .status)
    try c.encode(connector, forKey: .connector)
    try c.encode(amount, forKey: .amount)
    try c.encode(currency, forKey: .currency)
    try c.encode(bankTxnID, forKey: .bankTxnID)
    try c.encode(paymentCode, forKey: .paymentCode)
    try c.encode(invoiceID, forKey: .invoiceID)
    try c.encode(businessDate, forKey: .businessDate)
    try c.encode(Timestamp.format(createdAt), forKey: .createdAt)
    try c.encode(resolution, forKey: .resolution)
  }
}
