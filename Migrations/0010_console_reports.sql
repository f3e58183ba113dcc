-- FeePay schema, part 10: what the console's reports, receipt search and ledger pages read,
-- each answered by an index rather than a scan of every row ever written.

-- Remittance over a period: the journals of those business days.
CREATE INDEX ledger_journals_business_date ON ledger_journals (business_date);

-- Collections over a period: invoices by the moment they were paid.
CREATE INDEX invoices_paid_at ON invoices (paid_at) WHERE paid_at IS NOT NULL;

-- Receipt search by number (the number alone is what a payer reads out), newest first.
CREATE INDEX receipts_number ON receipts (number, id DESC);
-- Receipt search by payer: a prefix of the payer's name on the invoice, without case (ICU
-- lower-cases Vietnamese letters such as Đ, which the C locale leaves alone).
CREATE INDEX invoices_payer_name ON invoices (lower(payer_name COLLATE "und-x-icu") text_pattern_ops);
