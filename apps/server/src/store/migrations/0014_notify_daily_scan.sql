-- The daily due-reminder scan at national scale (notify/schedule/scan.ts): each day reads only the day's new
-- arrivals into each threshold's window (the cursors no longer restart the windows every day), catches
-- certificates that appeared or changed behind the cursors from the certificates and their status changes,
-- and writes its rows without per-row foreign-key triggers.

-- The certificates a message reminds about, on the message itself: delivery reads them from here instead of
-- through an index on notify_reminders that every reminder written had to maintain.
ALTER TABLE notify_messages ADD COLUMN certificate_ids bigint[];
UPDATE notify_messages m SET certificate_ids = r.ids
FROM (SELECT message_id, array_agg(certificate_id ORDER BY certificate_id) AS ids FROM notify_reminders GROUP BY message_id) AS r
WHERE r.message_id = m.id;

-- notify_reminders stays the exactly-once key (certificate × channel × threshold), written only by the scan,
-- which takes the certificate ids from `certificates` and the message ids from the messages it has just
-- written in the same statement: the per-row RI triggers (half the cost of a national first scan) checked
-- nothing the statement does not already guarantee. Certificates and messages are never deleted.
ALTER TABLE notify_reminders DROP CONSTRAINT notify_reminders_certificate_id_fkey;
ALTER TABLE notify_reminders DROP CONSTRAINT notify_reminders_message_id_fkey;
DROP INDEX notify_reminders_by_message;

-- New messages have no SMSC ids yet: keep them out of the GIN index (which stored a null entry for each).
DROP INDEX notify_messages_by_provider_id;
CREATE INDEX notify_messages_by_provider_id ON notify_messages USING gin (provider_ids) WITH (fastupdate = off) WHERE provider_ids IS NOT NULL;

-- What the scan has looked at besides the windows' ranges, per channel: certificates (by id) and status
-- changes (by id) up to these, as of the last scan ("recent") and as of the first scan of the previous local
-- day ("day"). Every scan re-examines what came after "recent"; the first scan of a day what came after
-- "day" — a day of overlap, so a change numbered before another but committed after it is still seen.
CREATE TABLE notify_scan_watermarks (
  channel                text PRIMARY KEY CHECK (channel IN ('sms', 'email')),
  recent_certificate_id  bigint NOT NULL,
  recent_change_id       bigint NOT NULL,
  day_certificate_id     bigint NOT NULL,
  day_change_id          bigint NOT NULL,
  -- The local date the "day" watermarks were taken on.
  day                    date NOT NULL,
  updated_at             timestamptz NOT NULL DEFAULT now()
);
