-- Days that stay closed.
--
-- Closing a day and writing into it are serialized per day through a transaction-scoped
-- advisory lock (class 8401, key = days since 2000-01-01): every write dated on a day takes
-- the lock shared in its trigger, before it checks that the day is open, and keeps it until
-- it commits; `SettlementStore.closeDay` takes it exclusively before it reads the day. So a
-- close waits for every in-flight write of its day to commit (and reports them), and a write
-- that starts while the close runs waits for it and then sees the day closed. Before this, a
-- callback that had passed the plain EXISTS check could commit into a day whose remittance had
-- already been reported.
CREATE OR REPLACE FUNCTION feepay_day_lock_key(d date) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT d - DATE '2000-01-01'
$$;

CREATE OR REPLACE FUNCTION feepay_refuse_closed_day() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(8401, feepay_day_lock_key(NEW.business_date));
  IF EXISTS (SELECT 1 FROM business_days WHERE business_date = NEW.business_date) THEN
    RAISE EXCEPTION 'business day % is closed', NEW.business_date USING ERRCODE = 'FP001', HINT = 'day_closed';
  END IF;
  RETURN NEW;
END;
$$;

-- A closed day is never reopened: business_days is append-only like the other records.
CREATE TRIGGER business_days_append_only BEFORE UPDATE OR DELETE ON business_days
  FOR EACH ROW EXECUTE FUNCTION feepay_append_only();

-- TRUNCATE fires no row trigger: every append-only table refuses it by a statement trigger.
CREATE TRIGGER invoice_lines_no_truncate BEFORE TRUNCATE ON invoice_lines
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER callbacks_no_truncate BEFORE TRUNCATE ON callbacks
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER payments_no_truncate BEFORE TRUNCATE ON payments
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER ledger_journals_no_truncate BEFORE TRUNCATE ON ledger_journals
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER receipts_no_truncate BEFORE TRUNCATE ON receipts
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER settlements_no_truncate BEFORE TRUNCATE ON settlements
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER settlement_lines_no_truncate BEFORE TRUNCATE ON settlement_lines
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER business_days_no_truncate BEFORE TRUNCATE ON business_days
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
