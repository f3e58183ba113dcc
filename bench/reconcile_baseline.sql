-- The reconciliation baseline: the categorization FeePay's SettlementStore runs, applied to a
-- table loaded with psql's \copy (no HTTP, no parsing, no exceptions, events or ledger). The
-- bench substitutes :'day', the statement's business date.
SET work_mem = '256MB';  -- as FeePay's reconciliation transaction sets it
ANALYZE bench_stmt;
UPDATE bench_stmt s SET category = 'duplicate_in_bank'
FROM (SELECT ctid, row_number() OVER (PARTITION BY bank_txn_id) AS r FROM bench_stmt) d
WHERE s.ctid = d.ctid AND d.r > 1;
UPDATE bench_stmt s SET category = CASE WHEN p.amount = s.amount THEN 'matched' ELSE 'amount_mismatch' END
FROM bank_transactions bt JOIN payments p ON p.id = bt.payment_id
WHERE bt.connector_code = 'vcb' AND s.category IS NULL AND bt.bank_txn_id = s.bank_txn_id;
UPDATE bench_stmt SET category = 'missing_in_feepay' WHERE category IS NULL;
-- Payments of the day the bank does not list.
SELECT 'missing_in_bank ' || count(*) FROM payments p
WHERE p.connector_code = 'vcb' AND p.business_date = :'day'::date
  AND NOT EXISTS (SELECT 1 FROM bench_stmt s WHERE s.bank_txn_id = p.bank_txn_id);
SELECT category || ' ' || count(*) FROM bench_stmt GROUP BY category ORDER BY category;
