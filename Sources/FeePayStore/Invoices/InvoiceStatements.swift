import FeePayCore
import Foundation
import PostgresNIO

/// Invoice creation as one prepared statement (planned once per connection, not per
/// request). See ``InvoiceStore/create(_:portalCode:keyID:actor:idempotency:now:)``: a
/// transaction-scoped advisory lock on the key tells a concurrent retry that the first
/// request still runs; the claim inserts the key with the finished response, but only if
/// that lock was free and the API key is unrevoked; the invoice, its lines and the audit
/// entry follow the claim. Answers (claimed, busy, key valid).
struct CreateInvoiceStatement: PostgresPreparedStatement {
  static let sql = """
    WITH running AS (
      SELECT NOT pg_try_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0)) AS busy
    ), claim AS (
      INSERT INTO idempotency_keys AS k (portal_code, key, request_hash, status, response_status, response_body,
                                         created_at, locked_at)
      SELECT $1, $2, $3, 'completed', 201, $4, $5, $5
      FROM running
      WHERE NOT running.busy
        AND ($6::text IS NULL OR EXISTS (SELECT 1 FROM api_keys WHERE id = $6 AND revoked_at IS NULL))
      ON CONFLICT (portal_code, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, status = 'completed', response_status = 201,
            response_body = EXCLUDED.response_body, created_at = EXCLUDED.created_at, locked_at = EXCLUDED.locked_at
        WHERE k.created_at < $7
           OR (k.status = 'in_progress' AND k.locked_at < $8 AND k.request_hash = EXCLUDED.request_hash)
      RETURNING 1
    ), invoice AS (
      INSERT INTO invoices (id, portal_code, agency_code, dossier_code, procedure_code, payer_name, payer_id_number,
                            payer_email, payer_phone, currency, total_amount, payment_code, vietqr, status,
                            expires_at, created_at, metadata)
      SELECT $9, $1, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 'open', $21, $5, $22::jsonb
      FROM claim
      RETURNING id
    ), lines AS (
      INSERT INTO invoice_lines (invoice_id, line_no, fee_code, description, quantity, unit_amount, amount)
      SELECT invoice.id, t.n, t.f, t.d, t.q, t.u, t.a
      FROM invoice, unnest($23::int[], $24::text[], $25::text[], $26::bigint[], $27::bigint[], $28::bigint[])
                    AS t(n, f, d, q, u, a)
    ), audit AS (
      INSERT INTO audit_log (at, actor, action, subject, summary)
      SELECT $5, $29, 'invoice.create', invoice.id, $30::jsonb FROM invoice
    )
    SELECT (SELECT count(*) FROM claim)::int, (SELECT busy FROM running),
           $6::text IS NULL OR EXISTS (SELECT 1 FROM api_keys WHERE id = $6 AND revoked_at IS NULL)
    """
  typealias Row = (Int, Bool, Bool)

  var portalCode: String
  var key: String
  var requestHash: Data
  var response: Data
  var now: Date
  var keyID: String?
  var staleBefore: Date
  var abandonedBefore: Date
  var id: String
  var agencyCode: String
  var dossierCode: String
  var procedureCode: String
  var payerName: String
  var payerIDNumber: String?
  var payerEmail: String?
  var payerPhone: String?
  var currency: String
  var totalAmount: Int64
  var paymentCode: String
  var vietQR: String
  var expiresAt: Date
  var metadata: String
  var lineNumbers: [Int32]
  var feeCodes: [String]
  var descriptions: [String]
  var quantities: [Int64]
  var unitAmounts: [Int64]
  var amounts: [Int64]
  var actor: String
  var summary: String

  func makeBindings() throws -> PostgresBindings {
    var b = PostgresBindings(capacity: 30)
    b.append(portalCode)
    b.append(key)
    try b.append(requestHash)
    try b.append(response)
    b.append(now)
    b.append(keyID)
    b.append(staleBefore)
    b.append(abandonedBefore)
    b.append(id)
    b.append(agencyCode)
    b.append(dossierCode)
    b.append(procedureCode)
    b.append(payerName)
    b.append(payerIDNumber)
    b.append(payerEmail)
    b.append(payerPhone)
    b.append(currency)
    b.append(totalAmount)
    b.append(paymentCode)
    b.append(vietQR)
    b.append(expiresAt)
    b.append(metadata)
    b.append(lineNumbers)
    b.append(feeCodes)
    b.append(descriptions)
    b.append(quantities)
    b.append(unitAmounts)
    b.append(amounts)
    b.append(actor)
    b.append(summary)
    return b
  }

  func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// The invoice a callback's payment code names, locked for the callback's transaction.
struct LockInvoiceByPaymentCodeStatement: PostgresPreparedStatement {
  static let sql = "SELECT \(InvoiceStore.columns) FROM invoices i WHERE i.payment_code = $1 FOR UPDATE"
  typealias Row = Invoice

  var paymentCode: String

  func makeBindings() throws -> PostgresBindings {
    var b = PostgresBindings(capacity: 1)
    b.append(paymentCode)
    return b
  }

  func decodeRow(_ row: PostgresRow) throws -> Row { try InvoiceStore.decode(row) }
}
