-- FeePay schema, part 5: settlement statements, reconciliation, closing days.

ALTER TABLE connectors ADD COLUMN csv_mapping jsonb;

CREATE TABLE settlements (
  id              text PRIMARY KEY,
  connector_code  text NOT NULL REFERENCES connectors (code),
  business_date   date NOT NULL,
  format          text NOT NULL,
  content_sha256  text NOT NULL,
  line_count      integer NOT NULL,
  total_amount    bigint NOT NULL,
  imported_at     timestamptz NOT NULL,
  imported_by     text NOT NULL,
  UNIQUE (connector_code, business_date, content_sha256)
);

-- One row per statement line, loaded with COPY, then categorized by set-based SQL.
CREATE TABLE settlement_lines (
  settlement_id  text NOT NULL REFERENCES settlements (id),
  line_no        integer NOT NULL,
  bank_txn_id    text NOT NULL,
  payment_code   text,
  amount         bigint NOT NULL,
  currency       text NOT NULL,
  direction      text NOT NULL CHECK (direction IN ('credit', 'debit')),
  reversal       boolean NOT NULL DEFAULT false,
  booked_at      timestamptz,
  payer_account  text,
  memo           text,
  category       text CHECK (category IN ('matched', 'amount_mismatch', 'recovered', 'missing_in_feepay',
                   'duplicate_in_bank', 'debit', 'reversal', 'other_currency')),
  payment_id     text,
  invoice_id     text,
  exception_id   text,
  PRIMARY KEY (settlement_id, line_no)
);
CREATE INDEX settlement_lines_txn ON settlement_lines (bank_txn_id);

ALTER TABLE payment_exceptions ADD COLUMN payment_id text REFERENCES payments (id);
ALTER TABLE payment_exceptions ADD COLUMN settlement_id text REFERENCES settlements (id);
CREATE UNIQUE INDEX payment_exceptions_missing_in_bank ON payment_exceptions (payment_id) WHERE kind = 'missing_in_bank';

-- Closed business days: nothing dated on them may be written any more.
CREATE TABLE business_days (
  business_date date PRIMARY KEY,
  closed_at     timestamptz NOT NULL,
  closed_by     text NOT NULL,
  forced        boolean NOT NULL DEFAULT false,
  note          text
);

-- The first day on or after `d` that is not closed.
CREATE FUNCTION feepay_open_day(d date) RETURNS date LANGUAGE sql STABLE AS $$
  SELECT min(x)::date FROM generate_series(d, d + 366, interval '1 day') AS x
  WHERE NOT EXISTS (SELECT 1 FROM business_days b WHERE b.business_date = x::date)
$$;

CREATE FUNCTION feepay_refuse_closed_day() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM business_days WHERE business_date = NEW.business_date) THEN
    RAISE EXCEPTION 'business day % is closed', NEW.business_date USING ERRCODE = 'P0001', HINT = 'day_closed';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_journals_open_day BEFORE INSERT ON ledger_journals
  FOR EACH ROW EXECUTE FUNCTION feepay_refuse_closed_day();
CREATE TRIGGER payments_open_day BEFORE INSERT ON payments
  FOR EACH ROW EXECUTE FUNCTION feepay_refuse_closed_day();
CREATE TRIGGER payment_exceptions_open_day BEFORE INSERT OR UPDATE ON payment_exceptions
  FOR EACH ROW EXECUTE FUNCTION feepay_refuse_closed_day();
CREATE TRIGGER settlements_open_day BEFORE INSERT ON settlements
  FOR EACH ROW EXECUTE FUNCTION feepay_refuse_closed_day();
