public import FeePayCore
public import Foundation
import Logging
import PostgresNIO

/// What the caller of a create asked for idempotency: the portal's key and a hash of the
/// request (method, path and body), to tell a retry from a different request.
public struct IdempotencyRequest: Sendable {
  public var key: String
  public var requestHash: [UInt8]

  public init(key: String, requestHash: [UInt8]) {
    self.key = key
    self.requestHash = requestHash
  }
}

/// The answer stored with an idempotency key: what the server produced for the first
/// request (its status and bytes, decided by the server), and whether this is a replay.
public struct StoredResponse: Sendable, Equatable {
  /// What the server answers, kept byte for byte.
  public struct Content: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
      self.status = status
      self.body = body
    }
  }

  public var content: Content
  public var replayed: Bool

  public var status: Int { content.status }
  public var body: [UInt8] { content.body }
}

/// Filters of `GET /v1/invoices`.
public struct InvoiceQuery: Sendable {
  public var dossierCode: String?
  public var status: InvoiceStatus?
  public var createdAfter: Date?
  public var limit: Int = 50
  /// The id after which to continue (exclusive), from the previous page's cursor.
  public var after: String?

  public init() {}
}

/// Invoices and their lines, and the idempotency keys that guard their creation.
public struct InvoiceStore: Sendable {
  let database: Database
  let ids: IDGenerator
  let presenter: InvoicePresenter
  let paymentCodePrefix: String
  /// How long an `in_progress` idempotency key (written by earlier versions, which claimed
  /// keys in a transaction of their own) may stay locked before a retry may take it over.
  let abandonAfter: TimeInterval = 60
  let keyLifetime: TimeInterval = 24 * 3600

  let agencyAccounts: ExpiringCache<String, AgencyAccount>

  /// `cacheLifetime`: how long an agency's bank account is kept in process (0: not at all).
  public init(
    database: Database, ids: IDGenerator, presenter: InvoicePresenter, paymentCodePrefix: String = "FP",
    clock: any WallClock = SystemClock(), cacheLifetime: TimeInterval = 0
  ) {
    self.database = database
    self.ids = ids
    self.presenter = presenter
    self.paymentCodePrefix = paymentCodePrefix
    self.agencyAccounts = ExpiringCache(clock: clock, lifetime: cacheLifetime)
  }

  var logger: Logger { database.logger }

  static let columns = """
    i.id, i.portal_code, i.agency_code, i.dossier_code, i.procedure_code, i.payer_name, i.payer_id_number,
    i.payer_email, i.payer_phone, i.currency, i.total_amount, i.payment_code, i.vietqr, i.status, i.expires_at,
    i.created_at, i.paid_at, i.cancelled_at, i.receipt_id, i.metadata::text AS metadata, i.payer_address,
    i.pay_token,
    (SELECT coalesce(jsonb_agg(jsonb_build_object('fee_code', l.fee_code, 'description', l.description,
        'quantity', l.quantity, 'unit_amount', l.unit_amount, 'amount', l.amount) ORDER BY l.line_no), '[]'::jsonb)::text
     FROM invoice_lines l WHERE l.invoice_id = i.id) AS lines
    """

  static func decode(_ row: PostgresRow) throws -> Invoice {
    let r = row.makeRandomAccess()
    let decoder = JSONDecoder()
    let lines = try decoder.decode([InvoiceLine].self, from: Data(r["lines"].decode(String.self).utf8))
    let metadata = try decoder.decode([String: String].self, from: Data(r["metadata"].decode(String.self).utf8))
    return Invoice(
      id: try r["id"].decode(String.self),
      portalCode: try r["portal_code"].decode(String.self),
      agencyCode: try r["agency_code"].decode(String.self),
      dossierCode: try r["dossier_code"].decode(String.self),
      procedureCode: try r["procedure_code"].decode(String.self),
      payer: Payer(
        name: try r["payer_name"].decode(String.self),
        idNumber: try r["payer_id_number"].decode(String?.self),
        email: try r["payer_email"].decode(String?.self),
        phone: try r["payer_phone"].decode(String?.self),
        address: try r["payer_address"].decode(String?.self)),
      lines: lines,
      totalAmount: try r["total_amount"].decode(Int64.self),
      currency: try .stored(try r["currency"].decode(String.self), column: "invoices.currency"),
      paymentCode: try r["payment_code"].decode(String.self),
      vietQR: try r["vietqr"].decode(String.self),
      storedStatus: try .stored(try r["status"].decode(String.self), column: "invoices.status"),
      expiresAt: try r["expires_at"].decode(Date.self),
      createdAt: try r["created_at"].decode(Date.self),
      paidAt: try r["paid_at"].decode(Date?.self),
      cancelledAt: try r["cancelled_at"].decode(Date?.self),
      receiptID: try r["receipt_id"].decode(String?.self),
      metadata: metadata,
      payToken: try r["pay_token"].decode(String?.self))
  }

