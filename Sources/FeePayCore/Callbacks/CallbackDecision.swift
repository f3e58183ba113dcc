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

/// A payment exception as the API and webhooks show it (openapi.yaml).
public struct PaymentException: Sendable, Hashable, JSONRepresentable {
  /// How the exception was resolved: the action, its note, who proposed it (`by`), who
  /// approved it when a second person had to (`approved_by`), and when it took effect.
  public struct Resolution: Sendable, Hashable, Codable, JSONRepresentable {
    public var action: String
    public var note: String
    public var by: String
    public var at: String
    public var approvedBy: String?

    public init(action: String, note: String, by: String, at: String, approvedBy: String? = nil) {
      self.action = action
      self.note = note
      self.by = by
      self.at = at
      self.approvedBy = approvedBy
    }

    enum CodingKeys: String, CodingKey {
      case action, note, by, at
      case approvedBy = "approved_by"
    }

    public var jsonValue: JSONValue {
      [
        "action": .string(action), "note": .string(note), "by": .string(by), "at": .string(at),
        "approved_by": approvedBy.map(JSONValue.string) ?? .null,
      ]
    }
  }

  /// A resolution one person proposed and a second must approve (``FourEyes``): nothing has
  /// moved yet; the exception stays `open` until it is approved or withdrawn.
  public struct Proposal: Sendable, Hashable, Codable, JSONRepresentable {
    public var action: ResolutionAction
    public var invoiceID: String?
    public var note: String
    public var by: String
    public var at: String

    public init(action: ResolutionAction, invoiceID: String?, note: String, by: String, at: String) {
      self.action = action
      self.invoiceID = invoiceID
      self.note = note
      self.by = by
      self.at = at
    }

    enum CodingKeys: String, CodingKey {
      case action, note, by, at
      case invoiceID = "invoice_id"
    }

    public var jsonValue: JSONValue {
      [
        "action": .string(action.rawValue), "invoice_id": invoiceID.map(JSONValue.string) ?? .null,
        "note": .string(note), "by": .string(by), "at": .string(at),
      ]
    }

    /// The resolution that takes effect when `approver` approves at `at`; refused when the
    /// approver is the proposer.
    public func approved(by approver: String, at: String) throws(ResolveRefusal) -> Resolution {
      guard approver != by else { throw .samePerson(by) }
      return Resolution(action: action.rawValue, note: note, by: by, at: at, approvedBy: approver)
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
  /// The resolution waiting for a second person's approval, while the exception is open.
  public var proposal: Proposal?

  public init(
    id: String, kind: ExceptionKind, status: String, connector: String, amount: Int64, currency: String,
    bankTxnID: String?, paymentCode: String?, invoiceID: String?, businessDate: BusinessDate, createdAt: Date,
    resolution: Resolution?, proposal: Proposal? = nil
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
    self.proposal = proposal
  }

  /// The exception as the API and its `payment.exception` event show it. Nulls are written out.
  public var jsonValue: JSONValue {
    func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    return [
      "id": .string(id), "kind": .string(kind.rawValue), "status": .string(status), "connector": .string(connector),
      "amount": .integer(amount), "currency": .string(currency), "bank_txn_id": text(bankTxnID),
      "payment_code": text(paymentCode), "invoice_id": text(invoiceID),
      "business_date": .string(businessDate.description),
      "created_at": .string(Timestamp.format(createdAt)), "resolution": resolution?.jsonValue ?? .null,
      "proposal": proposal?.jsonValue ?? .null,
    ]
  }
}
