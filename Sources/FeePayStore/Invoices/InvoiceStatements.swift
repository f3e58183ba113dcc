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
  static let named = NamedSQL(
    """
    WITH running AS (
      SELECT NOT pg_try_advisory_xact_lock(hashtextextended(:portal_code || ' ' || :key, 0)) AS busy
    ), claim AS (
      INSERT INTO idempotency_keys AS k (portal_code, key, request_hash, status, response_status, response_body,
                                         created_at, locked_at)
      SELECT :portal_code, :key, :request_hash, 'completed', :response_status, :response_body, :now, :now
      FROM running
      WHERE NOT running.busy
        AND (:key_id::text IS NULL OR EXISTS (SELECT 1 FROM api_keys WHERE id = :key_id AND revoked_at IS NULL))
      ON CONFLICT (portal_code, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, status = 'completed', response_status = EXCLUDED.response_status,
            response_body = EXCLUDED.response_body, created_at = EXCLUDED.created_at, locked_at = EXCLUDED.locked_at
        WHERE k.created_at < :stale_before
           OR (k.status = 'in_progress' AND k.locked_at < :abandoned_before AND k.request_hash = EXCLUDED.request_hash)
      RETURNING 1
    ), invoice AS (
      INSERT INTO invoices (id, portal_code, agency_code, dossier_code, procedure_code, payer_name, payer_id_number,
                            payer_email, payer_phone, payer_address, currency, total_amount, payment_code, vietqr,
                            status, expires_at, created_at, metadata, pay_token)
      SELECT :id, :portal_code, :agency_code, :dossier_code, :procedure_code, :payer_name, :payer_id_number,
             :payer_email, :payer_phone, :payer_address, :currency, :total_amount, :payment_code, :vietqr, 'open',
             :expires_at, :now, :metadata::jsonb, :pay_token
      FROM claim
      RETURNING id
    ), lines AS (
      INSERT INTO invoice_lines (invoice_id, line_no, fee_code, description, quantity, unit_amount, amount)
      SELECT invoice.id, t.n, t.f, t.d, t.q, t.u, t.a
      FROM invoice, unnest(:line_numbers::int[], :fee_codes::text[], :descriptions::text[], :quantities::bigint[],
                           :unit_amounts::bigint[], :amounts::bigint[]) AS t(n, f, d, q, u, a)
    ), audit AS (
      \(AuditLog.insert(values: ":now, :actor, 'invoice.create', invoice.id, :summary::jsonb", from: "invoice"))
    )
    SELECT (SELECT count(*) FROM claim)::int, (SELECT busy FROM running),
           :key_id::text IS NULL OR EXISTS (SELECT 1 FROM api_keys WHERE id = :key_id AND revoked_at IS NULL)
    """)
  static var sql: String { named.sql }
  typealias Row = (Int, Bool, Bool)

  var portalCode: String
  var key: String
  var requestHash: Data
  var response: StoredResponse.Content
  var now: Date
  var keyID: String?
  var staleBefore: Date
  var abandonedBefore: Date
  var invoice: Invoice
  var metadata: String
  var actor: String
  var summary: String

  func makeBindings() throws -> PostgresBindings {
    var b = NamedBindings(Self.named)
    b.bind("portal_code", portalCode)
    b.bind("key", key)
    b.bind("request_hash", requestHash)
    b.bind("response_status", response.status)
    b.bind("response_body", Data(response.body))
    b.bind("now", now)
    b.bind("key_id", keyID)
    b.bind("stale_before", staleBefore)
    b.bind("abandoned_before", abandonedBefore)
    b.bind("id", invoice.id)
    b.bind("agency_code", invoice.agencyCode)
    b.bind("dossier_code", invoice.dossierCode)
    b.bind("procedure_code", invoice.procedureCode)
    b.bind("payer_name", invoice.payer.name)
    b.bind("payer_id_number", invoice.payer.idNumber)
    b.bind("payer_email", invoice.payer.email)
    b.bind("payer_phone", invoice.payer.phone)
    b.bind("payer_address", invoice.payer.address)
    b.bind("pay_token", invoice.payToken)
    b.bind("currency", invoice.currency.rawValue)
    b.bind("total_amount", invoice.totalAmount)
    b.bind("payment_code", invoice.paymentCode)
    b.bind("vietqr", invoice.vietQR)
    b.bind("expires_at", invoice.expiresAt)
    b.bind("metadata", metadata)
    let lines = invoice.lines
    b.bind("line_numbers", lines.indices.map { Int32($0 + 1) })
    b.bind("fee_codes", lines.map(\.feeCode))
    b.bind("descriptions", lines.map(\.description))
    b.bind("quantities", lines.map(\.quantity))
    b.bind("unit_amounts", lines.map(\.unitAmount))
    b.bind("amounts", lines.map(\.amount))
    b.bind("actor", actor)
    b.bind("summary", summary)
    return try b.bindings()
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