  // MARK: Create

  /// Creates an invoice for `portalCode` exactly once per idempotency key, in one statement
  /// (one round trip, one commit): the key is claimed with the finished response already in
  /// it, and the invoice, its lines and the audit entry are inserted only if the claim took.
  /// A retry with the same body gets the stored response back (`replayed`); a different body
  /// is `idempotency_key_reused`; a retry while the first request's statement still runs
  /// (it holds a transaction-scoped advisory lock on the key) is
  /// `idempotency_request_in_progress` rather than a wait. With `keyID`, the statement also checks that the API key is
  /// still unrevoked, so that a principal cached by the caller cannot outlive a revocation.
  /// `response` is what the server answers for the new invoice: it is stored with the key in
  /// the same statement, and a replay gets exactly it.
  public func create(
    _ draft: InvoiceDraft, portalCode: String, keyID: String? = nil, actor: String, idempotency: IdempotencyRequest,
    now: Date, response: (Invoice) -> StoredResponse.Content
  ) async throws -> StoredResponse {
    let account = try await agencyAccount(draft.agencyCode)
    let id = ids.make(.invoice)
    let metadata = JSONValue.object(draft.metadata.mapValues(JSONValue.string)).jsonText
    let summary = JSONValue.object([
      "agency": .string(draft.agencyCode), "dossier_code": .string(draft.dossierCode),
      "total_amount": .integer(draft.totalAmount), "idempotency_key": .string(idempotency.key),
    ]).jsonText
    let hash = Data(idempotency.requestHash)
    let staleBefore = now.addingTimeInterval(-keyLifetime)
    let abandonedBefore = now.addingTimeInterval(-abandonAfter)
    for attempt in 0... {
      // 40 random bits: a collision is rare, but the unique index decides, not luck.
      let code = PaymentCode.generate(prefix: paymentCodePrefix)
      let vietQR = try VietQR.payload(
        bankBIN: account.bankBIN, accountNumber: account.accountNumber, amount: draft.totalAmount,
        currency: draft.currency, billNumber: code.value, purpose: code.value)
      let invoice = Invoice(
        id: id, portalCode: portalCode, agencyCode: draft.agencyCode, dossierCode: draft.dossierCode,
        procedureCode: draft.procedureCode, payer: draft.payer, lines: draft.lines, totalAmount: draft.totalAmount,
        currency: draft.currency, paymentCode: code.value, vietQR: vietQR, storedStatus: .open,
        expiresAt: draft.expiresAt, createdAt: now, paidAt: nil, cancelledAt: nil, receiptID: nil,
        metadata: draft.metadata, payToken: PayToken.generate())
      let content = response(invoice)
      let statement = CreateInvoiceStatement(
        portalCode: portalCode, key: idempotency.key, requestHash: hash, response: content, now: now, keyID: keyID,
        staleBefore: staleBefore, abandonedBefore: abandonedBefore, invoice: invoice, metadata: metadata, actor: actor,
        summary: summary)
      // A payment code already taken breaks its unique index and writes nothing: draw another.
      guard let row = try await database.first(statement, collidingOn: "invoices_payment_code_key") else {
        if attempt < 5 { continue }
        throw FeePayError(.unavailable, "No free payment code could be drawn; nothing was changed. Retry the request.")
      }
      let (claimed, busy, keyValid) = row
      if claimed == 1 { return StoredResponse(content: content, replayed: false) }
      guard keyValid else { throw FeePayError(.unauthenticated, "The API key is unknown or has been revoked.") }
      guard !busy else {
        throw FeePayError(
          .idempotencyRequestInProgress,
          "A request with this Idempotency-Key is still being processed; retry in a moment.")
      }
      if let stored = try await storedResponse(portalCode: portalCode, idempotency) { return stored }
      // The key was pruned between the two statements: claim it again.
    }
    preconditionFailure("unreachable")
  }

