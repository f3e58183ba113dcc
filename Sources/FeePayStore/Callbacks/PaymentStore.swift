public import FeePayCore
public import Foundation
import Logging
import PostgresNIO

/// Exactly what arrived with a callback, kept as evidence.
public struct CallbackEvidence: Sendable {
  public var method: String
  public var query: String
  public var headers: [String: String]
  public var body: [UInt8]
  public var receivedAt: Date

  public init(method: String, query: String, headers: [String: String], body: [UInt8], receivedAt: Date) {
    self.method = method
    self.query = query
    self.headers = headers
    self.body = body
    self.receivedAt = receivedAt
  }
}

/// What became of a verified callback.
public enum CallbackOutcome: Sendable, Equatable {
  case accepted(paymentID: String)
  /// The same bank transaction was seen before; nothing changed.
  case duplicate(paymentID: String?, exceptionID: String?)
  case exception(id: String, kind: ExceptionKind)
}

/// Payments and payment exceptions: one transaction per verified callback.
public struct PaymentStore: Sendable {
  let database: Database
  let ids: IDGenerator
  let presenter: InvoicePresenter
  let ledger: LedgerStore
  let paymentCodePrefix: String

  public init(database: Database, ids: IDGenerator, presenter: InvoicePresenter, paymentCodePrefix: String = "FP") {
    self.database = database
    self.ids = ids
    self.presenter = presenter
    self.ledger = LedgerStore(database: database, ids: ids)
    self.paymentCodePrefix = paymentCodePrefix
  }

  var logger: Logger { database.logger }

  /// Records one verified notification exactly once. In one transaction: lock the invoice
  /// its payment code names, decide (``CallbackDecision``), claim the bank transaction id
  /// (a second claim is a duplicate and changes nothing), keep the evidence, and either
  /// insert the payment, mark the invoice paid, post `bank_clearing → fees_payable`, and
  /// write `invoice.paid`; or insert an exception, post `bank_clearing → suspense`, and
  /// write `payment.exception`. An audit entry in both cases.
  ///
  /// A callback that meets its day being closed (it waits for the close, then finds the day
  /// closed) is written once more, into the next open day: the bank is never refused for it.
  public func record(
    _ notification: PaymentNotification, connector: Connector, evidence: CallbackEvidence, now: Date,
    amountBeforeState: Bool = false
  ) async throws -> CallbackOutcome {
    do {
      return try await recordOnce(
        notification, connector: connector, evidence: evidence, now: now, amountBeforeState: amountBeforeState)
    } catch let error as FeePayError where error.code == .dayClosed {
      return try await recordOnce(
        notification, connector: connector, evidence: evidence, now: now, amountBeforeState: amountBeforeState)
    }
  }

