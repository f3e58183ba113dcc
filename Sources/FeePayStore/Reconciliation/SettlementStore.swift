public import FeePayCore
public import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Settlement statements and reconciliation. A statement's lines are loaded with COPY and
/// categorized by set-based SQL in one transaction; every difference becomes an exception
/// that stays open until an accountant resolves it.
public struct SettlementStore: Sendable {
  let database: Database
  let ids: IDGenerator
  let presenter: InvoicePresenter
  let ledger: LedgerStore
  /// Payments this close to midnight may appear in the next day's statement: they are
  /// carried forward once before they count as missing in the bank.
  let carryForward: TimeInterval = 30 * 60

  /// Which resolutions need a second person's approval.
  let fourEyes: FourEyes

  public init(database: Database, ids: IDGenerator, presenter: InvoicePresenter, fourEyes: FourEyes = FourEyes()) {
    self.database = database
    self.fourEyes = fourEyes
    self.ids = ids
    self.presenter = presenter
    self.ledger = LedgerStore(database: database, ids: ids)
  }

  var logger: Logger { database.logger }

  public static let categories = [
    "matched", "amount_mismatch", "recovered", "missing_in_feepay", "duplicate_in_bank", "missing_in_bank", "debit",
    "reversal", "other_currency", "recovery_pending_approval",
  ]

  /// Whether this exact file was already imported for the connector and day.
  public func alreadyImported(connector: String, businessDate: BusinessDate, sha256: String) async throws -> Bool {
    try await !database.query(
      """
      SELECT 1 FROM settlements WHERE connector_code = \(connector) AND business_date = \(businessDate.description)::date
        AND content_sha256 = \(sha256)
      """
    ).isEmpty
  }

  public func csvMapping(connector: String) async throws -> CSVMapping? {
    let rows = try await database.query("SELECT csv_mapping::text FROM connectors WHERE code = \(connector)")
    guard let row = rows.first else { throw FeePayError(.notFound, "No connector \(connector).") }
    guard let text = try row.decode(String?.self) else { return nil }
    return try JSONDecoder().decode(CSVMapping.self, from: Data(text.utf8))
  }

