-- The statements FeePay runs to accept a verified payment callback (POST /v1/callbacks/vcb):
-- the connector lookup, then one transaction: lock the invoice, claim the bank transaction,
-- keep the evidence, insert the payment, mark the invoice paid, post the journal, write the
-- event and the audit entry. Run with pgbench -M prepared.
\set n random(1, 200000)
SELECT 'pay_' || substr(md5(random()::text), 1, 26) AS pid, 'cbk_' || substr(md5(random()::text), 1, 26) AS cid, 'jnl_' || substr(md5(random()::text), 1, 26) AS jid, 'evt_' || substr(md5(random()::text), 1, 26) AS eid, 'T' || md5(random()::text) AS txn, 'FPB' || lpad(:n::text, 8, '0') AS pcode \gset
SELECT c.kind, c.secret_sealed, c.previous_secret_sealed, c.public_key, c.previous_public_key, c.previous_valid_until, c.tmn_code, coalesce(array_agg(ca.agency_code) FILTER (WHERE ca.agency_code IS NOT NULL), '{}') FROM connectors c LEFT JOIN connector_agencies ca ON ca.connector_code = c.code WHERE c.code = 'vcb' GROUP BY c.code;
BEGIN;
SELECT i.id, i.portal_code, i.agency_code, i.total_amount, i.status, i.expires_at, (SELECT coalesce(jsonb_agg(jsonb_build_object('fee_code', l.fee_code, 'amount', l.amount)), '[]'::jsonb)::text FROM invoice_lines l WHERE l.invoice_id = i.id) FROM invoices i WHERE i.payment_code = :pcode::text FOR UPDATE;
INSERT INTO bank_transactions (connector_code, bank_txn_id, payment_id, exception_id, created_at) VALUES ('vcb', :txn::text, :pid::text, NULL, now()) ON CONFLICT (connector_code, bank_txn_id) DO NOTHING RETURNING 1;
SELECT feepay_open_day(current_date)::text;
INSERT INTO callbacks (id, connector_code, received_at, method, query, headers, body, verdict, bank_txn_id, payment_id, exception_id) VALUES (:cid::text, 'vcb', now(), 'POST', '', '{"webhook-id": "msg_1"}'::jsonb, '\x7b7d', 'accepted', :txn::text, :pid::text, NULL);
INSERT INTO payments (id, connector_code, bank_txn_id, invoice_id, amount, currency, paid_at, received_at, business_date, payer_account, payer_name, memo, source, callback_id) VALUES (:pid::text, 'vcb', :txn::text, 'inv_b_' || :n::text, 16000, 'VND', now(), now(), current_date, NULL, NULL, NULL, 'callback', :cid::text);
UPDATE invoices SET status = 'paid', paid_at = now(), payment_id = :pid::text WHERE id = 'inv_b_' || :n::text;
INSERT INTO ledger_accounts (code, kind) SELECT * FROM unnest(ARRAY[('bank_clearing' || ':' || 'vcb'), ('fees_payable' || ':' || 'BENCH' || ':' || 'LPHT-01')]::text[], ARRAY['asset', 'liability']::text[]) ON CONFLICT (code) DO NOTHING;
INSERT INTO ledger_journals (id, kind, reference, business_date, created_at) VALUES (:jid::text, 'payment.accepted', :pid::text, current_date, now());
INSERT INTO ledger_postings (journal_id, account_code, debit, credit) SELECT :jid::text, a, d, cr FROM unnest(ARRAY[('bank_clearing' || ':' || 'vcb'), ('fees_payable' || ':' || 'BENCH' || ':' || 'LPHT-01')]::text[], ARRAY[16000, 0]::bigint[], ARRAY[0, 16000]::bigint[]) AS t(a, d, cr);
INSERT INTO events (id, portal_code, type, subject_id, data, created_at) VALUES (:eid::text, 'bench-portal', 'invoice.paid', 'inv_b_' || :n::text, '{"id": "inv"}'::jsonb, now());
INSERT INTO audit_log (at, actor, action, subject, summary) VALUES (now(), ('connector' || ':' || 'vcb'), 'payment.accept', :pid::text, '{"amount": 16000}'::jsonb);
COMMIT;
