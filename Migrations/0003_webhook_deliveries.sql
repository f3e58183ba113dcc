-- FeePay schema, part 3: delivering events to portals as Standard Webhooks.

-- Events are listed to polling portals in commit order: each row carries the id (txid) of the
-- transaction that wrote it, and a list only shows rows of transactions older than every
-- transaction still running (pg_snapshot_xmin), ordered by (txid, seq). An event that commits
-- later always sorts after what was already listed, so a cursor never skips one.
CREATE SEQUENCE events_seq;
ALTER TABLE events ADD COLUMN seq bigint NOT NULL DEFAULT nextval('events_seq');
ALTER TABLE events ADD COLUMN txid bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint;
CREATE INDEX events_portal_order ON events (portal_code, txid, seq);

-- A portal's previous webhook secret keeps signing during a rotation's grace period.
ALTER TABLE portals ADD COLUMN previous_webhook_secret_sealed bytea;
ALTER TABLE portals ADD COLUMN previous_webhook_secret_until timestamptz;
ALTER TABLE portals ADD COLUMN webhook_disabled_at timestamptz;

-- One delivery per event of a portal that has a webhook URL, created in the same
-- transaction as the event by the trigger below.
CREATE TABLE webhook_deliveries (
  event_id        text PRIMARY KEY REFERENCES events (id),
  portal_code     text NOT NULL REFERENCES portals (code),
  status          text NOT NULL CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  lease_until     timestamptz,
  last_status     integer,
  last_error      text,
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'delivering');
CREATE INDEX webhook_deliveries_portal_status ON webhook_deliveries (portal_code, status, event_id);

CREATE FUNCTION events_enqueue_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.portal_code IS NOT NULL AND EXISTS (
       SELECT 1 FROM portals WHERE code = NEW.portal_code AND webhook_url IS NOT NULL) THEN
    INSERT INTO webhook_deliveries (event_id, portal_code, status, next_attempt_at, created_at, updated_at)
    VALUES (NEW.id, NEW.portal_code, 'pending', NEW.created_at, NEW.created_at, NEW.created_at);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER events_enqueue_delivery AFTER INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION events_enqueue_delivery();
