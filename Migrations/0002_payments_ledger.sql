-- FeePay schema, part 2: connectors (banks and gateways), callback evidence, payments,
-- payment exceptions and the double-entry ledger.

CREATE TABLE connectors (
  code                     text PRIMARY KEY,
  kind                     text NOT NULL CHECK (kind IN ('standard-webhooks', 'standard-webhooks-ed25519', 'vnpay')),
  -- HMAC secret (whsec_… or VNPay hash secret), AES-256-GCM under the master key, bound to
  -- 'connector:<code>:secret'. NULL for Ed25519 connectors, which hold a public key.
  secret_sealed            bytea,
  previous_secret_sealed   bytea,
  public_key               text,
  previous_public_key      text,
  previous_valid_until     timestamptz,
  tmn_code                 text,
  auto_recovery            boolean NOT NULL DEFAULT true,
  created_at               timestamptz NOT NULL,
  CHECK ((kind = 'standard-webhooks-ed25519') = (public_key IS NOT NULL)),
  CHECK ((kind = 'standard-webhooks-ed25519') = (secret_sealed IS NULL)),
  CHECK ((kind = 'vnpay') = (tmn_code IS NOT NULL))
);

CREATE TABLE connector_agencies (
  connector_code text NOT NULL REFERENCES connectors (code),
  agency_code    text NOT NULL REFERENCES agencies (code),
  PRIMARY KEY (connector_code, agency_code)
);

-- The raw evidence of every callback that passed verification: exactly what arrived and
-- what FeePay concluded. Append-only.
CREATE TABLE callbacks (
  id             text PRIMARY KEY,
  connector_code text NOT NULL REFERENCES connectors (code),
  received_at    timestamptz NOT NULL,
  method         text NOT NULL,
  query          text NOT NULL DEFAULT '',
  headers        jsonb NOT NULL,
  body           bytea NOT NULL,
  verdict        text NOT NULL CHECK (verdict IN ('accepted', 'duplicate', 'exception', 'failed_attempt', 'ignored')),
  bank_txn_id    text,
  payment_id     text,
  exception_id   text
);
CREATE INDEX callbacks_txn ON callbacks (connector_code, bank_txn_id);
CREATE TRIGGER callbacks_append_only BEFORE UPDATE OR DELETE ON callbacks
  FOR EACH ROW EXECUTE FUNCTION feepay_append_only();

-- One row per (connector, bank transaction id), whatever became of it: the claim that makes
-- a repeated callback a duplicate, whether the first became a payment or an exception.
CREATE TABLE bank_transactions (
  connector_code text NOT NULL REFERENCES connectors (code),
  bank_txn_id    text NOT NULL,
  payment_id     text,
  exception_id   text,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (connector_code, bank_txn_id),
  CHECK ((payment_id IS NULL) <> (exception_id IS NULL))
);

CREATE TABLE payments (
  id             text PRIMARY KEY,
  connector_code text NOT NULL REFERENCES connectors (code),
  bank_txn_id    text NOT NULL,
  invoice_id     text NOT NULL REFERENCES invoices (id),
  amount         bigint NOT NULL CHECK (amount > 0),
  currency       text NOT NULL,
  paid_at        timestamptz NOT NULL,
  received_at    timestamptz NOT NULL,
  business_date  date NOT NULL,
  payer_account  text,
  payer_name     text,
  memo           text,
  source         text NOT NULL CHECK (source IN ('callback', 'statement', 'resolution')),
  callback_id    text REFERENCES callbacks (id),
  UNIQUE (connector_code, bank_txn_id)
);
CREATE UNIQUE INDEX payments_one_per_invoice ON payments (invoice_id);
CREATE INDEX payments_connector_day ON payments (connector_code, business_date);
CREATE TRIGGER payments_append_only BEFORE UPDATE OR DELETE ON payments
  FOR EACH ROW EXECUTE FUNCTION feepay_append_only();

ALTER TABLE invoices ADD COLUMN payment_id text REFERENCES payments (id);
ALTER TABLE invoices ADD CONSTRAINT invoices_paid_has_payment CHECK (status NOT IN ('paid', 'refunded') OR payment_id IS NOT NULL);

-- VNPay attempts that did not succeed (vnp_ResponseCode <> 00): recorded, never paid.
CREATE TABLE payment_attempts (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connector_code text NOT NULL REFERENCES connectors (code),
  invoice_id     text REFERENCES invoices (id),
  bank_txn_id    text,
  response_code  text NOT NULL,
  amount         bigint,
  callback_id    text NOT NULL REFERENCES callbacks (id),
  created_at     timestamptz NOT NULL
);

CREATE TABLE payment_exceptions (
  id             text PRIMARY KEY,
  kind           text NOT NULL CHECK (kind IN ('unknown_payment_code', 'amount_mismatch', 'invoice_not_open',
                   'already_paid', 'connector_not_allowed', 'missing_in_feepay', 'missing_in_bank',
                   'amount_mismatch_in_statement')),
  status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  connector_code text NOT NULL REFERENCES connectors (code),
  amount         bigint NOT NULL CHECK (amount > 0),
  currency       text NOT NULL,
  bank_txn_id    text,
  payment_code   text,
  invoice_id     text REFERENCES invoices (id),
  portal_code    text REFERENCES portals (code),
  business_date  date NOT NULL,
  callback_id    text REFERENCES callbacks (id),
  created_at     timestamptz NOT NULL,
  resolution     jsonb
);
CREATE INDEX payment_exceptions_status ON payment_exceptions (status, id);

-- The double-entry ledger. Accounts exist on demand; journals group postings whose debits
-- equal their credits (checked at commit); nothing here is ever updated or deleted.
CREATE TABLE ledger_accounts (
  code text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('asset', 'liability', 'expense', 'income'))
);

CREATE TABLE ledger_journals (
  id            text PRIMARY KEY,
  kind          text NOT NULL,
  reference     text NOT NULL,
  business_date date NOT NULL,
  created_at    timestamptz NOT NULL
);
CREATE INDEX ledger_journals_reference ON ledger_journals (reference);

CREATE TABLE ledger_postings (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  journal_id   text NOT NULL REFERENCES ledger_journals (id),
  account_code text NOT NULL REFERENCES ledger_accounts (code),
  debit        bigint NOT NULL DEFAULT 0 CHECK (debit >= 0),
  credit       bigint NOT NULL DEFAULT 0 CHECK (credit >= 0),
  CHECK ((debit = 0) <> (credit = 0))
);
CREATE INDEX ledger_postings_journal ON ledger_postings (journal_id);
CREATE INDEX ledger_postings_account ON ledger_postings (account_code, id);

CREATE FUNCTION ledger_journal_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  debits  numeric;
  credits numeric;
  lines   integer;
BEGIN
  SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0), count(*)
    INTO debits, credits, lines
    FROM ledger_postings WHERE journal_id = NEW.journal_id;
  IF debits <> credits OR lines < 2 THEN
    RAISE EXCEPTION 'journal % is unbalanced (debits %, credits %, % postings)', NEW.journal_id, debits, credits, lines
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_journal_balanced();
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER ledger_journals_append_only BEFORE UPDATE OR DELETE ON ledger_journals
  FOR EACH ROW EXECUTE FUNCTION feepay_append_only();
