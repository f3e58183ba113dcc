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
  public func record(
    _ notification: PaymentNotification, connector: Connector, evidence: CallbackEvidence, now: Date,
    amountBeforeState: Bool = false
  ) async throws -> CallbackOutcome {
    let code = notification.resolvedPaymentCode(prefix: paymentCodePrefix)
    return try await database.transaction { c in
      var invoice: Invoice?
      if let code {
        let rows = try await c.query(
          """
          SELECT \(unescaped: InvoiceStore.columns) FROM invoices i WHERE i.payment_code = \(code.value) FOR UPDATE
          """, logger: logger
        ).collect()
        invoice = try rows.first.map(InvoiceStore.decode)
      }
      let decision = CallbackDecision.decide(
        invoice: invoice, amount: notification.amount, connector: connector, now: now,
        amountBeforeState: amountBeforeState)
      let paymentID = ids.make(.payment)
      let exceptionID = ids.make(.exception)
      let accepted = decision == .accept

      let claimed = try await c.query(
        """
        INSERT INTO bank_transactions (connector_code, bank_txn_id, payment_id, exception_id, created_at)
        VALUES (\(connector.code), \(notification.bankTxnID), \(accepted ? paymentID : nil),
                \(accepted ? nil : exceptionID), \(now))
        ON CONFLICT (connector_code, bank_txn_id) DO NOTHING
        RETURNING 1
        """, logger: logger
      ).collect()
      if claimed.isEmpty {
        let rows = try await c.query(
          """
          SELECT payment_id, exception_id FROM bank_transactions
          WHERE connector_code = \(connector.code) AND bank_txn_id = \(notification.bankTxnID)
          """, logger: logger
        ).collect()
        let (pid, eid) = try rows[0].decode((String?, String?).self)
        try await keep(
          evidence, verdict: "duplicate", connector: connector.code, txn: notification.bankTxnID, payment: pid,
          exception: eid, on: c)
        return .duplicate(paymentID: pid, exceptionID: eid)
      }

      // A closed day takes nothing more: a late callback posts into the next open day.
      let paidOn = BusinessDate(containing: notification.paidAt).description
      let businessDate =
        BusinessDate(
          try await c.query("SELECT feepay_open_day(\(paidOn)::date)::text", logger: logger).collect()[0].decode(
            String.self))
        ?? BusinessDate(containing: notification.paidAt)
      if accepted, var invoice {
        let callbackID = try await keep(
          evidence, verdict: "accepted", connector: connector.code, txn: notification.bankTxnID, payment: paymentID,
          exception: nil, on: c)
        try await insertPayment(
          paymentID, notification: notification, connector: connector.code, invoiceID: invoice.id,
          businessDate: businessDate, source: "callback", callbackID: callbackID, now: now, on: c)
        try await c.query(
          """
          UPDATE invoices SET status = 'paid', paid_at = \(notification.paidAt), payment_id = \(paymentID)
          WHERE id = \(invoice.id)
          """, logger: logger)
        invoice.storedStatus = .paid
        invoice.paidAt = notification.paidAt
        try await ledger.post(
          .paymentAccepted(connector: connector.code, invoice: invoice), reference: paymentID,
          businessDate: businessDate, on: c, now: now)
        try await appendEvent(
          type: "invoice.paid", portal: invoice.portalCode, subject: invoice.id,
          data: presenter.json(invoice, now: now), on: c, now: now)
        try await AuditLog.append(
          on: c, logger: logger, at: now, actor: "connector:\(connector.code)", action: "payment.accept",
          subject: paymentID,
          summary: [
            "invoice": .string(invoice.id), "amount": .integer(notification.amount),
            "bank_txn_id": .string(notification.bankTxnID),
          ])
        return .accepted(paymentID: paymentID)
      }

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
        data: JSONOutput.encode(exception),
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

  /// A VNPay attempt that did not succeed: kept with its evidence; the invoice stays open.
  public func recordFailedAttempt(
    connector: String, paymentCode: String?, bankTxnID: String?, responseCode: String, amount: Int64?,
    evidence: CallbackEvidence, now: Date
  ) async throws {
    try await database.transaction { c in
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

  func insertPayment(
    _ id: String, notification: PaymentNotification, connector: String, invoiceID: String, businessDate: BusinessDate,
    source: String, callbackID: String?, now: Date, on c: PostgresConnection
  ) async throws {
    try await c.query(
      """
      INSERT INTO payments (id, connector_code, bank_txn_id, invoice_id, amount, currency, paid_at, received_at,
                            business_date, payer_account, payer_name, memo, source, callback_id)
      VALUES (\(id), \(connector), \(notification.bankTxnID), \(invoiceID), \(notification.amount),
              \(notification.currency), \(notification.paidAt), \(now), \(businessDate.description)::date,
              \(notification.payerAccount), \(notification.payerName), \(notification.memo), \(source), \(callbackID))
      """, logger: logger)
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

  func appendEvent(type: String, portal: String?, subject: String, data: [UInt8], on c: PostgresConnection, now: Date)
    async throws
  {
    try await EventLog.append(
      on: c, logger: logger, id: ids.make(.event), portal: portal, type: type, subject: subject, data: data, at: now)
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
      SELECT id, kind, status, connector_code, amount, currency, bank_txn_id, payment_code, invoice_id,
             business_date::text, created_at, resolution::text
      FROM payment_exceptions
      WHERE (\(query.status)::text IS NULL OR status = \(query.status))
        AND (\(query.connector)::text IS NULL OR connector_code = \(query.connector))
        AND (\(day)::date IS NULL OR business_date = \(day)::date)
        AND (\(query.after)::text IS NULL OR id > \(query.after))
      ORDER BY id LIMIT \(query.limit + 1)
      """)
    let items = try rows.prefix(query.limit).map { row in
      let (id, kind, status, connector, amount, currency, txn, code, invoice, day, created, resolution) =
        try row.decode(
          (String, String, String, String, Int64, String, String?, String?, String?, String, Date, String?).self)
      return PaymentException(
        id: id, kind: ExceptionKind(rawValue: kind) ?? .unknownPaymentCode, status: status, connector: connector,
        amount: amount, currency: currency, bankTxnID: txn, paymentCode: code, invoiceID: invoice,
        businessDate: BusinessDate(day) ?? BusinessDate(containing: created), createdAt: created,
        resolution: try resolution.map {
          try JSONDecoder().decode(PaymentException.Resolution.self, from: Data($0.utf8))
        })
    }
    return (items, rows.count > query.limit)
  }
}
