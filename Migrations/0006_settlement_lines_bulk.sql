-- A statement's lines are written in bulk (1,000,000 in one INSERT), in the same transaction
-- that inserts their settlement, by the one code path that writes them. The per-row foreign
-- key check on settlement_id cost 3.6 s of such an import; it is replaced by what makes it
-- redundant: the lines are written only with their settlement, and neither a settlement nor
-- its lines can be deleted.
ALTER TABLE settlement_lines DROP CONSTRAINT settlement_lines_settlement_id_fkey;
CREATE TRIGGER settlements_never_deleted BEFORE DELETE ON settlements
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
CREATE TRIGGER settlement_lines_never_deleted BEFORE DELETE ON settlement_lines
  FOR EACH STATEMENT EXECUTE FUNCTION feepay_append_only();
