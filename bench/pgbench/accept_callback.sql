-- The statements FeePay runs to accept a verified payment callback (POST /v1/callbacks/vcb):
-- the connector and its secrets come from FeePay's in-process cache; then one transaction:
-- lock the invoice (read with its lines, as FeePay decides on it), and one statement that
-- claims the bank transaction and, if the claim took, keeps the evidence, inserts the
-- payment, marks the invoice paid, posts the journal into the first open day, and writes the
-- ~1 kB invoice.paid event and the audit entry. Run with pgbench -M prepared and
-- -D nclients=<-c> -D txno=0. (pgbench replaces :name in the text, so literals that contain a
-- colon are split.)
--
-- Each transaction pays an invoice no other transaction pays, as each of FeePay's callbacks
-- does, so the schema keeps payments_one_per_invoice: client c's k-th transaction takes open
-- invoice n = c + 1 + k * nclients (run.py seeds 200,000). pgbench keeps a client's variables
-- from one transaction to the next, so \set counts without a round trip; the ids FeePay
-- makes before it sends the statements are made from n the same way (ordered, like FeePay's
-- UUIDv7 ids), and reach the statements as bound parameters, as FeePay's do.
\set n :client_id + 1 + :txno * :nclients
\set txno :txno + 1
BEGIN;
SELECT i.id, i.portal_code, i.agency_code, i.dossier_code, i.procedure_code, i.payer_name, i.payer_id_number,
       i.payer_email, i.payer_phone, i.currency, i.total_amount, i.payment_code, i.vietqr, i.status, i.expires_at,
       i.created_at, i.paid_at, i.cancelled_at, i.receipt_id, i.metadata::text AS metadata, i.payer_address,
       i.pay_token,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('fee_code', l.fee_code, 'description', l.description,
           'quantity', l.quantity, 'unit_amount', l.unit_amount, 'amount', l.amount) ORDER BY l.line_no), '[]'::jsonb)::text
        FROM invoice_lines l WHERE l.invoice_id = i.id) AS lines
FROM invoices i WHERE i.payment_code = ('FPB' || lpad(:n::text, 8, '0')) FOR UPDATE;
WITH claim AS (
  INSERT INTO bank_transactions (connector_code, bank_txn_id, payment_id, exception_id, created_at)
  VALUES ('vcb', ('BENCH.' || :n::text), ('pay_' || lpad(:n::text, 26, '0')), NULL, now())
  ON CONFLICT (connector_code, bank_txn_id) DO NOTHING
  RETURNING feepay_open_day(current_date) AS day
), evidence AS (
  INSERT INTO callbacks (id, connector_code, received_at, method, query, headers, body, verdict, bank_txn_id, payment_id, exception_id)
  SELECT ('cbk_' || lpad(:n::text, 26, '0')), 'vcb', now(), 'POST', '', jsonb_build_object('webhook-id', 'msg_1', 'webhook-timestamp', '1764400000', 'webhook-signature', repeat('s', 50), 'content-type', 'application/json'),
         convert_to(repeat('b', 250), 'UTF8'), 'accepted', ('BENCH.' || :n::text), ('pay_' || lpad(:n::text, 26, '0')), NULL
  FROM claim
), payment AS (
  INSERT INTO payments (id, connector_code, bank_txn_id, invoice_id, amount, currency, paid_at, received_at,
                        business_date, payer_account, payer_name, memo, source, callback_id)
  SELECT ('pay_' || lpad(:n::text, 26, '0')), 'vcb', ('BENCH.' || :n::text), 'inv_b_' || :n::text, 16000, 'VND', now(), now(), claim.day, NULL, NULL, NULL, 'callback', ('cbk_' || lpad(:n::text, 26, '0'))
  FROM claim
), paid AS (
  UPDATE invoices SET status = 'paid', paid_at = now(), payment_id = ('pay_' || lpad(:n::text, 26, '0'))
  WHERE id = 'inv_b_' || :n::text AND EXISTS (SELECT 1 FROM claim)
), accounts AS (
  INSERT INTO ledger_accounts (code, kind)
  SELECT a.code, a.kind FROM claim, unnest(ARRAY[('bank_clearing' || ':' || 'vcb'), ('fees_payable' || ':' || 'BENCH' || ':' || 'LPHT-01')]::text[], ARRAY['asset', 'liability']::text[]) AS a(code, kind)
  ON CONFLICT (code) DO NOTHING
), journal AS (
  INSERT INTO ledger_journals (id, kind, reference, business_date, created_at)
  SELECT ('jnl_' || lpad(:n::text, 26, '0')), 'payment.accepted', ('pay_' || lpad(:n::text, 26, '0')), claim.day, now() FROM claim
), postings AS (
  INSERT INTO ledger_postings (journal_id, account_code, debit, credit)
  SELECT ('jnl_' || lpad(:n::text, 26, '0')), t.a, t.d, t.cr
  FROM claim, unnest(ARRAY[('bank_clearing' || ':' || 'vcb'), ('fees_payable' || ':' || 'BENCH' || ':' || 'LPHT-01')]::text[], ARRAY[16000, 0]::bigint[], ARRAY[0, 16000]::bigint[]) AS t(a, d, cr)
), event AS (
  INSERT INTO events (id, portal_code, type, subject_id, data, created_at)
  SELECT ('evt_' || lpad(:n::text, 26, '0')), 'bench-portal', 'invoice.paid', 'inv_b_' || :n::text, jsonb_build_object('id', 'inv_b_' || :n::text, 'pad', repeat('x', 1000)), now() FROM claim
), audit AS (
  INSERT INTO audit_log (at, actor, action, subject, summary)
  SELECT now(), ('connector' || ':' || 'vcb'), 'payment.accept', ('pay_' || lpad(:n::text, 26, '0')), jsonb_build_object('invoice', 'inv_b_' || :n::text, 'amount', 16000, 'bank_txn_id', ('BENCH.' || :n::text)) FROM claim
)
SELECT day FROM claim;
COMMIT;
