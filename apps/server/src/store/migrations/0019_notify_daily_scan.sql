-- The daily due-reminder scan at national scale (notify/schedule/scan.ts): each day reads only the day's new
-- arrivals into each threshold's window (the cursors no longer restart the windows every day), catches
-- certificates that appeared or changed behind the cursors from the certificates and their status changes,
-- and writes one row per message, nothing per certificate.

-- The certificates a message reminds about (one, or a person's certificates of one expiry day), on the message.
ALTER TABLE notify_messages ADD COLUMN certificate_ids bigint[];
UPDATE notify_messages m SET certificate_ids = r.ids
FROM (SELECT message_id, array_agg(certificate_id ORDER BY certificate_id) AS ids FROM notify_reminders GROUP BY message_id) AS r
WHERE r.message_id = m.id;

-- The exactly-once key is now the message's group: a person is reminded at most once per channel, threshold and
-- expiry day (group_key = IIN|threshold|local expiry date), whatever crashes, restarts or concurrent scans
-- happen; a certificate that joins a group later joins its message while that is pending, and is otherwise
-- already covered by it. It replaces notify_reminders (one row per certificate, written for every certificate
-- of every window, each with two foreign-key checks: most of what a national first scan cost).
-- Earlier groups that ended up with two messages (a pair split across a page boundary while the first was
-- being sent) keep both, the later ones under a key that names them.
UPDATE notify_messages m SET group_key = m.group_key || '#' || m.id
WHERE EXISTS (SELECT 1 FROM notify_messages o WHERE o.channel = m.channel AND o.group_key = m.group_key AND o.id < m.id);
CREATE UNIQUE INDEX notify_messages_group ON notify_messages (channel, group_key);
DROP INDEX notify_messages_open_group;
DROP TABLE notify_reminders;

-- Writes the scan no longer pays for: new messages have no SMSC ids (the GIN index stored a null entry for each),
-- and `notify status` counts per state by reading the table, which an operator command can afford.
DROP INDEX notify_messages_by_provider_id;
CREATE INDEX notify_messages_by_provider_id ON notify_messages USING gin (provider_ids) WITH (fastupdate = off) WHERE provider_ids IS NOT NULL;
DROP INDEX notify_messages_by_state;

-- What the scan has looked at besides the windows' ranges, per channel: certificates (by id) and status
-- changes (by id) up to these, as of the last scan ("recent") and as of the first scan of the current local
-- day ("day"). Every scan re-examines what came after "recent"; the first scan of a new day what came after
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