  private func recordOnce(
    _ notification: PaymentNotification, connector: Connector, evidence: CallbackEvidence, now: Date,
    amountBeforeState: Bool
  ) async throws -> CallbackOutcome {
    let code = notification.resolvedPaymentCode(prefix: paymentCodePrefix)
    return try await database.transaction { c in
      var invoice: Invoice?
      if let code {
        for try await locked in try await c.execute(
          LockInvoiceByPaymentCodeStatement(paymentCode: code.value), logger: logger)
        {
          invoice = locked
        }
      }
      let decision = CallbackDecision.decide(
        invoice: invoice, amount: notification.amount, connector: connector, now: now,
        amountBeforeState: amountBeforeState)
      if decision == .accept, var invoice {
        invoice.storedStatus = .paid
        invoice.paidAt = notification.paidAt
        let paymentID = ids.make(.payment)
        if try await accept(
          notification, invoice: invoice, paymentID: paymentID, connector: connector, evidence: evidence,
          on: c, now: now)
        {
          return .accepted(paymentID: paymentID)
        }
        return try await duplicate(notification, connector: connector, evidence: evidence, on: c)
      }
      let exceptionID = ids.make(.exception)
      let claimed = try await c.query(
        """
        INSERT INTO bank_transactions (connector_code, bank_txn_id, payment_id, exception_id, created_at)
        VALUES (\(connector.code), \(notification.bankTxnID), NULL, \(exceptionID), \(now))
        ON CONFLICT (connector_code, bank_txn_id) DO NOTHING
        RETURNING 1
        """, logger: logger
      ).collect()
      if claimed.isEmpty { return try await duplicate(notification, connector: connector, evidence: evidence, on: c) }

      // A closed day takes nothing more: a late callback posts into the next open day.
      let paidOn = BusinessDate(containing: notification.paidAt).description
      let businessDate =
        BusinessDate(
          try await c.query("SELECT feepay_open_day(\(paidOn)::date)::text", logger: logger).collect()[0].decode(
            String.self))
        ?? BusinessDate(containing: notification.paidAt)
      guard case .exception(let kind) = decision else { preconditionFailure("accept without an invoice") }
      let callbackID = try await keep(
        evidence, verdict: "exception", connector: connector.code, txn: notification.bankTxnID, payment: nil,
        exception: exceptionID, on: c)
      let exception = PaymentException(
        id: exceptionID, kind: kind, status: "open", connector: connector.code, amount: notification.amount,
        currency: notification.currency, bankTxnID: notification.bankTxnID,
        paymentCode: code?.value ?? notification.paymentCode, invoiceID: invoice?.id, businessDate: businessDate,
        createdAt: now, resolution: nil)
      try await insertException(exception, portal: invoice?.portalCode, callbackID: callbackID, on: c)
      try await ledger.post(
        .paymentException(connector: connector.code, amount: notification.amount), reference: exceptionID,
        businessDate: businessDate, on: c, now: now)
      try await appendEvent(
        type: "payment.exception", portal: invoice?.portalCode, subject: exceptionID,
        data: exception.jsonValue,
        on: c, now: now)
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: "connector:\(connector.code)", action: "payment.exception",
        subject: exceptionID,
        summary: [
          "kind": .string(kind.rawValue), "amount": .integer(notification.amount),
          "bank_txn_id": .string(notification.bankTxnID), "invoice": invoice.map { .string($0.id) } ?? .null,
        ])
      return .exception(id: exceptionID, kind: kind)
    }
  }

  /// An accepted payment in one statement (the hot path): claim the bank transaction and,
  /// only if the claim took, keep the evidence, insert the payment, mark the invoice paid,
  /// post `bank_clearing → fees_payable` into the first open day from the payment's own,
  /// and write `invoice.paid` and the audit entry. Answers `false` if the bank transaction
  /// was claimed before (nothing was written). `invoice` is the locked invoice, already
  /// marked paid as the event will show it.
  func accept(
    _ notification: PaymentNotification, invoice: Invoice, paymentID: String, connector: Connector,
    evidence: CallbackEvidence, on c: PostgresConnection, now: Date
  ) async throws -> Bool {
    let journal = JournalDraft.paymentAccepted(connector: connector.code, invoice: invoice)
    precondition(journal.isBalanced, "unbalanced journal \(journal)")
    let accounts = Dictionary(journal.postings.map { ($0.account.code, $0.account.kind.rawValue) }) { a, _ in a }
    let callbackID = ids.make(.callback)
    let journalID = ids.make(.journal)
    let paidOn = BusinessDate(containing: notification.paidAt).description
    let headers = JSONValue.object(evidence.headers.mapValues(JSONValue.string)).jsonText
    let event = String(decoding: presenter.json(invoice, now: now), as: UTF8.self)
    let summary = JSONValue.object([
      "invoice": .string(invoice.id), "amount": .integer(notification.amount),
      "bank_txn_id": .string(notification.bankTxnID),
    ]).jsonText
    let statement = AcceptPaymentStatement(
      connector: connector.code, bankTxnID: notification.bankTxnID, paymentID: paymentID, now: now, paidOn: paidOn,
      callbackID: callbackID, receivedAt: evidence.receivedAt, method: evidence.method, query: evidence.query,
      headers: headers, body: Data(evidence.body), invoiceID: invoice.id, amount: notification.amount,
      currency: notification.currency, paidAt: notification.paidAt, payerAccount: notification.payerAccount,
      payerName: notification.payerName, memo: notification.memo, accountCodes: Array(accounts.keys),
      accountKinds: Array(accounts.values), journalID: journalID, journalKind: journal.kind,
      postingAccounts: journal.postings.map(\.account.code), debits: journal.postings.map(\.debit),
      credits: journal.postings.map(\.credit), eventID: ids.make(.event), portalCode: invoice.portalCode,
      eventData: event, actor: "connector:\(connector.code)", summary: summary)
    var claimed = false
    for try await _ in try await c.execute(statement, logger: logger) { claimed = true }
    return claimed
  }

  /// The same bank transaction again: keep the evidence, change nothing, and answer what
  /// the first one became.
  func duplicate(
    _ notification: PaymentNotification, connector: Connector, evidence: CallbackEvidence, on c: PostgresConnection
  ) async throws -> CallbackOutcome {
    // The claim's row, locked: duplicates of one transaction are judged one after another.
    let rows = try await c.query(
      """
      SELECT payment_id, exception_id FROM bank_transactions
      WHERE connector_code = \(connector.code) AND bank_txn_id = \(notification.bankTxnID)
      FOR UPDATE
      """, logger: logger
    ).collect()
    let (pid, eid) = try rows[0].decode((String?, String?).self)
    if try await isReplay(evidence, of: notification.bankTxnID, connector: connector, on: c) {
      return .duplicate(paymentID: pid, exceptionID: eid)
    }
    try await keep(
      evidence, verdict: "duplicate", connector: connector.code, txn: notification.bankTxnID, payment: pid,
      exception: eid, on: c)
    return .duplicate(paymentID: pid, exceptionID: eid)
  }

  /// Whether a duplicate's evidence is already kept, so that keeping it again would only
  /// grow the table: for VNPay, any paid IPN of the transaction kept before (`vnp_TransactionNo`
  /// with `vnp_ResponseCode` 00; a payment recovered from a statement has none, so the
  /// first IPN for it is kept); for Standard Webhooks, a callback of
  /// the transaction with the same `webhook-id` and the same body (a replay; another message
  /// about the same transaction is kept).
  func isReplay(_ evidence: CallbackEvidence, of txn: String, connector: Connector, on c: PostgresConnection)
    async throws -> Bool
  {
    let vnpay = connector.kind == .vnpay
    let webhookID = evidence.headers["webhook-id"]
    return try await c.query(
      """
      SELECT EXISTS (
        SELECT 1 FROM callbacks
        WHERE connector_code = \(connector.code) AND bank_txn_id = \(txn) AND verdict <> 'failed_attempt'
          AND (\(vnpay) OR (headers->>'webhook-id' IS NOT DISTINCT FROM \(webhookID) AND body = \(Data(evidence.body)))))
      """, logger: logger
    ).collect()[0].decode(Bool.self)
  }

  /// A VNPay attempt that did not succeed: kept with its evidence, once per (connector,
  /// transaction, response code); the invoice stays open.
  public func recordFailedAttempt(
    connector: String, paymentCode: String?, bankTxnID: String?, responseCode: String, amount: Int64?,
    evidence: CallbackEvidence, now: Date
  ) async throws {
    try await database.transaction { c in
      if let bankTxnID {
        // Once per (connector, transaction, response code): replays wait here for the first.
        _ = try await c.query(
          "SELECT pg_advisory_xact_lock(8402, hashtext(\(connector + "\u{1F}" + bankTxnID)))", logger: logger
        ).collect()
        let seen = try await c.query(
          """
          SELECT 1 FROM payment_attempts
          WHERE connector_code = \(connector) AND bank_txn_id = \(bankTxnID) AND response_code = \(responseCode)
          """, logger: logger
        ).collect()
        if !seen.isEmpty { return }
      }
      let callbackID = try await keep(
        evidence, verdict: "failed_attempt", connector: connector, txn: bankTxnID, payment: nil, exception: nil, on: c)
      try await c.query(
        """
        INSERT INTO payment_attempts (connector_code, invoice_id, bank_txn_id, response_code, amount, callback_id, created_at)
        VALUES (\(connector), (SELECT id FROM invoices WHERE payment_code = \(paymentCode)), \(bankTxnID),
                \(responseCode), \(amount), \(callbackID), \(now))
        """, logger: logger)
    }
  }

  @discardableResult
  func keep(
    _ evidence: CallbackEvidence, verdict: String, connector: String, txn: String?, payment: String?,
    exception: String?, on c: PostgresConnection
  ) async throws -> String {
    let id = ids.make(.callback)
    let headers = JSONValue.object(evidence.headers.mapValues(JSONValue.string)).jsonText
    try await c.query(
      """
      INSERT INTO callbacks (id, connector_code, received_at, method, query, headers, body, verdict, bank_txn_id,
                             payment_id, exception_id)
      VALUES (\(id), \(connector), \(evidence.receivedAt), \(evidence.method), \(evidence.query), \(headers)::jsonb,
              \(Data(evidence.body)), \(verdict), \(txn), \(payment), \(exception))
      """, logger: logger)
    return id
  }

  func insertException(_ e: PaymentException, portal: String?, callbackID: String?, on c: PostgresConnection)
    async throws
  {
    try await c.query(
      """
      INSERT INTO payment_exceptions (id, kind, status, connector_code, amount, currency, bank_txn_id, payment_code,
                                      invoice_id, portal_code, business_date, callback_id, created_at)
      VALUES (\(e.id), \(e.kind.rawValue), 'open', \(e.connector), \(e.amount), \(e.currency), \(e.bankTxnID),
              \(e.paymentCode), \(e.invoiceID), \(portal), \(e.businessDate.description)::date, \(callbackID),
              \(e.createdAt))
      """, logger: logger)
  }

  func appendEvent(type: String, portal: String?, subject: String, data: JSONValue, on c: PostgresConnection, now: Date)
    async throws
  {
    try await EventLog.append(
      [EventLog.Entry(id: ids.make(.event), portal: portal, type: type, subject: subject, data: data)], at: now, on: c,
      logger: logger)
  }

  // MARK: Exceptions

  /// Filters of `GET /v1/exceptions`.
  public struct ExceptionQuery: Sendable {
    public var status: String?
    public var connector: String?
    public var businessDate: BusinessDate?
    public var after: String?
    public var limit = 50

    public init() {}
  }

  public func exceptions(_ query: ExceptionQuery) async throws -> ([PaymentException], hasMore: Bool) {
    let day = query.businessDate?.description
    let rows = try await database.query(
      """
      SELECT \(unescaped: PaymentExceptionRows.columns) FROM payment_exceptions
      WHERE (\(query.status)::text IS NULL OR status = \(query.status))
        AND (\(query.connector)::text IS NULL OR connector_code = \(query.connector))
        AND (\(day)::date IS NULL OR business_date = \(day)::date)
        AND (\(query.after)::text IS NULL OR id > \(query.after))
      ORDER BY id LIMIT \(query.limit + 1)
      """)
    let items = try rows.prefix(query.limit).map(PaymentExceptionRows.decode)
    return (items, rows.count > query.limit)
  }
}
