import FeePayCore
import Foundation
import Logging
import PostgresNIO

/// Reconciling a loaded statement (the `incoming` table of the importing transaction), step
/// by step: lock → categorize → recover → raise exceptions → settle → announce. Each step is
/// one statement or a small group; ids come from the same generator as everywhere else.
extension SettlementStore {
  /// Every line into exactly one category, and the effects of each.
  func categorize(
    settlement s: String, connector: String, day: BusinessDate, uploader: Uploader, on c: PostgresConnection,
    now: Date
  ) async throws {
    // Postings, payments and exceptions land in the first open day from the statement's own.
    let open = try await openDay(day, on: c)
    try await lockNamedInvoices(on: c)
    try await categorizeLines(settlement: s, connector: connector, on: c)
    try await recoverLostCallbacks(settlement: s, connector: connector, day: open, uploader: uploader, on: c, now: now)
    let exceptions = try await raiseExceptions(
      settlement: s, connector: connector, day: day, openDay: open, on: c, now: now)
    try await settle(settlement: s, connector: connector, day: open, on: c, now: now)
    try await EventLog.append(
      exceptions.map {
        EventLog.Entry(
          id: ids.make(.event), portal: $0.portal, type: "payment.exception", subject: $0.exception.id,
          data: $0.exception.jsonValue)
      }, at: now, on: c, logger: logger)
  }

  /// Locks the open invoices the file names, as a callback locks its invoice before it looks
  /// at anything: a callback that committed before is then seen (matched), one that comes
  /// later waits, then finds its bank transaction claimed by the recovery (duplicate).
  /// Without the lock a callback committing between the categorization and the recovery made
  /// the recovery's payment collide and the whole import fail.
  func lockNamedInvoices(on c: PostgresConnection) async throws {
    try await c.query(
      """
      SELECT i.id FROM invoices i
      WHERE i.status = 'open'
        AND i.payment_code IN (SELECT payment_code FROM incoming WHERE payment_code IS NOT NULL)
      ORDER BY i.id FOR UPDATE OF i
      """, logger: logger)
  }

