-- Two database roles. The owner (DATABASE_OWNER_URL; `feepay migrate` and the migrations at
-- start) owns every table, function and trigger. The runtime role (DATABASE_URL; what
-- `feepay serve` and the other commands work with) gets only what the service needs:
-- it cannot alter or drop a table, disable a trigger (only an owner can) or truncate one
-- (TRUNCATE is never granted), and on the append-only tables it may only read and insert.
-- The migrator calls feepay_grant_runtime(role) after every run, so the tables of later
-- migrations are covered too; a later migration that adds an append-only table replaces
-- this function.
CREATE FUNCTION feepay_grant_runtime(runtime name) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t text;
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', runtime);
  EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', runtime);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', runtime);
  -- Append-only: rows are written once and never changed nor removed (their triggers say so too).
  FOREACH t IN ARRAY ARRAY['invoice_lines', 'events', 'audit_log', 'callbacks', 'payments', 'ledger_journals',
                           'ledger_postings', 'business_days', 'audit_chain', 'audit_anchors'] LOOP
    EXECUTE format('REVOKE UPDATE, DELETE ON %I FROM %I', t, runtime);
  END LOOP;
  -- Changed as their lifecycle says (a line's category, a receipt replaced, an exception
  -- resolved), never removed.
  FOREACH t IN ARRAY ARRAY['settlements', 'settlement_lines', 'receipts', 'payment_exceptions', 'invoices',
                           'bank_transactions', 'payment_attempts', 'signing_keys'] LOOP
    EXECUTE format('REVOKE DELETE ON %I FROM %I', t, runtime);
  END LOOP;
  -- Which migrations are applied is the owner's to write; the runtime only reads it (readiness).
  EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM %I', runtime);
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', runtime);
END;
$$;
REVOKE EXECUTE ON FUNCTION feepay_grant_runtime(name) FROM PUBLIC;

-- Fresh statistics of settlement_lines after a statement's lines are written: ANALYZE is an
-- owner's right (before PostgreSQL 17), so the runtime role asks the owner's function.
CREATE FUNCTION feepay_analyze_settlement_lines() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp AS $$
BEGIN
  ANALYZE settlement_lines;
END;
$$;
