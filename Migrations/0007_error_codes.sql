-- Refusals raised by FeePay's own triggers carry SQLSTATEs of FeePay's own class "FP", so
-- that the application recognises them by code, never by the text of the message
-- (FeePayStore's `Database.translate`). FP001: the business day is closed.
CREATE OR REPLACE FUNCTION feepay_refuse_closed_day() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM business_days WHERE business_date = NEW.business_date) THEN
    RAISE EXCEPTION 'business day % is closed', NEW.business_date USING ERRCODE = 'FP001', HINT = 'day_closed';
  END IF;
  RETURN NEW;
END;
$$;
