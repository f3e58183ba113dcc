-- FeePay schema, part 8: what citizens see and what the law asks receipts to say.

-- Payment links carry an unguessable token (128 random bits) instead of the payment code,
-- which bank statements print. Invoices made before this migration have none: their link is
-- the payment code, and it works while they are open.
ALTER TABLE invoices ADD COLUMN pay_token text UNIQUE CHECK (pay_token ~ '^[A-Za-z0-9_-]{22}$');

-- The payer's address, printed on the receipt when the portal sends it.
ALTER TABLE invoices ADD COLUMN payer_address text;

-- The collecting organisation's address and telephone (Circular 32/2025/TT-BTC, Appendix III,
-- sample 6).
ALTER TABLE agencies ADD COLUMN address text, ADD COLUMN phone text;

-- Circular 32/2025/TT-BTC replaced Circular 78/2021's symbols on 1 June 2025: the template
-- symbol is EBL01 (fee and charge receipts without a printed face value) and the series is
-- the year's two digits and T. Each agency moves to them from its next receipt; receipts
-- already issued keep the symbols they were signed with. A series set ahead for a year moves
-- likewise.
UPDATE agencies
SET receipt_template = 'EBL01',
    receipt_series = CASE WHEN receipt_series ~ '^.[0-9]{2}' THEN substr(receipt_series, 2, 2) ELSE to_char(now() AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YY') END || 'T'
WHERE receipt_template NOT IN ('EBL01', 'EBL02') OR receipt_series !~ '^[0-9]{2}T$';

UPDATE receipt_series
SET template_symbol = 'EBL01', series = to_char(year % 100, 'FM00') || 'T'
WHERE template_symbol NOT IN ('EBL01', 'EBL02') OR series !~ '^[0-9]{2}T$';