  /// What a repeat of an already claimed key gets, or `nil` if the key is gone.
  func storedResponse(portalCode: String, _ request: IdempotencyRequest) async throws -> StoredResponse? {
    let rows = try await database.query(
      """
      SELECT request_hash, status, response_status, response_body FROM idempotency_keys
      WHERE portal_code = \(portalCode) AND key = \(request.key)
      """)
    guard let row = rows.first else { return nil }
    let (storedHash, status, responseStatus, responseBody) = try row.decode((Data, String, Int?, Data?).self)
    guard constantTimeEquals(storedHash, Data(request.requestHash)) else {
      throw FeePayError(
        .idempotencyKeyReused,
        "This Idempotency-Key was already used with a different request; use a new key for a new request.")
    }
    guard status == "completed", let responseStatus, let responseBody else {
      throw FeePayError(
        .idempotencyRequestInProgress,
        "A request with this Idempotency-Key is still being processed; retry in a moment.")
    }
    return StoredResponse(content: .init(status: responseStatus, body: Array(responseBody)), replayed: true)
  }

  /// The bank account an agency's VietQR codes name. Agencies' accounts cannot be changed
  /// through FeePay (only added), so a cached answer is safe for the cache's lifetime.
  func agencyAccount(_ code: String) async throws -> AgencyAccount {
    if let cached = agencyAccounts[code] { return cached }
    let rows = try await database.query("SELECT bank_bin, account_number FROM agencies WHERE code = \(code)")
    guard let row = rows.first else { throw FeePayError(.forbidden, "This key may not bill for agency \(code).") }
    let (bankBIN, accountNumber) = try row.decode((String, String).self)
    let account = AgencyAccount(bankBIN: bankBIN, accountNumber: accountNumber)
    agencyAccounts.store(account, for: code)
    return account
  }

  struct AgencyAccount: Sendable {
    var bankBIN: String
    var accountNumber: String
  }

  // MARK: Read

  /// The invoice if `principal` may see it: a portal sees only its own; accountants,
  /// auditors and admins see all. Anything else is indistinguishable from "no such invoice".
  public func get(_ id: String, visibleTo principal: Principal) async throws -> Invoice? {
    guard IDGenerator.isWellFormed(id, kind: .invoice) else { return nil }
    let portal = principal.readsEverything ? nil : principal.portalCode ?? ""
    let rows = try await database.query(
      """
      SELECT \(unescaped: Self.columns) FROM invoices i
      WHERE i.id = \(id) AND (\(portal)::text IS NULL OR i.portal_code = \(portal))
      """)
    return try rows.first.map(Self.decode)
  }

  /// The invoice a payment code names, whoever owns it (operators' tools only).
  public func find(paymentCode: PaymentCode) async throws -> Invoice? {
    let rows = try await database.query(
      "SELECT \(unescaped: Self.columns) FROM invoices i WHERE i.payment_code = \(paymentCode.value)")
    return try rows.first.map(Self.decode)
  }

  /// The invoice a payment link's token names (``PayToken``).
  public func find(payToken: String) async throws -> Invoice? {
    let rows = try await database.query(
      "SELECT \(unescaped: Self.columns) FROM invoices i WHERE i.pay_token = \(payToken)")
    return try rows.first.map(Self.decode)
  }

