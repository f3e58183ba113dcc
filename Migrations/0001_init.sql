-- FeePay schema, part 1: provisioning (agencies, portals, API keys), invoices,
-- idempotency keys, events (the transactional outbox) and the audit log.
--
-- Migrations are applied by `feepay migrate` (and by `feepay serve` at start), each file
-- in one transaction. A file may hold many statements: the migrator splits it at
-- top-level semicolons, ignoring those inside quotes, dollar-quoted bodies and comments.
-- Never edit an applied file; add the next NNNN_name.sql instead.

-- Append-only tables refuse UPDATE and DELETE.
CREATE FUNCTION feepay_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TABLE agencies (
  code             text PRIMARY KEY,
  name             text NOT NULL,
  tax_code         text NOT NULL,
  bank_bin         text NOT NULL CHECK (bank_bin ~ '^[0-9]{6}$'),
  account_number   text NOT NULL,
  account_name     text NOT NULL,
  receipt_template text NOT NULL,
  receipt_series   text NOT NULL,
  created_at       timestamptz NOT NULL
);

CREATE TABLE portals (
  code                  text PRIMARY KEY,
  name                  text NOT NULL,
  webhook_url           text,
  -- AES-256-GCM under the master key, bound to 'portal:<code>:webhook'.
  webhook_secret_sealed bytea NOT NULL,
  webhook_enabled       boolean NOT NULL DEFAULT true,
  created_at            timestamptz NOT NULL
);

CREATE TABLE portal_agencies (
  portal_code text NOT NULL REFERENCES portals (code),
  agency_code text NOT NULL REFERENCES agencies (code),
  PRIMARY KEY (portal_code, agency_code)
);

CREATE TABLE api_keys (
  id          text PRIMARY KEY,
  prefix      text NOT NULL,
  key_hash    bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
  role        text NOT NULL CHECK (role IN ('portal', 'accountant', 'auditor', 'admin')),
  portal_code text REFERENCES portals (code),
  label       text,
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  CHECK ((role = 'portal') = (portal_code IS NOT NULL))
);
CREATE INDEX api_keys_prefix ON api_keys (prefix);

CREATE TABLE invoices (
  id              text PRIMARY KEY,
  portal_code     text NOT NULL REFERENCES portals (code),
  agency_code     text NOT NULL REFERENCES agencies (code),
  dossier_code    text NOT NULL,
  procedure_code  text NOT NULL,
  payer_name      text NOT NULL,
  payer_id_number text,
  payer_email     text,
  payer_phone     text,
  currency        text NOT NULL CHECK (currency = 'VND'),
  total_amount    bigint NOT NULL CHECK (total_amount > 0),
  payment_code    text NOT NULL UNIQUE CHECK (payment_code ~ '^[0-9A-HJKMNP-TV-Z]{11}$'),
  vietqr          text NOT NULL,
  status          text NOT NULL CHECK (status IN ('open', 'paid', 'expired', 'cancelled', 'refunded')),
  expires_at      timestamptz NOT NULL,
  created_at      timestamptz NOT NULL,
  paid_at         timestamptz,
  cancelled_at    timestamptz,
  expired_at      timestamptz,
  refunded_at     timestamptz,
  receipt_id      text,
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  CHECK (status <> 'paid' OR paid_at IS NOT NULL),
  CHECK (status <> 'cancelled' OR cancelled_at IS NOT NULL),
  CHECK (status <> 'expired' OR expired_at IS NOT NULL)
);
CREATE INDEX invoices_portal_id ON invoices (portal_code, id DESC);
CREATE INDEX invoices_dossier ON invoices (dossier_code, id DESC);
CREATE INDEX invoices_open_by_expiry ON invoices (expires_at) WHERE status = 'open';

CREATE TABLE invoice_lines (
  invoice_id  text NOT NULL REFERENCES invoices (id),
  line_no     integer NOT NULL CHECK (line_no BETWEEN 1 AND 100),
  fee_code    text NOT NULL,
  description text NOT NULL,
  quantity    bigint NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
  unit_amount bigint NOT NULL CHECK (unit_amount > 0),
  amount      bigint NOT NULL CHECK (amount = quantity * unit_amount),
  PRIMARY KEY (invoice_id, line_no)
);
CREATE TRIGGER invoice_lines_append_only BEFORE UPDATE OR DELETE ON invoice_lines
  FOR EACH ROW EXECUTE FUNCTION feepay_append_only();

-- Stripe-style idempotency: one row per portal and key. While the first request runs the
-- row is 'in_progress'; its response is stored in the same transaction as its effect.
CREATE TABLE idempotency_keys (
  portal_code     text NOT NULL REFERENCES portals (code),
  key             text NOT NULL,
  request_hash    bytea NOT NULL,
  status          text NOT NULL CHECK (status IN ('in_progress', 'completed')),
  response_status integer,
  response_body   bytea,
  created_at      timestamptz NOT NULL,
  locked_at       timestamptz NOT NULL,
  PRIMARY KEY (portal_code, key),
  CHECK (status <> 'completed' OR (response_status IS NOT NULL AND response_body IS NOT NULL))
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The transactional outbox: one row per state change a portal cares about, written in the
-- same transaction as the change. Delivery bookkeeping lives elsewhere.
CREATE TABLE events (
  id          text PRIMARY KEY,
  portal_code text REFERENCES portals (code),
  type        text NOT NULL,
  subject_id  text NOT NULL,
  data        jsonb NOT NULL,
  created_at  timestamptz NOT NULL
);
CREATE INDEX events_portal ON events (portal_code, id);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION feepay_append_only();

-- Every change made by a person, an API key or FeePay itself. prev_hash/hash are reserved
-- for the hash chain that `feepay audit verify` checks.
CREATE TABLE audit_log (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        timestamptz NOT NULL,
  actor     text NOT NULL,
  action    text NOT NULL,
  subject   text NOT NULL,
  summary   jsonb NOT NULL DEFAULT '{}'::jsonb,
  prev_hash bytea,
  hash      bytea
);
CREATE INDEX audit_log_subject ON audit_log (subject);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION feepay_append_only();
