-- Expiry reminders: the mobile-citizens registry mirror, per-person language, the scan cursors and the
-- outbox (one row per certificate × channel × threshold, grouped into the messages actually delivered).

-- The mobile-citizens registry (БМГ): IIN → the phone number the person registered. Only the notifier reads
-- it, through the MobileRegistry adapter, so a real registry service can replace this table.
CREATE TABLE mobile_registry (
  iin         text PRIMARY KEY CHECK (iin ~ '^[0-9]{12}$'),
  -- E.164 Kazakhstan mobile number (+7 70x, 74x–78x), normalised on import.
  phone       text NOT NULL CHECK (phone ~ '^\+7(70|74|75|76|77|78)[0-9]{8}$'),
  -- The registry confirmed the number belongs to the person (a code was sent to it). Reminders go only to
  -- verified numbers: a reassigned number would tell a stranger about someone's keys.
  verified    boolean NOT NULL,
  verified_on date,
  source      text NOT NULL,
  -- Which import wrote the row last: `registry import --replace` deletes what that import did not touch.
  import_id   uuid NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mobile_registry_by_import ON mobile_registry (import_id);

-- The language a person chose for notices. subjects.locale cannot say "no choice" (it defaults to 'kk'),
-- and people who never chose get both languages (kk+ru).
CREATE TABLE notify_preferences (
  iin        text PRIMARY KEY CHECK (iin ~ '^[0-9]{12}$'),
  language   text NOT NULL CHECK (language IN ('kk', 'ru', 'kk+ru')),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- How far today's scan has looked, per channel and threshold: every live certificate with
-- (not_after, id) <= (scanned_to, scanned_to_id) and below window_end (the day's bound) has been
-- considered. When the day changes the whole window is looked at again, which catches certificates that
-- entered it behind the cursor (released from hold). An optimisation only: the unique reminder key below
-- is what makes a second look harmless. The row is locked for each page, serialising scans on all nodes.
CREATE TABLE notify_scan_cursors (
  channel        text NOT NULL CHECK (channel IN ('sms', 'email')),
  threshold_days integer NOT NULL CHECK (threshold_days >= 0),
  window_end     timestamptz NOT NULL,
  scanned_to     timestamptz NOT NULL,
  scanned_to_id  bigint NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, threshold_days)
);

-- One SMS or e-mail to one person: the unit of delivery. A person's AUTH and SIGN certificates expire
-- together, so their reminders share one message ("your keys expire"), not two.
--   pending  -> sending (claimed under a lease) -> sent -> delivered | undelivered (SMS receipts)
--   sending  -> pending (transient failure, retried after next_attempt_at) | failed (dead letter)
--   pending/sending -> skipped (no destination: not in the registry, no e-mail; or superseded since)
-- An operator may move failed (or undelivered) back to pending.
CREATE TABLE notify_messages (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel         text NOT NULL CHECK (channel IN ('sms', 'email')),
  iin             text NOT NULL CHECK (iin ~ '^[0-9]{12}$'),
  threshold_days  integer NOT NULL,
  -- iin|threshold|expiry day (local): certificates expiring the same day share a message while it is pending.
  group_key       text NOT NULL,
  expires_at      timestamptz NOT NULL,
  state           text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'skipped')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  claimed_at      timestamptz,
  lease_until     timestamptz,
  -- Set once the destination is known, right before the transport gets the message: a lapsed lease with
  -- no destination was never handed to a transport and is retried without doubt.
  destination_masked text,
  -- SHA-256 of the E.164 number or lower-cased address: matches receipts that arrive for a send whose
  -- outcome a crash hid, without keeping the number in clear a second time.
  destination_hash bytea,
  language        text CHECK (language IN ('kk', 'ru', 'kk+ru')),
  provider_ids    text[],
  sent_at         timestamptz,
  -- How a lapsed lease was settled: 'receipt' (a receipt proved the send) or 'retried' (at-least-once).
  uncertain_resolution text,
  last_error_code text,
  last_error      text,
  receipt_state   text,
  receipt_error   text,
  receipt_at      timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (state <> 'sending' OR lease_until IS NOT NULL)
);
CREATE UNIQUE INDEX notify_messages_open_group ON notify_messages (channel, group_key) WHERE state = 'pending';
CREATE INDEX notify_messages_due ON notify_messages (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notify_messages_leased ON notify_messages (lease_until) WHERE state = 'sending';
CREATE INDEX notify_messages_by_state ON notify_messages (channel, state);
CREATE INDEX notify_messages_by_provider_id ON notify_messages USING gin (provider_ids);

-- The exactly-once key: a certificate is reminded at most once per channel and threshold, whatever
-- crashes, restarts or concurrent scans happen.
CREATE TABLE notify_reminders (
  certificate_id bigint NOT NULL REFERENCES certificates (id),
  channel        text NOT NULL CHECK (channel IN ('sms', 'email')),
  threshold_days integer NOT NULL,
  message_id     bigint NOT NULL REFERENCES notify_messages (id),
  kind           text NOT NULL CHECK (kind IN ('AUTH', 'SIGN')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (certificate_id, channel, threshold_days)
);
CREATE INDEX notify_reminders_by_message ON notify_reminders (message_id);

-- SMS delivery receipts as they arrive. A receipt whose message id we never stored (the process died
-- between the SMSC's answer and our commit) stays unmatched until a lapsed lease to the same number
-- claims it as proof that the send got through.
CREATE TABLE notify_receipts (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider_id      text NOT NULL,
  message_id       bigint REFERENCES notify_messages (id),
  state            text NOT NULL,
  final            boolean NOT NULL,
  error_code       text,
  recipient_hash   bytea,
  submitted_at     timestamptz,
  done_at          timestamptz,
  received_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notify_receipts_unmatched ON notify_receipts (recipient_hash, submitted_at) WHERE message_id IS NULL;
CREATE INDEX notify_receipts_by_message ON notify_receipts (message_id) WHERE message_id IS NOT NULL;
