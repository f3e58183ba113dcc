-- Four eyes: no money moves out of suspense, and no invoice is paid from a statement
-- upload, on one person's word.
--
-- A statement line that names an open invoice with exactly its amount no longer pays it
-- unless the connector's statements arrive through an authenticated bank channel
-- (statement_channel = 'signed') and its auto-recovery is on; otherwise the line becomes an
-- exception of kind recovery_pending_approval whose proposal (pay that invoice) a second
-- person approves. Auto-recovery is off by default and only allowed on signed channels: the
-- old default (on) meant "trust every uploaded file", so it is turned off for every
-- connector here and must be turned on again, deliberately, with the channel declared.
ALTER TABLE connectors ADD COLUMN statement_channel text NOT NULL DEFAULT 'upload'
  CHECK (statement_channel IN ('upload', 'signed'));
UPDATE connectors SET auto_recovery = false;
ALTER TABLE connectors ALTER COLUMN auto_recovery SET DEFAULT false;
ALTER TABLE connectors ADD CONSTRAINT connectors_auto_recovery_needs_signed_channel
  CHECK (NOT auto_recovery OR statement_channel = 'signed');

ALTER TABLE payment_exceptions DROP CONSTRAINT payment_exceptions_kind_check;
ALTER TABLE payment_exceptions ADD CONSTRAINT payment_exceptions_kind_check
  CHECK (kind IN ('unknown_payment_code', 'amount_mismatch', 'invoice_not_open', 'already_paid',
                  'connector_not_allowed', 'missing_in_feepay', 'missing_in_bank', 'amount_mismatch_in_statement',
                  'recovery_pending_approval'));

-- The resolution one person proposed, waiting for a second person's approval (or its
-- withdrawal). Only an open exception holds one; a resolved one keeps its resolution.
ALTER TABLE payment_exceptions ADD COLUMN proposal jsonb;
ALTER TABLE payment_exceptions ADD CONSTRAINT payment_exceptions_proposal_open
  CHECK (proposal IS NULL OR status = 'open');

ALTER TABLE settlement_lines DROP CONSTRAINT settlement_lines_category_check;
ALTER TABLE settlement_lines ADD CONSTRAINT settlement_lines_category_check
  CHECK (category IN ('matched', 'amount_mismatch', 'recovered', 'missing_in_feepay', 'duplicate_in_bank', 'debit',
                      'reversal', 'other_currency', 'recovery_pending_approval'));

-- A resolved exception stays resolved: its resolution is never changed nor taken back.
CREATE FUNCTION feepay_exception_resolved_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'resolved' THEN
    RAISE EXCEPTION 'payment exception % is resolved; it cannot be changed', OLD.id USING ERRCODE = 'FP002';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER payment_exceptions_resolved_once BEFORE UPDATE ON payment_exceptions
  FOR EACH ROW EXECUTE FUNCTION feepay_exception_resolved_once();
