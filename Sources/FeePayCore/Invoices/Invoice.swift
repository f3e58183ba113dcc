public import Foundation

/// Where an invoice stands. `open` is the only state from which it can be paid or cancelled.
public enum InvoiceStatus: String, Sendable, Codable, CaseIterable {
  case open, paid, expired, cancelled, refunded
}

/// The citizen who pays. `name` is NFC, 1–200 characters.
public struct Payer: Sendable, Hashable {
  public var name: String
  public var idNumber: String?
  public var email: String?
  public var phone: String?
  /// The payer's address, printed on the receipt (Circular 32/2025/TT-BTC, sample 6) when known.
  public var address: String?

  public init(
    name: String, idNumber: String? = nil, email: String? = nil, phone: String? = nil, address: String? = nil
  ) {
    self.name = name
    self.idNumber = idNumber
    self.email = email
    self.phone = phone
    self.address = address
  }
}

/// One fee on an invoice. `amount` = `quantity` × `unitAmount`, checked for overflow.
public struct InvoiceLine: Sendable, Hashable, Decodable {
  public var feeCode: String
  public var description: String
  public var quantity: Int64
  public var unitAmount: Int64
  public var amount: Int64

  public init(feeCode: String, description: String, quantity: Int64, unitAmount: Int64, amount: Int64) {
    self.feeCode = feeCode
    self.description = description
    self.quantity = quantity
    self.unitAmount = unitAmount
    self.amount = amount
  }

  enum CodingKeys: String, CodingKey {
    case description, quantity, amount
    case feeCode = "fee_code"
    case unitAmount = "unit_amount"
  }
}

/// A fee invoice as stored. `storedStatus` is what the row says; ``status(at:)`` is what the
/// invoice is, because an open invoice past `expiresAt` is expired whether or not the
/// background sweep has marked it yet.
public struct Invoice: Sendable, Hashable {
  public var id: String
  public var portalCode: String
  public var agencyCode: String
  public var dossierCode: String
  public var procedureCode: String
  public var payer: Payer
  public var lines: [InvoiceLine]
  public var totalAmount: Int64
  public var currency: Currency
  public var paymentCode: String
  public var vietQR: String
  public var storedStatus: InvoiceStatus
  public var expiresAt: Date
  public var createdAt: Date
  public var paidAt: Date?
  public var cancelledAt: Date?
  public var receiptID: String?
  public var metadata: [String: String]
  /// The unguessable token of the citizen's payment link (``PayToken``). `nil` for invoices
  /// made before payment links had one: their link is the payment code, and works while they
  /// are open.
  public var payToken: String?

  public init(
    id: String, portalCode: String, agencyCode: String, dossierCode: String, procedureCode: String,
    payer: Payer, lines: [InvoiceLine], totalAmount: Int64, currency: Currency, paymentCode: String,
    vietQR: String, storedStatus: InvoiceStatus, expiresAt: Date, createdAt: Date, paidAt: Date?,
    cancelledAt: Date?, receiptID: String?, metadata: [String: String], payToken: String? = nil
  ) {
    self.id = id
    self.portalCode = portalCode
    self.agencyCode = agencyCode
    self.dossierCode = dossierCode
    self.procedureCode = procedureCode
    self.payer = payer
    self.lines = lines
    self.totalAmount = totalAmount
    self.currency = currency
    self.paymentCode = paymentCode
    self.vietQR = vietQR
    self.storedStatus = storedStatus
    self.expiresAt = expiresAt
    self.createdAt = createdAt
    self.paidAt = paidAt
    self.cancelledAt = cancelledAt
    self.receiptID = receiptID
    self.metadata = metadata
    self.payToken = payToken
  }

  public func status(at now: Date) -> InvoiceStatus {
    storedStatus == .open && expiresAt <= now ? .expired : storedStatus
  }
}

/// The invoice as the API and webhooks show it (openapi.yaml). Nulls are written out.
public struct InvoiceObject: Sendable, JSONRepresentable {
  public var invoice: Invoice
  public var status: InvoiceStatus
  public var paymentURL: String

  public init(_ invoice: Invoice, now: Date, publicBaseURL: String) {
    self.invoice = invoice
    self.status = invoice.status(at: now)
    self.paymentURL = publicBaseURL + "/pay/" + (invoice.payToken ?? invoice.paymentCode)
  }
}
