-- The reconciliation baseline: the categorization FeePay's SettlementStore runs, applied to a
-- table loaded with psql's \copy (no HTTP, no parsing, no effects on the ledger).
UPDATE stmt s SET category = 'duplicate_in_bank'
FROM (SELECT ctid, row_number() OVER (PARTITION BY bank_txn_id) AS r FROM stmt) d
WHERE s.ctid = d.ctid AND d.r > 1;
UPDATE stmt s SET category = CASE WHEN p.amount = s.amount THEN 'matched' ELSE 'amount_mismatch' END
FROM payments p WHERE s.category IS NULL AND p.bank_txn_id = s.bank_txn_id;
UPDATE stmt SET category = 'missing_in_feepay' WHERE category IS NULL;
