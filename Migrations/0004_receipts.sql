-- FeePay schema, part 4: e-receipts (biên lai điện tử) and the keys that sign them.

-- Ed25519 keys; the private half sealed under the master key ('signing-key:<kid>').
-- Every key that ever signed stays here and in /.well-known/jwks.json.
CREATE TABLE signing_keys (
  kid            text PRIMARY KEY,
  public_key     bytea NOT NULL CHECK (length(public_key) = 32),
  private_sealed bytea NOT NULL,
  created_at     timestamptz NOT NULL
);

-- A series set ahead of time for a year (e.g. C27TAA for 2027). Without one, the agency's
-- configured series is used with the year's two digits.
CREATE TABLE receipt_series (
  agency_code     text NOT NULL REFERENCES agencies (code),
  year            integer NOT NULL CHECK (year BETWEEN 2000 AND 2999),
  template_symbol text NOT NULL,
  series          text NOT NULL,
  PRIMARY KEY (agency_code, year)
);

-- The last number used per agency, template, series and year. A number is taken in the same
-- transaction as the receipt that carries it, so numbers have no gaps and no reuse.
CREATE TABLE receipt_counters (
  agency_code     text NOT NULL REFERENCES agencies (code),
  template_symbol text NOT NULL,
  series          text NOT NULL,
  year            integer NOT NULL,
  last_number     integer NOT NULL CHECK (last_number BETWEEN 0 AND 9999999),
  PRIMARY KEY (agency_code, template_symbol, series, year)
);

CREATE TABLE receipts (
  id              text PRIMARY KEY,
  invoice_id      text NOT NULL REFERENCES invoices (id),
  agency_code     text NOT NULL REFERENCES agencies (code),
  template_symbol text NOT NULL,
  series          text NOT NULL,
  year            integer NOT NULL,
  number          integer NOT NULL CHECK (number >= 1),
  issued_at       timestamptz NOT NULL,
  total_amount    bigint NOT NULL,
  lookup_code     text NOT NULL UNIQUE,
  kid             text NOT NULL REFERENCES signing_keys (kid),
  content         jsonb NOT NULL,
  jws             text NOT NULL,
  status          text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'replaced')),
  replaces        text REFERENCES receipts (id),
  replaced_by     text REFERENCES receipts (id),
  UNIQUE (agency_code, template_symbol, series, year, number)
);
CREATE UNIQUE INDEX receipts_one_current_per_invoice ON receipts (invoice_id) WHERE status = 'issued';
CREATE INDEX receipts_issued_at ON receipts (agency_code, issued_at);

-- A receipt is never edited: only its status (issued → replaced) and its replacement link
-- may change, once.
CREATE FUNCTION receipts_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'receipts are never deleted' USING ERRCODE = 'restrict_violation';
  END IF;
  IF (NEW.id, NEW.invoice_id, NEW.agency_code, NEW.template_symbol, NEW.series, NEW.year, NEW.number, NEW.issued_at,
      NEW.total_amount, NEW.lookup_code, NEW.kid, NEW.content, NEW.jws, NEW.replaces)
     IS DISTINCT FROM
     (OLD.id, OLD.invoice_id, OLD.agency_code, OLD.template_symbol, OLD.series, OLD.year, OLD.number, OLD.issued_at,
      OLD.total_amount, OLD.lookup_code, OLD.kid, OLD.content, OLD.jws, OLD.replaces)
     OR OLD.replaced_by IS NOT NULL OR (OLD.status = 'replaced' AND NEW.status <> 'replaced') THEN
    RAISE EXCEPTION 'receipt % is immutable', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER receipts_immutable BEFORE UPDATE OR DELETE ON receipts
  FOR EACH ROW EXECUTE FUNCTION receipts_immutable();

CREATE INDEX invoices_paid_without_receipt ON invoices (paid_at) WHERE status = 'paid' AND receipt_id IS NULL;
