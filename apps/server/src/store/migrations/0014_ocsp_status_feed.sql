-- The OCSP answer cache's change feed (status/ocsp/feed.ts). Every node keeps pre-signed OCSP responses in
-- memory; a status change made by any process must reach every node's cache.
--  * NOTIFY qoltanba_certificate_status, payload "<ca_id> <serial>", sent when the changing transaction commits:
--    the fast path (milliseconds).
--  * txid, the writing transaction's id: the feed polls "changes of transactions that had not committed at my
--    last poll" (txid >= that snapshot's xmax, or one of its in-progress xids) — exact, whatever order
--    transactions commit in — so a notification lost with a dropped connection is caught by the next poll.
ALTER TABLE certificate_status_changes ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX certificate_status_changes_by_txid ON certificate_status_changes (txid);

CREATE FUNCTION certificate_status_changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('qoltanba_certificate_status', NEW.ca_id || ' ' || NEW.serial);
  RETURN NULL;
END $$;
CREATE TRIGGER certificate_status_changes_notify AFTER INSERT ON certificate_status_changes
  FOR EACH ROW EXECUTE FUNCTION certificate_status_changes_notify();
