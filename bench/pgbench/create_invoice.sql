-- The statement FeePay runs to create an invoice (POST /v1/invoices): the API key's principal
-- and the agency's bank account come from FeePay's in-process caches, so the request is this
-- one statement: claim the idempotency key (refused if a request with the same key is still
-- running, or if the API key was revoked), then the invoice, its lines and the audit entry,
-- with the ~1 kB response stored with the key. Run with pgbench -M prepared.
-- (pgbench replaces :name in the text, so literals that contain a colon are split.)
--
-- One round trip per transaction, as FeePay's: the values FeePay computes before it sends the
-- statement are made without asking the server. The idempotency key comes from pgbench's own
-- random numbers (\set costs no round trip; it reaches the statement as a bound parameter, as
-- FeePay's does); the invoice id is made inside the statement, time-ordered like FeePay's
-- UUIDv7 ids (milliseconds first, then random); the payment code comes from a sequence inside
-- the statement: FeePay retries a colliding random code, pgbench cannot. The payment link's
-- token (unique, as FeePay's) is 22 random characters made inside the statement.
\set r random(1, 999999999999999999)
WITH running AS (
  SELECT NOT pg_try_advisory_xact_lock(hashtextextended('bench-portal' || ' ' || ('bench-' || :client_id::int || '-' || :r::bigint), 0)) AS busy
), claim AS (
  INSERT INTO idempotency_keys AS k (portal_code, key, request_hash, status, response_status, response_body, created_at, locked_at)
  SELECT 'bench-portal', 'bench-' || :client_id::int || '-' || :r::bigint, sha256(convert_to('bench-' || :client_id::int || '-' || :r::bigint, 'UTF8')), 'completed', 201, convert_to(repeat('x', 1000), 'UTF8'), now(), now()
  FROM running
  WHERE NOT running.busy AND EXISTS (SELECT 1 FROM api_keys WHERE id = 'key_bench' AND revoked_at IS NULL)
  ON CONFLICT (portal_code, key) DO UPDATE
    SET request_hash = EXCLUDED.request_hash, status = 'completed', response_status = 201,
        response_body = EXCLUDED.response_body, created_at = EXCLUDED.created_at, locked_at = EXCLUDED.locked_at
    WHERE k.created_at < now() - interval '24 hours'
       OR (k.status = 'in_progress' AND k.locked_at < now() - interval '60 seconds' AND k.request_hash = EXCLUDED.request_hash)
  RETURNING 1
), invoice AS (
  INSERT INTO invoices (id, portal_code, agency_code, dossier_code, procedure_code, payer_name, payer_id_number,
                        payer_email, payer_phone, payer_address, currency, total_amount, payment_code, vietqr, status,
                        expires_at, created_at, metadata, pay_token)
  SELECT 'inv_' || lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || substr(md5(random()::text), 1, 14),
         'bench-portal', 'BENCH', '000.00.12.H29-261129-0001', '1.001234', 'Nguyễn Văn An', '079123456789',
         NULL, NULL, NULL, 'VND', 16000, 'FQ' || lpad(nextval('bench_payment_codes')::text, 9, '0'),
         '00020101021238570010A00000072701270006970436011300710001234560208QRIBFTTA53037045405160005802VN62300111FP79X3RNNRZ0811FP79X3RNNRZ6304173C',
         'open', now() + interval '72 hours', now(), '{}'::jsonb, substr(md5(random()::text) || md5(random()::text), 1, 22)
  FROM claim
  RETURNING id
), lines AS (
  INSERT INTO invoice_lines (invoice_id, line_no, fee_code, description, quantity, unit_amount, amount)
  SELECT invoice.id, t.n, t.f, t.d, t.q, t.u, t.a
  FROM invoice, unnest(ARRAY[1]::int[], ARRAY['LPHT-01']::text[], ARRAY['Lệ phí cấp bản sao trích lục hộ tịch']::text[],
                       ARRAY[2]::bigint[], ARRAY[8000]::bigint[], ARRAY[16000]::bigint[]) AS t(n, f, d, q, u, a)
), audit AS (
  INSERT INTO audit_log (at, actor, action, subject, summary)
  SELECT now(), ('key' || ':' || 'fpk_bench'), 'invoice.create', invoice.id,
         jsonb_build_object('agency', 'BENCH', 'dossier_code', '000.00.12.H29-261129-0001', 'total_amount', 16000, 'idempotency_key', 'bench-' || :client_id::int || '-' || :r::bigint)
  FROM invoice
)
SELECT (SELECT count(*) FROM claim)::int, (SELECT busy FROM running),
       EXISTS (SELECT 1 FROM api_keys WHERE id = 'key_bench' AND revoked_at IS NULL);
