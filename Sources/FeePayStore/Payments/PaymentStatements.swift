import Foundation
import PostgresNIO

/// An accepted payment as one prepared statement: claim the bank transaction and, only if
/// the claim took, keep the evidence, insert the payment, mark the invoice paid, post the
/// journal into the first open day from the payment's own, and write the `invoice.paid`
/// event and the audit entry. Foreign keys between these rows are checked at the end of the
/// statement, when all of them exist. Answers one row (the business date) if it claimed.
struct AcceptPaymentStatement: PostgresPreparedStatement {
  static let sql = """
    WITH claim AS (
      INSERT INTO bank_transactions (connector_code, bank_txn_id, payment_id, exception_id, created_at)
      VALUES ($1, $2, $3, NULL, $4)
      ON CONFLICT (connector_code, bank_txn_id) DO NOTHING
      RETURNING feepay_open_day($5::date) AS day
    ), evidence AS (
      INSERT INTO callbacks (id, connector_code, received_at, method, query, headers, body, verdict, bank_txn_id,
                             payment_id, exception_id)
      SELECT $6, $1, $7, $8, $9, $10::jsonb, $11, 'accepted', $2, $3, NULL FROM claim
    ), payment AS (
      INSERT INTO payments (id, connector_code, bank_txn_id, invoice_id, amount, currency, paid_at, received_at,
                            business_date, payer_account, payer_name, memo, source, callback_id)
      SELECT $3, $1, $2, $12, $13, $14, $15, $4, claim.day, $16, $17, $18, 'callback', $6 FROM claim
    ), paid AS (
      UPDATE invoices SET status = 'paid', paid_at = $15, payment_id = $3
      WHERE id = $12 AND EXISTS (SELECT 1 FROM claim)
    ), accounts AS (
      INSERT INTO ledger_accounts (code, kind)
      SELECT a.code, a.kind FROM claim, unnest($19::text[], $20::text[]) AS a(code, kind)
      ON CONFLICT (code) DO NOTHING
    ), journal AS (
      INSERT INTO ledger_journals (id, kind, reference, business_date, created_at)
      SELECT $21, $22, $3, claim.day, $4 FROM claim
    ), postings AS (
      INSERT INTO ledger_postings (journal_id, account_code, debit, credit)
      SELECT $21, t.a, t.d, t.cr FROM claim, unnest($23::text[], $24::bigint[], $25::bigint[]) AS t(a, d, cr)
    ), event AS (
      INSERT INTO events (id, portal_code, type, subject_id, data, created_at)
      SELECT $26, $27, 'invoice.paid', $12, $28::jsonb, $4 FROM claim
    ), audit AS (
      INSERT INTO audit_log (at, actor, action, subject, summary)
      SELECT $4, $29, 'payment.accept', $3, $30::jsonb FROM claim
    )
    SELECT day FROM claim
    """
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
    var b = PostgresBindings(capacity: 30)
    b.append(connector)
    b.append(bankTxnID)
    b.append(paymentID)
    b.append(now)
    b.append(paidOn)
    b.append(callbackID)
    b.append(receivedAt)
    b.append(method)
    b.append(query)
    b.append(headers)
    try b.append(body)
    b.append(invoiceID)
    b.append(amount)
    b.append(currency)
    b.append(paidAt)
    b.append(payerAccount)
    b.append(payerName)
    b.append(memo)
    b.append(accountCodes)
    b.append(accountKinds)
    b.append(journalID)
    b.append(journalKind)
    b.append(postingAccounts)
    b.append(debits)
    b.append(credits)
    b.append(eventID)
    b.append(portalCode)
    b.append(eventData)
    b.append(actor)
    b.append(summary)
    return b
  }

  func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Date.self) }
}