  public func setCSVMapping(connector: String, mapping: CSVMapping, actor: String, now: Date) async throws {
    if let problem = mapping.problem { throw FeePayError(.validationFailed, problem) }
    let text = mapping.jsonValue.jsonText
    try await database.transaction { c in
      let rows = try await c.query(
        "UPDATE connectors SET csv_mapping = \(text)::jsonb WHERE code = \(connector) RETURNING 1", logger: logger
      ).collect()
      guard !rows.isEmpty else { throw FeePayError(.notFound, "no connector \(connector)") }
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: actor, action: "connector.set_csv_mapping",
        subject: "connector:\(connector)")
    }
  }

  /// A parsed statement, ready to load: its lines in COPY text format in `copyFile`.
  public struct Parsed: Sendable {
    public var id: String
    public var connector: String
    public var businessDate: BusinessDate
    public var format: String
    public var sha256: String
    public var copyFile: URL
    public var lineCount: Int
    public var creditTotal: Int64

    public init(
      id: String, connector: String, businessDate: BusinessDate, format: String, sha256: String, copyFile: URL,
      lineCount: Int, creditTotal: Int64
    ) {
      self.id = id
      self.connector = connector
      self.businessDate = businessDate
      self.format = format
      self.sha256 = sha256
      self.copyFile = copyFile
      self.lineCount = lineCount
      self.creditTotal = creditTotal
    }
  }

  /// Who uploaded a statement: the audit log's name for them, and whether a person (the
  /// console) rather than a machine's key did. A person's file never pays an invoice alone.
  public struct Uploader: Sendable {
    public var actor: String
    public var isPerson: Bool

    public init(actor: String, isPerson: Bool) {
      self.actor = actor
      self.isPerson = isPerson
    }
  }

  /// Imports and reconciles a statement in one transaction; answers its summary.
  public func reconcile(_ parsed: Parsed, uploader: Uploader, now: Date) async throws -> Summary {
    let actor = uploader.actor
    let id = parsed.id
    let day = parsed.businessDate.description
    let c0 = parsed.connector
    try await database.transaction { c in
      let known = try await c.query("SELECT 1 FROM connectors WHERE code = \(c0)", logger: logger).collect()
      guard !known.isEmpty else { throw FeePayError(.notFound, "No connector \(c0).") }
      let inserted = try await c.query(
        """
        INSERT INTO settlements (id, connector_code, business_date, format, content_sha256, line_count, total_amount,
                                 imported_at, imported_by)
        VALUES (\(id), \(c0), \(day)::date, \(parsed.format), \(parsed.sha256), \(parsed.lineCount), \(parsed.creditTotal),
                \(now), \(actor))
        ON CONFLICT (connector_code, business_date, content_sha256) DO NOTHING RETURNING 1
        """, logger: logger
      ).collect()
      guard !inserted.isEmpty else {
        throw FeePayError(.statementAlreadyImported, "This statement was already imported for \(c0) on \(day).")
      }
      // The file goes into a temporary table first (no WAL, no indexes); the lines are then
      // written once, with the category the matching joins give them, instead of being
      // rewritten by an UPDATE per step (a 1,000,000-line statement: 42 s → see bench/).
      try await c.query(
        "CREATE TEMP TABLE incoming (LIKE settlement_lines INCLUDING DEFAULTS) ON COMMIT DROP", logger: logger)
      // Memory for the joins and the sort of a big statement, for this transaction only
      // (PostgreSQL's default of 4 MB sends a 1,000,000-line statement's sorts to disk).
      try await c.query("SET LOCAL work_mem = '256MB'", logger: logger)
      try await load(parsed.copyFile, on: c)
      // Fresh statistics, so that the joins are planned for the statement's real size
      // (without them one 20,000-line statement took 47 s, not 0.1 s).
      try await c.query("ANALYZE incoming", logger: logger)
      try await categorize(settlement: id, connector: c0, day: parsed.businessDate, uploader: uploader, on: c, now: now)
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: actor, action: "settlement.import", subject: id,
        summary: [
          "connector": .string(c0), "business_date": .string(day), "lines": .integer(Int64(parsed.lineCount)),
          "sha256": .string(parsed.sha256),
        ])
    }
    return try await summary(id: id)!
  }

  /// Streams the COPY file into the transaction's `incoming` table in 256 KiB chunks.
  func load(_ file: URL, on c: PostgresConnection) async throws {
    let handle = try FileHandle(forReadingFrom: file)
    defer { try? handle.close() }
    try await c.copyFrom(table: "incoming", columns: StatementLine.copyColumns, logger: logger) { writer in
      while let data = try handle.read(upToCount: 256 * 1024), !data.isEmpty {
        try await writer.write(ByteBuffer(bytes: data))
      }
    }
  }

  func openDay(_ day: BusinessDate, on c: PostgresConnection) async throws -> BusinessDate {
    let rows = try await c.query("SELECT feepay_open_day(\(day.description)::date)::text", logger: logger).collect()
    return try BusinessDate.stored(try rows[0].decode(String.self), column: "feepay_open_day")
  }

  // MARK: Reading

  /// A statement's summary: count and amount per category; the categories of its lines
  /// add up to the file.
  public struct Summary: Sendable {
    public var id: String
    public var connector: String
    public var businessDate: BusinessDate
    public var format: String
    public var lineCount: Int
    public var totalAmount: Int64
    public var status = "reconciled"
    public var summary: [String: Bucket]

    public struct Bucket: Sendable {
      public var count: Int
      public var amount: Int64
    }

  }

  public func summary(id: String) async throws -> Summary? {
    guard IDGenerator.isWellFormed(id, kind: .settlement) else { return nil }
    // One query: the statement's row with each category's count and sum beside it (the
    // statement alone when it has no line yet).
    let rows = try await database.query(
      """
      SELECT s.connector_code, s.business_date::text, s.format, s.line_count, s.total_amount, c.category, c.n, c.amount
      FROM settlements s LEFT JOIN LATERAL (
        SELECT category, count(*)::int AS n, coalesce(sum(amount), 0)::bigint AS amount FROM settlement_lines
        WHERE settlement_id = s.id GROUP BY category
        UNION ALL
        SELECT 'missing_in_bank', count(*)::int, coalesce(sum(amount), 0)::bigint FROM payment_exceptions
        WHERE settlement_id = s.id AND kind = 'missing_in_bank') c ON true
      WHERE s.id = \(id)
      """)
    let decoded = try rows.map { try $0.decode((String, String, String, Int, Int64, String?, Int?, Int64?).self) }
    guard let (connector, day, format, count, total, _, _, _) = decoded.first else { return nil }
    var buckets = Dictionary(uniqueKeysWithValues: Self.categories.map { ($0, Summary.Bucket(count: 0, amount: 0)) })
    for (_, _, _, _, _, category, n, amount) in decoded {
      if let category, let n, let amount { buckets[category] = Summary.Bucket(count: n, amount: amount) }
    }
    return Summary(
      id: id, connector: connector, businessDate: try .stored(day, column: "settlements.business_date"), format: format,
      lineCount: count, totalAmount: total,
      summary: buckets)
  }

  /// A statement line with its category.
  public struct Item: Sendable {
    public var lineNo: Int
    public var bankTxnID: String
    public var paymentCode: String?
    public var amount: Int64
    public var currency: String
    public var category: String
    public var paymentID: String?
    public var invoiceID: String?
    public var exceptionID: String?

  }

  public func items(settlement: String, category: String?, afterLine: Int, limit: Int) async throws -> [Item] {
    try await database.query(
      """
      SELECT line_no, bank_txn_id, payment_code, amount, currency, category, payment_id, invoice_id, exception_id
      FROM settlement_lines
      WHERE settlement_id = \(settlement) AND (\(category)::text IS NULL OR category = \(category)) AND line_no > \(afterLine)
      ORDER BY line_no LIMIT \(limit)
      """
    ).map {
      let (line, txn, code, amount, currency, category, payment, invoice, exception) = try $0.decode(
        (Int, String, String?, Int64, String, String, String?, String?, String?).self)
      return Item(
        lineNo: line, bankTxnID: txn, paymentCode: code, amount: amount, currency: currency, category: category,
        paymentID: payment, invoiceID: invoice, exceptionID: exception)
    }
  }

  // MARK: Resolving exceptions

  /// What became of a resolution: it took effect, or it waits for a second person.
  public enum ResolveOutcome: Sendable {
    case resolved(PaymentException)
    case proposed(PaymentException)
  }

  /// Resolves an open exception once, or, when ``fourEyes`` says a second person must
  /// approve it, records it as the exception's proposal (nothing moves yet). A resolution
  /// takes effect in one transaction: the journals of its ``ResolutionPlan`` (paying an
  /// invoice from suspense when the plan says so), the resolution, the audit entry. Throws
  /// ``ResolveRefusal`` when the policy refuses the action.
  public func resolve(
    id: String, action: ResolutionAction, invoiceID: String?, note: String, actor: String, now: Date
  ) async throws -> ResolveOutcome {
    try await database.transaction { c in
      var e = try await lockOpenException(id, on: c)
      guard e.proposal == nil else { throw ResolveRefusal.proposalPending }
      let plan = try ResolutionPlan.plan(kind: e.kind, action: action, amount: e.amount, connector: e.connector)
      if plan.paysInvoice, invoiceID.map({ IDGenerator.isWellFormed($0, kind: .invoice) }) != true {
        throw ResolveRefusal.invoiceRequired
      }
      guard fourEyes.needsApproval(kind: e.kind, action: action, amount: e.amount) else {
        let resolution = PaymentException.Resolution(
          action: action.rawValue, note: note, by: actor, at: Timestamp.format(now))
        return .resolved(
          try await execute(e, plan: plan, invoiceID: invoiceID, resolution: resolution, actor: actor, on: c, now: now))
      }
      if plan.paysInvoice, let invoiceID {
        // Refused now rather than at the approval: the invoice must be payable today.
        _ = try await payableInvoice(for: e, invoiceID: invoiceID, lock: false, on: c, now: now)
      }
      let proposal = PaymentException.Proposal(
        action: action, invoiceID: invoiceID, note: note, by: actor, at: Timestamp.format(now))
      try await c.query(
        "UPDATE payment_exceptions SET proposal = \(proposal.jsonValue.jsonText)::jsonb WHERE id = \(id)",
        logger: logger)
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: actor, action: "exception.propose", subject: id,
        summary: [
          "action": .string(action.rawValue), "note": .string(note),
          "invoice": invoiceID.map(JSONValue.string) ?? .null, "amount": .integer(e.amount),
        ])
      e.proposal = proposal
      return .proposed(e)
    }
  }

  /// Approves an open exception's proposal: the resolution takes effect exactly as if it had
  /// not needed a second person, once (concurrent approvals wait for the first, then find
  /// the exception resolved). Refused with ``ResolveRefusal/samePerson(_:)`` when `actor`
  /// proposed it (or uploaded the statement that did).
  public func approve(id: String, actor: String, now: Date) async throws -> PaymentException {
    try await database.transaction { c in
      let e = try await lockOpenException(id, on: c)
      guard let proposal = e.proposal else { throw ResolveRefusal.noProposal }
      let resolution = try proposal.approved(by: actor, at: Timestamp.format(now))
      let plan = try ResolutionPlan.plan(
        kind: e.kind, action: proposal.action, amount: e.amount, connector: e.connector)
      return try await execute(
        e, plan: plan, invoiceID: proposal.invoiceID, resolution: resolution, actor: actor, on: c, now: now)
    }
  }

  /// Withdraws an open exception's proposal (its proposer changing their mind, or a second
  /// person declining it): the exception stays open, with nothing proposed.
  public func withdraw(id: String, note: String, actor: String, now: Date) async throws -> PaymentException {
    try await database.transaction { c in
      var e = try await lockOpenException(id, on: c)
      guard let proposal = e.proposal else { throw ResolveRefusal.noProposal }
      try await c.query("UPDATE payment_exceptions SET proposal = NULL WHERE id = \(id)", logger: logger)
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: actor, action: "exception.withdraw", subject: id,
        summary: [
          "action": .string(proposal.action.rawValue), "proposed_by": .string(proposal.by), "note": .string(note),
        ])
      e.proposal = nil
      return e
    }
  }

  /// The exception, locked, when it is open and its day is not closed.
  func lockOpenException(_ id: String, on c: PostgresConnection) async throws -> PaymentException {
    let rows = try await c.query(
      "SELECT \(unescaped: PaymentExceptionRows.columns) FROM payment_exceptions WHERE id = \(id) FOR UPDATE",
      logger: logger
    ).collect()
    guard let row = rows.first else { throw FeePayError.notFound("exception") }
    let e = try PaymentExceptionRows.decode(row)
    guard e.status == "open" else { throw FeePayError(.conflict, "Exception \(id) is already resolved.") }
    let closed = try await c.query(
      "SELECT 1 FROM business_days WHERE business_date = \(e.businessDate.description)::date", logger: logger
    ).collect()
    guard closed.isEmpty else {
      throw FeePayError(
        .dayClosed, "Business day \(e.businessDate) is closed; its exceptions can no longer be resolved.")
    }
    return e
  }

  /// Makes a resolution take effect: the plan's journals, the invoice paid from suspense
  /// when the plan says so, the exception resolved, the audit entry (`exception.resolve`,
  /// or `exception.approve` by the second person).
  func execute(
    _ e: PaymentException, plan: ResolutionPlan, invoiceID: String?, resolution: PaymentException.Resolution,
    actor: String, on c: PostgresConnection, now: Date
  ) async throws -> PaymentException {
    let day = try await openDay(BusinessDate(containing: now), on: c)
    for journal in plan.journals {
      try await ledger.post(journal, reference: e.id, businessDate: day, on: c, now: now)
    }
    if plan.paysInvoice {
      guard let invoiceID else { throw ResolveRefusal.invoiceRequired }
      try await applyToInvoice(e, invoiceID: invoiceID, day: day, on: c, now: now)
    }
    try await c.query(
      """
      UPDATE payment_exceptions SET status = 'resolved', resolution = \(resolution.jsonValue.jsonText)::jsonb,
                                    proposal = NULL
      WHERE id = \(e.id)
      """, logger: logger)
    var summary: [String: JSONValue] = [
      "action": .string(resolution.action), "note": .string(resolution.note),
      "invoice": invoiceID.map(JSONValue.string) ?? .null,
    ]
    if resolution.approvedBy != nil { summary["proposed_by"] = .string(resolution.by) }
    try await AuditLog.append(
      on: c, logger: logger, at: now, actor: actor,
      action: resolution.approvedBy == nil ? "exception.resolve" : "exception.approve", subject: e.id,
      summary: summary)
    var resolved = e
    resolved.status = "resolved"
    resolved.resolution = resolution
    resolved.proposal = nil
    return resolved
  }

  /// The open invoice of exactly the exception's amount, of an agency its connector collects
  /// for; refused otherwise. Locked when it is about to be paid.
  func payableInvoice(
    for e: PaymentException, invoiceID: String, lock: Bool, on c: PostgresConnection, now: Date
  ) async throws -> Invoice {
    let rows = try await c.query(
      "SELECT \(unescaped: InvoiceStore.columns) FROM invoices i WHERE i.id = \(invoiceID) \(unescaped: lock ? "FOR UPDATE" : "")",
      logger: logger
    ).collect()
    guard let invoice = try rows.first.map(InvoiceStore.decode) else { throw FeePayError.notFound("invoice") }
    guard invoice.status(at: now) == .open else {
      throw FeePayError(
        .invoiceNotOpen,
        "Invoice \(invoiceID) is \(invoice.status(at: now).rawValue); only an open invoice can be paid.")
    }
    guard invoice.totalAmount == e.amount else {
      throw ResolveRefusal.amountDiffers(held: e.amount, invoiceTotal: invoice.totalAmount)
    }
    // The money's connector must collect for the invoice's agency (no restriction: every agency).
    let allowed = try await c.query(
      """
      SELECT NOT EXISTS (SELECT 1 FROM connector_agencies WHERE connector_code = \(e.connector))
          OR EXISTS (SELECT 1 FROM connector_agencies WHERE connector_code = \(e.connector)
                     AND agency_code = \(invoice.agencyCode))
      """, logger: logger
    ).collect()[0].decode(Bool.self)
    guard allowed else { throw ResolveRefusal.agencyNotCollected(connector: e.connector, agency: invoice.agencyCode) }
    return invoice
  }

  /// Pays an open invoice of exactly the exception's amount from suspense. A recovery that
  /// waited for approval pays it as the statement line would have paid it at once (source
  /// `statement`, the line's bank transaction, time, payer account and memo), and its bank
  /// transaction then names the payment.
  func applyToInvoice(_ e: PaymentException, invoiceID: String, day: BusinessDate, on c: PostgresConnection, now: Date)
    async throws
  {
    var invoice = try await payableInvoice(for: e, invoiceID: invoiceID, lock: true, on: c, now: now)
    let paymentID = ids.make(.payment)
    var (txn, paidAt, payer, memo, source) = ("resolution:" + e.id, now, String?.none, String?.none, "resolution")
    if e.kind == .recoveryPendingApproval, let line = e.bankTxnID {
      let rows = try await c.query(
        """
        SELECT booked_at, payer_account, memo FROM settlement_lines
        WHERE bank_txn_id = \(line) AND exception_id = \(e.id) LIMIT 1
        """, logger: logger
      ).collect()
      let (booked, account, text) = try rows.first?.decode((Date?, String?, String?).self) ?? (nil, nil, nil)
      (txn, paidAt, payer, memo, source) = (line, booked ?? now, account, text, "statement")
    }
    try await c.query(
      """
      INSERT INTO payments (\(unescaped: PaymentRows.columns))
      VALUES (\(paymentID), \(e.connector), \(txn), \(invoiceID), \(e.amount), \(e.currency), \(paidAt), \(now),
              \(day.description)::date, \(payer), NULL, \(memo), \(source), NULL)
      """, logger: logger)
    if source == "statement" {
      try await c.query(
        """
        UPDATE bank_transactions SET payment_id = \(paymentID), exception_id = NULL
        WHERE connector_code = \(e.connector) AND bank_txn_id = \(txn) AND exception_id = \(e.id)
        """, logger: logger)
    }
    try await c.query(
      "UPDATE invoices SET status = 'paid', paid_at = \(paidAt), payment_id = \(paymentID) WHERE id = \(invoiceID)",
      logger: logger)
    invoice.storedStatus = .paid
    invoice.paidAt = paidAt
    try await ledger.post(
      .settling(invoice, from: .suspense(connector: e.connector), kind: "exception.apply_to_invoice"),
      reference: e.id, businessDate: day, on: c, now: now)
    try await EventLog.append(
      [
        EventLog.Entry(
          id: ids.make(.event), portal: invoice.portalCode, type: "invoice.paid", subject: invoice.id,
          data: presenter.object(invoice, now: now).jsonValue)
      ], at: now, on: c, logger: logger)
  }

  // MARK: Closing and reporting

  /// Closes a business day: refused while it has open exceptions or connectors that took
  /// money that day without a statement, unless forced with a note. Afterwards the
  /// database refuses anything dated that day.
  public func closeDay(_ day: BusinessDate, force: Bool, note: String?, actor: String, now: Date) async throws
    -> DayClosure
  {
    guard day <= BusinessDate(containing: now) else {
      throw FeePayError(
        .dayNotOver, "Business day \(day) has not begun in Vietnam yet; only a past day or today can be closed.")
    }
    return try await database.transaction { c in
      let d = day.description
      // Exclusive against every write dated on the day (each takes the lock shared in its
      // trigger, migration 0011): the close waits for those in flight to commit, and those
      // that start now wait for the close and then find the day closed.
      _ = try await c.query("SELECT pg_advisory_xact_lock(8401, feepay_day_lock_key(\(d)::date))", logger: logger)
        .collect()
      let open = try await c.query(
        "SELECT count(*)::int FROM payment_exceptions WHERE business_date = \(d)::date AND status = 'open'",
        logger: logger
      ).collect()[0].decode(Int.self)
      let missing = try await c.query(
        """
        SELECT DISTINCT connector_code FROM (
          SELECT connector_code FROM payments WHERE business_date = \(d)::date
          UNION SELECT connector_code FROM payment_exceptions WHERE business_date = \(d)::date) x
        WHERE NOT EXISTS (SELECT 1 FROM settlements s WHERE s.connector_code = x.connector_code AND s.business_date = \(d)::date)
        ORDER BY 1
        """, logger: logger
      ).collect().map { try $0.decode(String.self) }
      if (open > 0 || !missing.isEmpty) && !force {
        var reasons: [String] = []
        if open > 0 { reasons.append("\(open) open exception(s)") }
        if !missing.isEmpty { reasons.append("no statement from \(missing.joined(separator: ", "))") }
        throw FeePayError(.dayNotReconciled, "Business day \(d) cannot be closed: \(reasons.joined(separator: "; ")).")
      }
      let inserted = try await c.query(
        """
        INSERT INTO business_days (business_date, closed_at, closed_by, forced, note)
        VALUES (\(d)::date, \(now), \(actor), \(force), \(note)) ON CONFLICT DO NOTHING RETURNING 1
        """, logger: logger
      ).collect()
      guard !inserted.isEmpty else { throw FeePayError(.dayClosed, "Business day \(d) is already closed.") }
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: actor, action: "business_day.close", subject: "day:\(d)",
        summary: [
          "forced": .bool(force), "note": note.map(JSONValue.string) ?? .null, "open_exceptions": .integer(Int64(open)),
        ])
      return DayClosure(
        businessDate: day, closedAt: now, forced: force, openExceptions: open, connectorsWithoutStatement: missing)
    }
  }

  /// A business day closed: when, whether forced past what was still open, and what was.
  public struct DayClosure: Sendable {
    public var businessDate: BusinessDate
    public var closedAt: Date
    public var forced: Bool
    public var openExceptions: Int
    public var connectorsWithoutStatement: [String]
  }

  /// A remittance row: what an agency collected under a fee code on a day, owed to the
  /// State Treasury (the movement of its `fees_payable` account that day).
  public struct RemittanceRow: Sendable {
    public var businessDate: BusinessDate
    public var agencyCode: String
    public var feeCode: String
    public var amount: Int64
    /// Whether the day is closed: until then the figures may still move.
    public var closed: Bool
  }

  /// One day's remittance, every agency.
  public func remittance(_ day: BusinessDate) async throws -> [RemittanceRow] {
    try await remittance(from: day, to: day, agencies: [])
  }

  /// The remittance of each day from `from` to `to` (inclusive) per agency and fee code, of
  /// `agencies` only unless it is empty. One query over the journals of those days.
  public func remittance(from: BusinessDate, to: BusinessDate, agencies: Set<String>) async throws -> [RemittanceRow] {
    try await database.query(
      """
      SELECT j.business_date::text, split_part(p.account_code, ':', 2), split_part(p.account_code, ':', 3),
             sum(p.credit - p.debit)::bigint, bool_or(d.closed_at IS NOT NULL)
      FROM ledger_postings p JOIN ledger_journals j ON j.id = p.journal_id
      LEFT JOIN business_days d ON d.business_date = j.business_date
      WHERE p.account_code LIKE 'fees_payable:%'
        AND j.business_date BETWEEN \(from.description)::date AND \(to.description)::date
        AND (\(agencies.isEmpty) OR split_part(p.account_code, ':', 2) = ANY(\(agencies.sorted())))
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      """
    ).map {
      let (day, agency, fee, amount, closed) = try $0.decode((String, String, String, Int64, Bool).self)
      return RemittanceRow(
        businessDate: try .stored(day, column: "ledger_journals.business_date"), agencyCode: agency, feeCode: fee,
        amount: amount, closed: closed)
    }
  }
}