  /// The categorizing INSERT (bench/reconcile_baseline.sql runs it word for word).
  func categorizeLines(settlement s: String, connector: String, on c: PostgresConnection) async throws {
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
                        AND o.category IN ('matched', 'amount_mismatch', 'recovered', 'missing_in_feepay',
                                         'recovery_pending_approval'))
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
    // ANALYZE is the owner's right: the runtime role asks the owner's function (Migrations/0017).
    try await c.query("SELECT feepay_analyze_settlement_lines()", logger: logger)
  }

  /// Lost callbacks: a line naming an open invoice with exactly its amount. On a connector
  /// whose statements arrive through an authenticated bank channel (`statement_channel =
  /// 'signed'`, auto-recovery on), uploaded by a machine, it pays the invoice as the callback
  /// would have: the bank transaction is claimed, the payment recorded, the invoice paid, the
  /// journal posted, the portal told. Otherwise only one person's file vouches for it: the
  /// money waits as a `recovery_pending_approval` exception whose proposal (pay that invoice,
  /// proposed by the uploader) a second person approves.
  func recoverLostCallbacks(
    settlement s: String, connector: String, day: BusinessDate, uploader: Uploader, on c: PostgresConnection,
    now: Date
  ) async throws {
    let candidates = try await c.query(
      """
      WITH cand AS (
        SELECT l.line_no, i.id AS invoice_id,
               row_number() OVER (PARTITION BY i.id ORDER BY l.line_no) AS r
        FROM settlement_lines l
        JOIN invoices i ON i.payment_code = l.payment_code
        JOIN connectors cn ON cn.code = \(connector)
        WHERE l.settlement_id = \(s) AND l.category IS NULL AND i.status = 'open' AND l.amount = i.total_amount
          AND (l.booked_at IS NULL OR l.booked_at <= i.expires_at)
          AND (NOT EXISTS (SELECT 1 FROM connector_agencies ca WHERE ca.connector_code = cn.code)
               OR EXISTS (SELECT 1 FROM connector_agencies ca WHERE ca.connector_code = cn.code
                          AND ca.agency_code = i.agency_code))
      )
      SELECT c.line_no, c.invoice_id, l.amount FROM cand c
      JOIN settlement_lines l ON l.settlement_id = \(s) AND l.line_no = c.line_no
      WHERE c.r = 1 ORDER BY c.line_no
      """, logger: logger
    ).collect().map { try $0.decode((Int, String, Int64).self) }
    guard !candidates.isEmpty else { return }
    let trusted = try await c.query(
      "SELECT auto_recovery AND statement_channel = 'signed' FROM connectors WHERE code = \(connector)",
      logger: logger
    ).collect()[0].decode(Bool.self)
    guard trusted, !uploader.isPerson else {
      try await holdForApproval(
        candidates, settlement: s, connector: connector, day: day, uploader: uploader, on: c, now: now)
      return
    }
    // The invoices are locked already (lockNamedInvoices): each line names one of them.
    let lines = candidates.map(\.0)
    let invoiceIDs = candidates.map(\.1)
    let paymentIDs = candidates.map { _ in ids.make(.payment) }
    try await c.query(
      """
      UPDATE settlement_lines l SET category = 'recovered', invoice_id = t.invoice, payment_id = t.payment
      FROM unnest(\(lines)::int[], \(invoiceIDs)::text[], \(paymentIDs)::text[]) AS t(line, invoice, payment)
      WHERE l.settlement_id = \(s) AND l.line_no = t.line
      """, logger: logger)
    try await c.query(
      """
      INSERT INTO bank_transactions (connector_code, bank_txn_id, payment_id, created_at)
      SELECT \(connector), bank_txn_id, payment_id, \(now) FROM settlement_lines
      WHERE settlement_id = \(s) AND category = 'recovered'
      """, logger: logger)
    try await c.query(
      """
      INSERT INTO payments (\(unescaped: PaymentRows.columns))
      SELECT payment_id, \(connector), bank_txn_id, invoice_id, amount, currency, coalesce(booked_at, \(now)), \(now),
             \(day.description)::date, payer_account, NULL, memo, 'statement', NULL
      FROM settlement_lines WHERE settlement_id = \(s) AND category = 'recovered'
      """, logger: logger)
    let invoices = try await c.query(
      """
      UPDATE invoices i SET status = 'paid', paid_at = coalesce(l.booked_at, \(now)), payment_id = l.payment_id
      FROM settlement_lines l WHERE l.settlement_id = \(s) AND l.category = 'recovered' AND i.id = l.invoice_id
      RETURNING \(unescaped: InvoiceStore.columns)
      """, logger: logger
    ).collect().map(InvoiceStore.decode)
    try await postRecovered(settlement: s, connector: connector, day: day, on: c, now: now)
    try await EventLog.append(
      invoices.map {
        EventLog.Entry(
          id: ids.make(.event), portal: $0.portalCode, type: "invoice.paid", subject: $0.id,
          data: presenter.object($0, now: now).jsonValue)
      }, at: now, on: c, logger: logger)
    try await AuditLog.append(
      zip(candidates, paymentIDs).map { candidate, payment in
        AuditLog.Entry(
          actor: "system:reconciliation", action: "payment.recover", subject: payment,
          summary: [
            "invoice": .string(candidate.1), "amount": .integer(candidate.2), "settlement": .string(s),
            "line": .integer(Int64(candidate.0)),
          ])
      }, at: now, on: c, logger: logger)
  }

  /// Lines that would pay an invoice on the word of the uploaded file alone: each becomes an
  /// open `recovery_pending_approval` exception holding the money (its bank transaction
  /// claimed, so that a late callback for it is a duplicate), with the uploader's proposal
  /// to pay the invoice it names. Nothing is paid and nothing is posted until a second
  /// person approves (then as for `missing_in_feepay` applied to that invoice).
  func holdForApproval(
    _ candidates: [(Int, String, Int64)], settlement s: String, connector: String, day: BusinessDate,
    uploader: Uploader, on c: PostgresConnection, now: Date
  ) async throws {
    let at = Timestamp.format(now)
    let exceptionIDs = candidates.map { _ in ids.make(.exception) }
    let proposals = candidates.map { line, invoice, _ in
      PaymentException.Proposal(
        action: .applyToInvoice, invoiceID: invoice,
        note: "Statement \(s), line \(line), names this invoice with exactly its amount.", by: uploader.actor, at: at
      ).jsonValue.jsonText
    }
    try await c.query(
      """
      UPDATE settlement_lines l SET category = 'recovery_pending_approval', invoice_id = t.invoice, exception_id = t.id
      FROM unnest(\(candidates.map(\.0))::int[], \(candidates.map(\.1))::text[], \(exceptionIDs)::text[])
        AS t(line, invoice, id)
      WHERE l.settlement_id = \(s) AND l.line_no = t.line
      """, logger: logger)
    try await c.query(
      """
      INSERT INTO bank_transactions (connector_code, bank_txn_id, payment_id, exception_id, created_at)
      SELECT \(connector), bank_txn_id, NULL, exception_id, \(now) FROM settlement_lines
      WHERE settlement_id = \(s) AND category = 'recovery_pending_approval'
      """, logger: logger)
    try await c.query(
      """
      INSERT INTO payment_exceptions (id, kind, status, connector_code, amount, currency, bank_txn_id, payment_code,
                                      invoice_id, portal_code, business_date, created_at, settlement_id, proposal)
      SELECT l.exception_id, 'recovery_pending_approval', 'open', \(connector), l.amount, l.currency, l.bank_txn_id,
             l.payment_code, l.invoice_id, i.portal_code, \(day.description)::date, \(now), \(s), t.proposal::jsonb
      FROM unnest(\(exceptionIDs)::text[], \(proposals)::text[]) AS t(id, proposal)
      JOIN settlement_lines l ON l.settlement_id = \(s) AND l.exception_id = t.id
      JOIN invoices i ON i.id = l.invoice_id
      """, logger: logger)
    try await AuditLog.append(
      zip(candidates, exceptionIDs).map { candidate, exception in
        AuditLog.Entry(
          actor: uploader.actor, action: "exception.propose", subject: exception,
          summary: [
            "action": .string(ResolutionAction.applyToInvoice.rawValue), "invoice": .string(candidate.1),
            "amount": .integer(candidate.2), "settlement": .string(s), "line": .integer(Int64(candidate.0)),
          ])
      }, at: now, on: c, logger: logger)
  }

  /// One journal for every recovered payment of the statement: the clearing account debited,
  /// each agency's fee codes credited.
  func postRecovered(settlement s: String, connector: String, day: BusinessDate, on c: PostgresConnection, now: Date)
    async throws
  {
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
    let total = try MoneyMath.sum(postings.map(\.credit))
    try await ledger.post(
      JournalDraft(
        kind: "payment.recovered", postings: [.debit(.bankClearing(connector: connector), total)] + postings),
      reference: s, businessDate: day, on: c, now: now)
  }

  /// An exception for every line FeePay cannot explain (money it never heard of, an amount
  /// that differs from the payment) and for every payment of the day the bank does not list
  /// (late ones of the day before included, once carried forward). Answers the new ones.
  func raiseExceptions(
    settlement s: String, connector: String, day: BusinessDate, openDay: BusinessDate, on c: PostgresConnection,
    now: Date
  ) async throws -> [(exception: PaymentException, portal: String?)] {
    try await c.query(
      "UPDATE settlement_lines SET category = 'missing_in_feepay' WHERE settlement_id = \(s) AND category IS NULL",
      logger: logger)
    let exceptionDay = openDay.description
    let unexplained = try await c.query(
      """
      SELECT line_no FROM settlement_lines
      WHERE settlement_id = \(s) AND category IN ('missing_in_feepay', 'amount_mismatch') ORDER BY line_no
      """, logger: logger
    ).collect().map { try $0.decode(Int.self) }
    if !unexplained.isEmpty {
      try await c.query(
        """
        UPDATE settlement_lines l SET exception_id = t.id
        FROM unnest(\(unexplained)::int[], \(unexplained.map { _ in ids.make(.exception) })::text[]) AS t(line, id)
        WHERE l.settlement_id = \(s) AND l.line_no = t.line
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
    }
    let d = day.description
    let end = Date(timeIntervalSince1970: day.start.timeIntervalSince1970 + 86_400)
    let unlisted = try await c.query(
      """
      SELECT p.id
      FROM payments p JOIN invoices i ON i.id = p.invoice_id
      WHERE p.connector_code = \(connector) AND p.source = 'callback'
        AND ((p.business_date = \(d)::date AND p.paid_at < \(end.addingTimeInterval(-carryForward)))
          OR (p.business_date = \(d)::date - 1 AND p.paid_at >= \(day.start.addingTimeInterval(-carryForward))))
        AND NOT EXISTS (SELECT 1 FROM settlement_lines l JOIN settlements st ON st.id = l.settlement_id
                        WHERE st.connector_code = p.connector_code AND l.bank_txn_id = p.bank_txn_id
                          AND l.direction = 'credit')
        AND NOT EXISTS (SELECT 1 FROM payment_exceptions e WHERE e.payment_id = p.id AND e.kind = 'missing_in_bank')
      """, logger: logger
    ).collect().map { try $0.decode(String.self) }
    if !unlisted.isEmpty {
      // A payment already held as missing in an earlier statement of the day keeps that
      // exception (the partial unique index on payment_id decides).
      try await c.query(
        """
        INSERT INTO payment_exceptions (id, kind, status, connector_code, amount, currency, bank_txn_id, payment_code,
                                        invoice_id, portal_code, business_date, created_at, payment_id, settlement_id)
        SELECT t.id, 'missing_in_bank', 'open', p.connector_code, p.amount, p.currency, p.bank_txn_id,
               i.payment_code, p.invoice_id, i.portal_code, \(exceptionDay)::date, \(now), p.id, \(s)
        FROM unnest(\(unlisted)::text[], \(unlisted.map { _ in ids.make(.exception) })::text[]) AS t(payment, id)
        JOIN payments p ON p.id = t.payment JOIN invoices i ON i.id = p.invoice_id
        ON CONFLICT DO NOTHING
        """, logger: logger)
    }
    return try await c.query(
      "SELECT \(unescaped: PaymentExceptionRows.columns), portal_code FROM payment_exceptions WHERE settlement_id = \(s)",
      logger: logger
    ).collect().map { row in
      (try PaymentExceptionRows.decode(row), try row.makeRandomAccess()["portal_code"].decode(String?.self))
    }
  }

  /// The bank confirms what was matched or recovered: clearing → settled.
  func settle(settlement s: String, connector: String, day: BusinessDate, on c: PostgresConnection, now: Date)
    async throws
  {
    let settled = try await c.query(
      """
      SELECT coalesce(sum(amount), 0)::bigint FROM settlement_lines
      WHERE settlement_id = \(s) AND category IN ('matched', 'recovered')
      """, logger: logger
    ).collect()[0].decode(Int64.self)
    guard settled > 0 else { return }
    try await ledger.post(
      JournalDraft(
        kind: "statement.matched",
        postings: [
          .debit(.bankSettled(connector: connector), settled), .credit(.bankClearing(connector: connector), settled),
        ]),
      reference: s, businessDate: day, on: c, now: now)
  }
}
