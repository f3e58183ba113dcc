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

  public init(database: Database, ids: IDGenerator, presenter: InvoicePresenter) {
    self.database = database
    self.ids = ids
    self.presenter = presenter
    self.ledger = LedgerStore(database: database, ids: ids)
  }

  var logger: Logger { database.logger }

  public static let categories = [
    "matched", "amount_mismatch", "recovered", "missing_in_feepay", "duplicate_in_bank", "missing_in_bank", "debit",
    "reversal", "other_currency",
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

  /// Imports and reconciles a statement in one transaction; answers its summary.
  public func reconcile(_ parsed: Parsed, actor: String, now: Date) async throws -> Summary {
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
      try await categorize(settlement: id, connector: c0, day: parsed.businessDate, on: c, now: now)
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

  /// Every line into exactly one category, and the effects of each, as set-based SQL.
  func categorize(settlement s: String, connector: String, day: BusinessDate, on c: PostgresConnection, now: Date)
    async throws
  {
    let d = day.description
    // First lock the open invoices the file names, as a callback locks its invoice before
    // it looks at anything: a callback that committed before is then seen below (matched),
    // one that comes later waits, then finds its bank transaction claimed by the recovery
    // (duplicate). Without the lock a callback committing between the categorization and
    // the recovery made the recovery's payment collide and the whole import fail.
    try await c.query(
      """
      SELECT i.id FROM invoices i
      WHERE i.status = 'open'
        AND i.payment_code IN (SELECT payment_code FROM incoming WHERE payment_code IS NOT NULL)
      ORDER BY i.id FOR UPDATE OF i
      """, logger: logger)
    // One pass from `incoming` into `settlement_lines`. Debits, reversals and other
    // currencies are listed, never matched; a bank transaction id twice in this file, or
    // already in an earlier statement, is a duplicate; a known transaction (the payment, or
    // the exception held in suspense, that FeePay recorded) is matched or an amount mismatch.
    // The rest stays uncategorized for the steps below.
    try await c.query(
      """
      INSERT INTO settlement_lines (settlement_id, line_no, bank_txn_id, payment_code, amount, currency, direction,
                                    reversal, booked_at, payer_account, memo, category, payment_id, invoice_id)
      SELECT settlement_id, line_no, bank_txn_id, payment_code, amount, currency, direction, reversal, booked_at,
             payer_account, memo, category,
             CASE WHEN category IN ('matched', 'amount_mismatch') THEN known_payment END,
             CASE WHEN category IN ('matched', 'amount_mismatch') THEN known_invoice END
      FROM (
        SELECT l.settlement_id, l.line_no, l.bank_txn_id, l.payment_code, l.amount, l.currency, l.direction,
               l.reversal, l.booked_at, l.payer_account, l.memo, x.payment_id AS known_payment,
               x.invoice_id AS known_invoice,
               CASE WHEN l.direction = 'debit' THEN 'debit' WHEN l.reversal THEN 'reversal'
                    WHEN l.currency <> 'VND' THEN 'other_currency'
                    WHEN d.first_line < l.line_no OR EXISTS (
                      SELECT 1 FROM settlement_lines o JOIN settlements st ON st.id = o.settlement_id
                      WHERE st.connector_code = \(connector) AND o.settlement_id <> \(s) AND o.bank_txn_id = l.bank_txn_id
                        AND o.category IN ('matched', 'amount_mismatch', 'recovered', 'missing_in_feepay'))
                      THEN 'duplicate_in_bank'
                    WHEN x.bank_txn_id IS NULL THEN NULL
                    WHEN x.amount = l.amount THEN 'matched' ELSE 'amount_mismatch' END AS category
        FROM (SELECT i.*, i.direction = 'credit' AND NOT i.reversal AND i.currency = 'VND' AS eligible
              FROM incoming i) l
        LEFT JOIN (SELECT bank_txn_id, min(line_no) AS first_line FROM incoming
                   WHERE direction = 'credit' AND NOT reversal AND currency = 'VND'
                   GROUP BY bank_txn_id HAVING count(*) > 1) d ON l.eligible AND d.bank_txn_id = l.bank_txn_id
        LEFT JOIN (SELECT bt.bank_txn_id, bt.payment_id, coalesce(p.amount, e.amount) AS amount,
                          coalesce(p.invoice_id, e.invoice_id) AS invoice_id
                   FROM bank_transactions bt
                   LEFT JOIN payments p ON p.id = bt.payment_id
                   LEFT JOIN payment_exceptions e ON e.id = bt.exception_id
                   WHERE bt.connector_code = \(connector)) x ON l.eligible AND x.bank_txn_id = l.bank_txn_id
        OFFSET 0  -- computed once: the outer query reads the category three times
      ) categorized
      """, logger: logger)
    try await c.query("ANALYZE settlement_lines", logger: logger)
    // Lost callbacks: the line names an open invoice with exactly that amount.
    let recovered = try await c.query(
      """
      WITH cand AS (
        SELECT l.line_no, i.id AS invoice_id,
               row_number() OVER (PARTITION BY i.id ORDER BY l.line_no) AS r
        FROM settlement_lines l
        JOIN invoices i ON i.payment_code = l.payment_code
        JOIN connectors cn ON cn.code = \(connector)
        WHERE l.settlement_id = \(s) AND l.category IS NULL AND i.status = 'open' AND l.amount = i.total_amount
          AND (l.booked_at IS NULL OR l.booked_at <= i.expires_at) AND cn.auto_recovery
          AND (NOT EXISTS (SELECT 1 FROM connector_agencies ca WHERE ca.connector_code = cn.code)
               OR EXISTS (SELECT 1 FROM connector_agencies ca WHERE ca.connector_code = cn.code
                          AND ca.agency_code = i.agency_code))
      )
      UPDATE settlement_lines l SET category = 'recovered', invoice_id = cand.invoice_id,
             payment_id = 'pay_' || substr(md5(\(s) || ':' || l.line_no), 1, 26)
      FROM cand WHERE l.settlement_id = \(s) AND l.line_no = cand.line_no AND cand.r = 1
      RETURNING l.invoice_id
      """, logger: logger
    ).collect()
    let recoveredInvoices = try recovered.map { try $0.decode(String.self) }
    if !recoveredInvoices.isEmpty {
      // Lock them, then record the payments the callbacks never delivered.
      try await c.query(
        "SELECT id FROM invoices WHERE id = ANY(\(recoveredInvoices)) ORDER BY id FOR UPDATE", logger: logger)
      try await c.query(
        """
        INSERT INTO bank_transactions (connector_code, bank_txn_id, payment_id, created_at)
        SELECT \(connector), bank_txn_id, payment_id, \(now) FROM settlement_lines
        WHERE settlement_id = \(s) AND category = 'recovered'
        """, logger: logger)
      try await c.query(
        """
        INSERT INTO payments (id, connector_code, bank_txn_id, invoice_id, amount, currency, paid_at, received_at,
                              business_date, payer_account, memo, source)
        SELECT payment_id, \(connector), bank_txn_id, invoice_id, amount, currency, coalesce(booked_at, \(now)), \(now),
               feepay_open_day(\(d)::date), payer_account, memo, 'statement'
        FROM settlement_lines WHERE settlement_id = \(s) AND category = 'recovered'
        """, logger: logger)
      try await c.query(
        """
        UPDATE invoices i SET status = 'paid', paid_at = coalesce(l.booked_at, \(now)), payment_id = l.payment_id
        FROM settlement_lines l WHERE l.settlement_id = \(s) AND l.category = 'recovered' AND i.id = l.invoice_id
        """, logger: logger)
      let fees = try await c.query(
        """
        SELECT i.agency_code, il.fee_code, sum(il.amount)::bigint FROM settlement_lines l
        JOIN invoices i ON i.id = l.invoice_id JOIN invoice_lines il ON il.invoice_id = i.id
        WHERE l.settlement_id = \(s) AND l.category = 'recovered' GROUP BY 1, 2 ORDER BY 1, 2
        """, logger: logger
      ).collect()
      var postings: [Posting] = []
      for row in fees {
        let (agency, fee, amount) = try row.decode((String, String, Int64).self)
        postings.append(.credit(.feesPayable(agency: agency, feeCode: fee), amount))
      }
      let total = postings.reduce(0) { $0 + $1.credit }
      try await ledger.post(
        JournalDraft(
          kind: "payment.recovered", postings: [.debit(.bankClearing(connector: connector), total)] + postings),
        reference: s, businessDate: try await openDay(day, on: c), on: c, now: now)
      let invoices = try await c.query(
        "SELECT \(unescaped: InvoiceStore.columns) FROM invoices i WHERE i.id = ANY(\(recoveredInvoices))",
        logger: logger
      ).collect().map(InvoiceStore.decode)
      try await c.query(
        """
        INSERT INTO events (id, portal_code, type, subject_id, data, created_at)
        SELECT t.e, t.p, 'invoice.paid', t.i, t.d::jsonb, \(now)
        FROM unnest(\(invoices.map { _ in ids.make(.event) })::text[], \(invoices.map(\.portalCode))::text[],
                    \(invoices.map(\.id))::text[],
                    \(invoices.map { String(decoding: presenter.json($0, now: now), as: UTF8.self) })::text[]) AS t(e, p, i, d)
        """, logger: logger)
      try await c.query(
        """
        INSERT INTO audit_log (at, actor, action, subject, summary)
        SELECT \(now), 'system:reconciliation', 'payment.recover', payment_id,
               jsonb_build_object('invoice', invoice_id, 'amount', amount, 'settlement', \(s), 'line', line_no)
        FROM settlement_lines WHERE settlement_id = \(s) AND category = 'recovered'
        """, logger: logger)
    }
    // Everything else is money FeePay never heard of.
    try await c.query(
      "UPDATE settlement_lines SET category = 'missing_in_feepay' WHERE settlement_id = \(s) AND category IS NULL",
      logger: logger)
    // Exceptions for lines FeePay cannot explain.
    let exceptionDay = try await openDay(day, on: c).description
    try await c.query(
      """
      UPDATE settlement_lines SET exception_id = 'exc_' || substr(md5(\(s) || ':' || line_no), 1, 26)
      WHERE settlement_id = \(s) AND category IN ('missing_in_feepay', 'amount_mismatch')
      """, logger: logger)
    try await c.query(
      """
      INSERT INTO payment_exceptions (id, kind, status, connector_code, amount, currency, bank_txn_id, payment_code,
                                      invoice_id, portal_code, business_date, created_at, payment_id, settlement_id)
      SELECT l.exception_id, CASE l.category WHEN 'missing_in_feepay' THEN 'missing_in_feepay'
                                             ELSE 'amount_mismatch_in_statement' END,
             'open', \(connector), l.amount, l.currency, l.bank_txn_id, l.payment_code, l.invoice_id, i.portal_code,
             \(exceptionDay)::date, \(now), l.payment_id, \(s)
      FROM settlement_lines l LEFT JOIN invoices i ON i.id = l.invoice_id
      WHERE l.settlement_id = \(s) AND l.category IN ('missing_in_feepay', 'amount_mismatch')
      """, logger: logger)
    // Payments of the day the bank does not list (late ones of the day before included,
    // once carried forward).
    let end = Date(timeIntervalSince1970: day.start.timeIntervalSince1970 + 86_400)
    try await c.query(
      """
      INSERT INTO payment_exceptions (id, kind, status, connector_code, amount, currency, bank_txn_id, payment_code,
                                      invoice_id, portal_code, business_date, created_at, payment_id, settlement_id)
      SELECT 'exc_' || substr(md5('mib:' || p.id), 1, 26), 'missing_in_bank', 'open', p.connector_code, p.amount,
             p.currency, p.bank_txn_id, i.payment_code, p.invoice_id, i.portal_code, \(exceptionDay)::date, \(now), p.id, \(s)
      FROM payments p JOIN invoices i ON i.id = p.invoice_id
      WHERE p.connector_code = \(connector) AND p.source = 'callback'
        AND ((p.business_date = \(d)::date AND p.paid_at < \(end.addingTimeInterval(-carryForward)))
          OR (p.business_date = \(d)::date - 1 AND p.paid_at >= \(day.start.addingTimeInterval(-carryForward))))
        AND NOT EXISTS (SELECT 1 FROM settlement_lines l JOIN settlements st ON st.id = l.settlement_id
                        WHERE st.connector_code = p.connector_code AND l.bank_txn_id = p.bank_txn_id
                          AND l.direction = 'credit')
      ON CONFLICT DO NOTHING
      """, logger: logger)
    // The bank confirms what was matched or recovered: clearing → settled.
    let settledRows = try await c.query(
      """
      SELECT coalesce(sum(amount), 0)::bigint FROM settlement_lines
      WHERE settlement_id = \(s) AND category IN ('matched', 'recovered')
      """, logger: logger
    ).collect()
    let settled = try settledRows[0].decode(Int64.self)
    if settled > 0 {
      try await ledger.post(
        JournalDraft(
          kind: "statement.matched",
          postings: [
            .debit(.bankSettled(connector: connector), settled), .credit(.bankClearing(connector: connector), settled),
          ]),
        reference: s, businessDate: try await openDay(day, on: c), on: c, now: now)
    }
    // One payment.exception event per new exception.
    let created = try await c.query(
      "SELECT \(unescaped: PaymentExceptionRows.columns), portal_code FROM payment_exceptions WHERE settlement_id = \(s)",
      logger: logger
    ).collect()
    let exceptions = try created.map(PaymentExceptionRows.decode)
    let portals = try created.map { try $0.makeRandomAccess()["portal_code"].decode(String?.self) }
    if !exceptions.isEmpty {
      try await c.query(
        """
        INSERT INTO events (id, portal_code, type, subject_id, data, created_at)
        SELECT t.e, nullif(t.p, ''), 'payment.exception', t.x, t.d::jsonb, \(now)
        FROM unnest(\(exceptions.map { _ in ids.make(.event) })::text[], \(portals.map { $0 ?? "" })::text[], \(exceptions.map(\.id))::text[],
                    \(exceptions.map(\.jsonValue.jsonText))::text[]) AS t(e, p, x, d)
        """, logger: logger)
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
    let rows = try await database.query(
      """
      SELECT connector_code, business_date::text, format, line_count, total_amount FROM settlements WHERE id = \(id)
      """)
    guard let row = rows.first else { return nil }
    let (connector, day, format, count, total) = try row.decode((String, String, String, Int, Int64).self)
    var buckets = Dictionary(uniqueKeysWithValues: Self.categories.map { ($0, Summary.Bucket(count: 0, amount: 0)) })
    for row in try await database.query(
      """
      SELECT category, count(*)::int, coalesce(sum(amount), 0)::bigint FROM settlement_lines
      WHERE settlement_id = \(id) GROUP BY category
      UNION ALL
      SELECT 'missing_in_bank', count(*)::int, coalesce(sum(amount), 0)::bigint FROM payment_exceptions
      WHERE settlement_id = \(id) AND kind = 'missing_in_bank'
      """)
    {
      let (category, n, amount) = try row.decode((String, Int, Int64).self)
      buckets[category] = Summary.Bucket(count: n, amount: amount)
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

  /// Resolves an open exception once: posts the journals of its ``ResolutionPlan`` (paying
  /// an invoice from suspense when the plan says so), marks it resolved and audits it, in
  /// one transaction. Throws ``ResolveRefusal`` when the policy refuses the action.
  public func resolve(
    id: String, action: ResolutionAction, invoiceID: String?, note: String, actor: String, now: Date
  ) async throws -> PaymentException {
    try await database.transaction { c in
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
      let plan = try ResolutionPlan.plan(kind: e.kind, action: action, amount: e.amount, connector: e.connector)
      if plan.paysInvoice, invoiceID.map({ IDGenerator.isWellFormed($0, kind: .invoice) }) != true {
        throw ResolveRefusal.invoiceRequired
      }
      let day = try await openDay(BusinessDate(containing: now), on: c)
      for journal in plan.journals {
        try await ledger.post(journal, reference: id, businessDate: day, on: c, now: now)
      }
      if plan.paysInvoice, let invoiceID {
        try await applyToInvoice(e, invoiceID: invoiceID, day: day, on: c, now: now)
      }
      let resolution = PaymentException.Resolution(
        action: action.rawValue, note: note, by: actor, at: Timestamp.format(now))
      let text = resolution.jsonValue.jsonText
      try await c.query(
        "UPDATE payment_exceptions SET status = 'resolved', resolution = \(text)::jsonb WHERE id = \(id)",
        logger: logger)
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: actor, action: "exception.resolve", subject: id,
        summary: [
          "action": .string(action.rawValue), "note": .string(note),
          "invoice": invoiceID.map(JSONValue.string) ?? .null,
        ])
      var resolved = e
      resolved.status = "resolved"
      resolved.resolution = resolution
      return resolved
    }
  }

  /// Pays an open invoice of exactly the exception's amount from suspense.
  func applyToInvoice(_ e: PaymentException, invoiceID: String, day: BusinessDate, on c: PostgresConnection, now: Date)
    async throws
  {
    let rows = try await c.query(
      "SELECT \(unescaped: InvoiceStore.columns) FROM invoices i WHERE i.id = \(invoiceID) FOR UPDATE", logger: logger
    ).collect()
    guard var invoice = try rows.first.map(InvoiceStore.decode) else { throw FeePayError.notFound("invoice") }
    guard invoice.status(at: now) == .open else {
      throw FeePayError(
        .invoiceNotOpen,
        "Invoice \(invoiceID) is \(invoice.status(at: now).rawValue); only an open invoice can be paid.")
    }
    guard invoice.totalAmount == e.amount else {
      throw ResolveRefusal.amountDiffers(held: e.amount, invoiceTotal: invoice.totalAmount)
    }
    let paymentID = ids.make(.payment)
    try await c.query(
      """
      INSERT INTO payments (id, connector_code, bank_txn_id, invoice_id, amount, currency, paid_at, received_at,
                            business_date, source)
      VALUES (\(paymentID), \(e.connector), \("resolution:" + e.id), \(invoiceID), \(e.amount), \(e.currency), \(now), \(now),
              \(day.description)::date, 'resolution')
      """, logger: logger)
    try await c.query(
      "UPDATE invoices SET status = 'paid', paid_at = \(now), payment_id = \(paymentID) WHERE id = \(invoiceID)",
      logger: logger)
    invoice.storedStatus = .paid
    invoice.paidAt = now
    try await ledger.post(
      .settling(invoice, from: .suspense(connector: e.connector), kind: "exception.apply_to_invoice"),
      reference: e.id, businessDate: day, on: c, now: now)
    try await EventLog.append(
      on: c, logger: logger, id: ids.make(.event), portal: invoice.portalCode, type: "invoice.paid",
      subject: invoice.id, data: presenter.json(invoice, now: now), at: now)
  }

  // MARK: Closing and reporting

  /// Closes a business day: refused while it has open exceptions or connectors that took
  /// money that day without a statement, unless forced with a note. Afterwards the
  /// database refuses anything dated that day.
  public func closeDay(_ day: BusinessDate, force: Bool, note: String?, actor: String, now: Date) async throws
    -> DayClosure
  {
    try await database.transaction { c in
      let d = day.description
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
    public var agencyCode: String
    public var feeCode: String
    public var amount: Int64

  }

  public func remittance(_ day: BusinessDate) async throws -> [RemittanceRow] {
    try await database.query(
      """
      SELECT split_part(p.account_code, ':', 2), split_part(p.account_code, ':', 3), sum(p.credit - p.debit)::bigint
      FROM ledger_postings p JOIN ledger_journals j ON j.id = p.journal_id
      WHERE p.account_code LIKE 'fees_payable:%' AND j.business_date = \(day.description)::date
      GROUP BY 1, 2 ORDER BY 1, 2
      """
    ).map {
      let (agency, fee, amount) = try $0.decode((String, String, Int64).self)
      return RemittanceRow(agencyCode: agency, feeCode: fee, amount: amount)
    }
  }
}
