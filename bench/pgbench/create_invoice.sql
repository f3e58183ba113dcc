-- The statements FeePay runs to create an invoice (POST /v1/invoices): authenticate the key,
-- claim the idempotency key, then one transaction with the agency lookup, the invoice, its
-- lines, the stored response and the audit entry. Run with pgbench -M prepared.
SELECT 'k' || md5(random()::text || :client_id) AS ikey, 'inv_' || substr(md5(random()::text), 1, 26) AS iid, 'FP' || upper(substr(md5(random()::text), 1, 9)) AS pcode \gset
SELECT k.id, k.key_hash, k.role, k.portal_code, k.revoked_at IS NOT NULL, coalesce(array_agg(pa.agency_code) FILTER (WHERE pa.agency_code IS NOT NULL), '{}') FROM api_keys k LEFT JOIN portal_agencies pa ON pa.portal_code = k.portal_code WHERE k.prefix = 'fpk_bench' GROUP BY k.id;
INSERT INTO idempotency_keys AS k (portal_code, key, request_hash, status, created_at, locked_at) VALUES ('bench-portal', :ikey::text, '\x00', 'in_progress', now(), now()) ON CONFLICT (portal_code, key) DO UPDATE SET status = 'in_progress' WHERE k.created_at < now() - interval '24 hours' RETURNING 1;
BEGIN;
SELECT bank_bin, account_number FROM agencies WHERE code = 'BENCH';
INSERT INTO invoices (id, portal_code, agency_code, dossier_code, procedure_code, payer_name, payer_id_number, payer_email, payer_phone, currency, total_amount, payment_code, vietqr, status, expires_at, created_at, metadata) VALUES (:iid::text, 'bench-portal', 'BENCH', '000.00.12.H29-261129-0001', '1.001234', 'Nguyễn Văn An', '079123456789', NULL, NULL, 'VND', 16000, :pcode::text, '00020101021238570010A00000072701270006970436011300710001234560208QRIBFTTA53037045405160005802VN62300111FP79X3RNNRZ0811FP79X3RNNRZ6304173C', 'open', now() + interval '72 hours', now(), '{}'::jsonb) ON CONFLICT (payment_code) DO NOTHING RETURNING 1;
INSERT INTO invoice_lines (invoice_id, line_no, fee_code, description, quantity, unit_amount, amount) SELECT :iid::text, t.n, t.f, t.d, t.q, t.u, t.a FROM unnest(ARRAY[1]::int[], ARRAY['LPHT-01']::text[], ARRAY['Lệ phí cấp bản sao trích lục hộ tịch']::text[], ARRAY[2]::bigint[], ARRAY[8000]::bigint[], ARRAY[16000]::bigint[]) AS t(n, f, d, q, u, a);
UPDATE idempotency_keys SET status = 'completed', response_status = 201, response_body = '\x7b7d' WHERE portal_code = 'bench-portal' AND key = :ikey::text;
INSERT INTO audit_log (at, actor, action, subject, summary) VALUES (now(), ('key' || ':' || 'fpk_bench'), 'invoice.create', :iid::text, '{"agency": "BENCH", "total_amount": 16000}'::jsonb);
COMMIT;
