-- The reconciliation baseline: psql's \copy of the statement file, then the categorization
-- SQL of FeePay's SettlementStore (Sources/FeePayStore/Reconciliation/Categorization.swift,
-- `reconcile` and `categorize`), in one transaction as FeePay runs it: COPY into a temporary
-- table, ANALYZE, the one INSERT that categorizes every line with hash joins (duplicates by
-- aggregate) and writes it once, ANALYZE, and the UPDATE that makes the rest missing in
-- FeePay; then the payments of the day that the bank does not list, as FeePay selects them.
-- What it leaves out: FeePay's parse and checks of the file in Swift (the \copy reads the CSV
-- as it is: the bench's statement carries no payment codes and nothing but VND credits, so
-- the lines come out the same), the recovery of lost callbacks (none to recover here), and the
-- exceptions, events, ledger postings and audit entry FeePay writes for what it finds.
--
-- The lines are written to bench_lines, a table built like settlement_lines (its columns,
-- checks and indexes, durable), so that FeePay's own settlement_lines stay FeePay's: the
-- duplicate check against earlier statements reads settlement_lines, as FeePay's does, so
-- the baseline must run before `feepay reconcile` imports the same file.
--
-- Run by bench/run.py as
--   psql -X -q -A -t -v ON_ERROR_STOP=1 -v settlement=stl_… -v connector=vcb -v day=YYYY-MM-DD \
--        -f bench/reconcile_baseline.sql < statement.csv
-- It prints one row per category: category|count|sum of amounts (missing_in_bank: of the
-- payments), like FeePay's settlement summary.
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_lines;
CREATE TABLE bench_lines (LIKE settlement_lines INCLUDING ALL);
BEGIN;
CREATE TEMP TABLE incoming (LIKE settlement_lines INCLUDING DEFAULTS) ON COMMIT DROP;
-- What FeePay's parser writes into the columns a line of its CSV format does not have: the
-- settlement, the line number (the header is line 1) and the direction (credits here).
CREATE TEMP SEQUENCE incoming_line_no START 2;
ALTER TABLE incoming ALTER settlement_id SET DEFAULT :'settlement',
  ALTER line_no SET DEFAULT nextval('incoming_line_no'), ALTER direction SET DEFAULT 'credit';
SET LOCAL work_mem = '256MB';  -- as FeePay's reconciliation transaction sets it
\copy incoming (bank_txn_id, payment_code, amount, currency, booked_at, payer_account, memo) FROM pstdin WITH (FORMAT csv, HEADER true)
ANALYZE incoming;
-- FeePay locks the open invoices the file names first (so that a callback racing the import
-- is either seen or waits); the same statement here.
SELECT i.id FROM invoices i
WHERE i.status = 'open'
  AND i.payment_code IN (SELECT payment_code FROM incoming WHERE payment_code IS NOT NULL)
ORDER BY i.id FOR UPDATE OF i;
-- FeePay's categorizing INSERT, word for word but for its target (bench_lines).
INSERT INTO bench_lines (settlement_id, line_no, bank_txn_id, payment_code, amount, currency, direction,
                         reversal, booked_at, payer_account, memo, category, payment_id, invoice_id)
SELECT settlement_id, line_no, bank_txn_id, payment_code, amount, currency, direction, reversal, booked_at,
       payer_account, memo, category,
       CASE WHEN category IN ('matched', 'amount_mismatch') THEN known_payment END,
       CASE WHEN category IN ('matched', 'amount_mismatch') THEN known_invoice END
FROM (
  SELECT l.settlement_id, l.line_no, l.bank_txn_id, l.payment_code, l.amount, l.currency, l.direction,
         l.reversal, l.booked_at, l.payer_account, l.memo, x.payment_id AS known_payment,
         x.invoice_id AS known_invoice,
         CASE WHEN l.direction = 'debit' THEN 'debit' WHEN l.reversal THEN 'reversal'
              WHEN l.currency <> 'VND' THEN 'other_currency'
              WHEN d.first_line < l.line_no OR EXISTS (
                SELECT 1 FROM settlement_lines o JOIN settlements st ON st.id = o.settlement_id
                WHERE st.connector_code = :'connector' AND o.settlement_id <> :'settlement' AND o.bank_txn_id = l.bank_txn_id
                  AND o.category IN ('matched', 'amount_mismatch', 'recovered', 'missing_in_feepay',
                                   'recovery_pending_approval'))
                THEN 'duplicate_in_bank'
              WHEN x.bank_txn_id IS NULL THEN NULL
              WHEN x.amount = l.amount THEN 'matched' ELSE 'amount_mismatch' END AS category
  FROM (SELECT i.*, i.direction = 'credit' AND NOT i.reversal AND i.currency = 'VND' AS eligible
        FROM incoming i) l
  LEFT JOIN (SELECT bank_txn_id, min(line_no) AS first_line FROM incoming
             WHERE direction = 'credit' AND NOT reversal AND currency = 'VND'
             GROUP BY bank_txn_id HAVING count(*) > 1) d ON l.eligible AND d.bank_txn_id = l.bank_txn_id
  LEFT JOIN (SELECT bt.bank_txn_id, bt.payment_id, coalesce(p.amount, e.amount) AS amount,
                    coalesce(p.invoice_id, e.invoice_id) AS invoice_id
             FROM bank_transactions bt
             LEFT JOIN payments p ON p.id = bt.payment_id
             LEFT JOIN payment_exceptions e ON e.id = bt.exception_id
             WHERE bt.connector_code = :'connector') x ON l.eligible AND x.bank_txn_id = l.bank_txn_id
  OFFSET 0  -- computed once: the outer query reads the category three times
) categorized;
ANALYZE bench_lines;
-- Everything else is money FeePay never heard of.
UPDATE bench_lines SET category = 'missing_in_feepay' WHERE settlement_id = :'settlement' AND category IS NULL;
-- The summary. missing_in_bank: FeePay's selection of the day's callback payments that no
-- statement lists (payments of the last 30 minutes of the day are carried forward to the
-- next day's statement; those of the day before's last 30 minutes come in), counted here
-- rather than inserted as exceptions. This statement's lines are in bench_lines, earlier
-- statements' in settlement_lines.
SELECT category, count(*), coalesce(sum(amount), 0) FROM bench_lines WHERE settlement_id = :'settlement'
GROUP BY category
UNION ALL
SELECT 'missing_in_bank', count(*), coalesce(sum(p.amount), 0)
FROM payments p JOIN invoices i ON i.id = p.invoice_id
WHERE p.connector_code = :'connector' AND p.source = 'callback'
  AND ((p.business_date = :'day'::date
        AND p.paid_at < (:'day' || ' 00:00:00+07')::timestamptz + interval '1 day' - interval '30 minutes')
    OR (p.business_date = :'day'::date - 1
        AND p.paid_at >= (:'day' || ' 00:00:00+07')::timestamptz - interval '30 minutes'))
  AND NOT EXISTS (SELECT 1 FROM bench_lines l
                  WHERE l.settlement_id = :'settlement' AND l.bank_txn_id = p.bank_txn_id AND l.direction = 'credit')
  AND NOT EXISTS (SELECT 1 FROM settlement_lines l JOIN settlements st ON st.id = l.settlement_id
                  WHERE st.connector_code = p.connector_code AND l.bank_txn_id = p.bank_txn_id
                    AND l.direction = 'credit');
COMMIT;