  /// One page of invoices, newest first, and whether there is another page.
  public func list(_ query: InvoiceQuery, visibleTo principal: Principal, now: Date) async throws -> (
    [Invoice], hasMore: Bool
  ) {
    let portal = principal.readsEverything ? nil : principal.portalCode ?? ""
    let status = query.status?.rawValue
    // The API shows whole seconds, so "created after 10:15:00Z" means from 10:15:01Z on.
    let createdFrom = query.createdAfter.map {
      Date(timeIntervalSince1970: $0.timeIntervalSince1970.rounded(.down) + 1)
    }
    let rows = try await database.query(
      """
      SELECT \(unescaped: Self.columns) FROM invoices i
      WHERE (\(portal)::text IS NULL OR i.portal_code = \(portal))
        AND (\(query.dossierCode)::text IS NULL OR i.dossier_code = \(query.dossierCode))
        AND (\(createdFrom)::timestamptz IS NULL OR i.created_at >= \(createdFrom))
        AND (\(query.after)::text IS NULL OR i.id < \(query.after))
        AND (\(status)::text IS NULL OR
             (CASE WHEN i.status = 'open' AND i.expires_at <= \(now) THEN 'expired' ELSE i.status END) = \(status))
      ORDER BY i.id DESC
      LIMIT \(query.limit + 1)
      """)
    let invoices = try rows.prefix(query.limit).map(Self.decode)
    return (invoices, rows.count > query.limit)
  }

  // MARK: Change

  /// Cancels an open invoice of the caller's portal: `open` → `cancelled`, with an
  /// `invoice.cancelled` event and an audit entry in the same transaction.
  public func cancel(_ id: String, by principal: Principal, now: Date) async throws -> Invoice {
    guard IDGenerator.isWellFormed(id, kind: .invoice), let portal = principal.portalCode else {
      throw FeePayError.notFound("invoice")
    }
    return try await database.transaction { c in
      let rows = try await c.query(
        """
        SELECT \(unescaped: Self.columns) FROM invoices i
        WHERE i.id = \(id) AND i.portal_code = \(portal) FOR UPDATE
        """, logger: logger
      ).collect()
      guard var invoice = try rows.first.map(Self.decode) else { throw FeePayError.notFound("invoice") }
      let status = invoice.status(at: now)
      guard status == .open else {
        throw FeePayError(
          .invoiceNotOpen, "Invoice \(id) is \(status.rawValue); only an open invoice can be cancelled.")
      }
      try await c.query(
        "UPDATE invoices SET status = 'cancelled', cancelled_at = \(now) WHERE id = \(id)", logger: logger)
      invoice.storedStatus = .cancelled
      invoice.cancelledAt = now
      try await appendEvent(on: c, type: "invoice.cancelled", invoice: invoice, now: now)
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: principal.actor, action: "invoice.cancel", subject: id)
      return invoice
    }
  }

  /// Marks up to `limit` open invoices whose time has passed as `expired`, each with an
  /// `invoice.expired` event and an audit entry. Rows another instance is working on are
  /// skipped (`SKIP LOCKED`), so several instances may sweep at once. Answers how many.
  @discardableResult
  public func expireDue(now: Date, limit: Int = 500) async throws -> Int {
    try await database.transaction { c in
      let rows = try await c.query(
        """
        WITH due AS (
          SELECT id FROM invoices WHERE status = 'open' AND expires_at <= \(now)
          ORDER BY expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
        )
        UPDATE invoices i SET status = 'expired', expired_at = \(now) FROM due WHERE i.id = due.id
        RETURNING \(unescaped: Self.columns)
        """, logger: logger
      ).collect()
      for row in rows {
        let invoice = try Self.decode(row)
        try await appendEvent(on: c, type: "invoice.expired", invoice: invoice, now: now)
        try await AuditLog.append(
          on: c, logger: logger, at: now, actor: "system:expiry", action: "invoice.expire", subject: invoice.id)
      }
      return rows.count
    }
  }

  /// Deletes idempotency keys older than 24 hours. Answers how many.
  @discardableResult
  public func pruneIdempotencyKeys(now: Date) async throws -> Int {
    let rows = try await database.query(
      "DELETE FROM idempotency_keys WHERE created_at < \(now.addingTimeInterval(-keyLifetime)) RETURNING 1")
    return rows.count
  }

  func appendEvent(on c: PostgresConnection, type: String, invoice: Invoice, now: Date) async throws {
    try await EventLog.append(
      [
        EventLog.Entry(
          id: ids.make(.event), portal: invoice.portalCode, type: type, subject: invoice.id,
          data: presenter.object(invoice, now: now).jsonValue)
      ], at: now, on: c, logger: logger)
  }

}
