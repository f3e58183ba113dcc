-- A tamper-evident audit log: a hash chain over every entry, sealed in commit order by a
-- background sealer (FeePayStore's AuditChainStore), never on a request's path.
--
-- Each entry carries the transaction that wrote it (txid, as events do); the sealer takes
-- the entries of transactions older than every one still running, in (txid, id) order, and
-- links each: hash = SHA-256(previous hash ‖ the entry's canonical bytes) (FeePayCore's
-- AuditChain). Changing, deleting or slipping in an entry breaks the chain from there on;
-- `feepay audit verify` walks it. Each closed day gets an anchor: the chain head after the
-- close, signed with the receipts' Ed25519 key and published at GET /v1/audit/anchors.
ALTER TABLE audit_log ADD COLUMN txid bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint;
CREATE INDEX audit_log_txid ON audit_log (txid, id);

CREATE TABLE audit_chain (
  seq       bigint PRIMARY KEY CHECK (seq > 0),
  entry_id  bigint NOT NULL UNIQUE REFERENCES audit_log (id),
  hash      bytea NOT NULL CHECK (length(hash) = 32),
  sealed_at timestamptz NOT NULL
);
CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain
  FOR EACH ROW EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();

-- The sealer's position: every entry of a transaction older than `watermark` is sealed.
CREATE TABLE audit_chain_head (
  id        integer PRIMARY KEY CHECK (id = 1),
  seq       bigint NOT NULL,
  hash      bytea NOT NULL,
  watermark bigint NOT NULL
);
INSERT INTO audit_chain_head VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000', 0);

CREATE TABLE audit_anchors (
  business_date date PRIMARY KEY REFERENCES business_days (business_date),
  seq           bigint NOT NULL,
  hash          bytea NOT NULL,
  jws           text NOT NULL,
  created_at    timestamptz NOT NULL
);
CREATE TRIGGER audit_anchors_append_only BEFORE UPDATE OR DELETE ON audit_anchors
  FOR EACH ROW EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER audit_anchors_no_truncate BEFORE TRUNCATE ON audit_anchors
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
