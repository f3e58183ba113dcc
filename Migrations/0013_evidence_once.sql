-- Evidence without bloat: a failed VNPay attempt is recorded once per (connector,
-- vnp_TransactionNo, vnp_ResponseCode); replays of it change nothing (their requests are
-- still answered). Earlier repeats are dropped from payment_attempts (each one's callback
-- evidence stays in `callbacks`, which is append-only).
DELETE FROM payment_attempts a USING payment_attempts b
WHERE a.connector_code = b.connector_code AND a.bank_txn_id = b.bank_txn_id AND a.response_code = b.response_code
  AND a.id > b.id;
CREATE UNIQUE INDEX payment_attempts_once ON payment_attempts (connector_code, bank_txn_id, response_code)
  WHERE bank_txn_id IS NOT NULL;
