import Foundation
import PostgresNIO

/// An accepted payment as one prepared statement: claim the bank transaction and, only if
/// the claim took, keep the evidence, insert the payment, mark the invoice paid, post the
/// journal into the first open day from the payment's own, and write the `invoice.paid`
/// event and the audit entry. Foreign keys between these rows are checked at the end of the
/// statement, when all of them exist. Answers one row (the business date) if it claimed.
struct AcceptPaymentStatement: PostgresPreparedStatement {
  static let named = NamedSQL(
    """
    WITH claim AS (
      INSERT INTO bank_transactions (connector_code, bank_txn_id, payment_id, exception_id, created_at)
      VALUES (:connector, :bank_txn_id, :payment_id, NULL, :now)
      ON CONFLICT (connector_code, bank_txn_id) DO NOTHING
      RETURNING feepay_open_day(:paid_on::date) AS day
    ), evidence AS (
      INSERT INTO callbacks (id, connector_code, received_at, method, query, headers, body, verdict, bank_txn_id,
                             payment_id, exception_id)
      SELECT :callback_id, :connector, :received_at, :method, :query, :headers::jsonb, :body, 'accepted',
             :bank_txn_id, :payment_id, NULL
      FROM claim
    ), payment AS (
      INSERT INTO payments (\(PaymentRows.columns))
      SELECT :payment_id, :connector, :bank_txn_id, :invoice_id, :amount, :currency, :paid_at, :now, claim.day,
             :payer_account, :payer_name, :memo, 'callback', :callback_id
      FROM claim
    ), paid AS (
      UPDATE invoices SET status = 'paid', paid_at = :paid_at, payment_id = :payment_id
      WHERE id = :invoice_id AND EXISTS (SELECT 1 FROM claim)
    ), accounts AS (
      INSERT INTO ledger_accounts (\(LedgerStore.accountColumns))
      SELECT a.code, a.kind FROM claim, unnest(:account_codes::text[], :account_kinds::text[]) AS a(code, kind)
      ON CONFLICT (code) DO NOTHING
    ), journal AS (
      INSERT INTO ledger_journals (\(LedgerStore.journalColumns))
      SELECT :journal_id, :journal_kind, :payment_id, claim.day, :now FROM claim
    ), postings AS (
      INSERT INTO ledger_postings (\(LedgerStore.postingColumns))
      SELECT :journal_id, t.a, t.d, t.cr
      FROM claim, unnest(:posting_accounts::text[], :debits::bigint[], :credits::bigint[]) AS t(a, d, cr)
    ), event AS (
      \(EventLog.insert(
        values: ":event_id, :portal_code, 'invoice.paid', :invoice_id, :event_data::jsonb, :now", from: "claim"))
    ), audit AS (
      \(AuditLog.insert(values: ":now, :actor, 'payment.accept', :payment_id, :summary::jsonb", from: "claim"))
    )
    SELECT day FROM claim
    """)
  static var sql: String { named.sql }
  typealias Row = Date

  var connector: String
  var bankTxnID: String
  var paymentID: String
  var now: Date
  var paidOn: String
  var callbackID: String
  var receivedAt: Date
  var method: String
  var query: String
  var headers: String
  var body: Data
  var invoiceID: String
  var amount: Int64
  var currency: String
  var paidAt: Date
  var payerAccount: String?
  var payerName: String?
  var memo: String?
  var accountCodes: [String]
  var accountKinds: [String]
  var journalID: String
  var journalKind: String
  var postingAccounts: [String]
  var debits: [Int64]
  var credits: [Int64]
  var eventID: String
  var portalCode: String
  var eventData: String
  var actor: String
  var summary: String

  func makeBindings() throws -> PostgresBindings {
    var b = NamedBindings(Self.named)
    b.bind("connector", connector)
    b.bind("bank_txn_id", bankTxnID)
    b.bind("payment_id", paymentID)
    b.bind("now", now)
    b.bind("paid_on", paidOn)
    b.bind("callback_id", callbackID)
    b.bind("received_at", receivedAt)
    b.bind("method", method)
    b.bind("query", query)
    b.bind("headers", headers)
    b.bind("body", body)
    b.bind("invoice_id", invoiceID)
    b.bind("amount", amount)
    b.bind("currency", currency)
    b.bind("paid_at", paidAt)
    b.bind("payer_account", payerAccount)
    b.bind("payer_name", payerName)
    b.bind("memo", memo)
    b.bind("account_codes", accountCodes)
    b.bind("account_kinds", accountKinds)
    b.bind("journal_id", journalID)
    b.bind("journal_kind", journalKind)
    b.bind("posting_accounts", postingAccounts)
    b.bind("debits", debits)
    b.bind("credits", credits)
    b.bind("event_id", eventID)
    b.bind("portal_code", portalCode)
    b.bind("event_data", eventData)
    b.bind("actor", actor)
    b.bind("summary", summary)
    return try b.bindings()
  }

  func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Date.self) }
}
