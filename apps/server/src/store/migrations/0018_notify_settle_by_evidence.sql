-- Reminders exactly once by the SMSC's evidence, never by a timer (notify/outbox/settle.ts).
--
-- A send is recorded as "may reach the SMSC" right before its first byte goes out (destination, the
-- reference the SMSC will echo, the number of parts, what evidence the transport gives). A send whose outcome
-- a crash or a dropped connection hid is decided only by what the SMSC says: its submit_sm_resp recorded, or
-- a delivery receipt carrying our reference. Until then it is 'unknown' — listed by `notify status`, decided
-- by a receipt that arrives later or by an operator (`notify retry`), never resent on a timer.
ALTER TABLE notify_messages DROP CONSTRAINT notify_messages_state_check;
ALTER TABLE notify_messages ADD CONSTRAINT notify_messages_state_check
  CHECK (state IN ('pending', 'sending', 'unknown', 'sent', 'delivered', 'undelivered', 'failed', 'skipped'));

ALTER TABLE notify_messages
  -- SMPP user_message_reference of the current attempt (16 bits: the SMPP field's size). Together with the
  -- destination it names one send among the few to that number: a receipt carrying it proves that send.
  ADD COLUMN submit_reference integer CHECK (submit_reference BETWEEN 0 AND 65535),
  -- How many SMS parts the current attempt submits: delivered once that many parts have DELIVRD receipts.
  ADD COLUMN parts smallint,
  -- What the transport can tell about a hidden outcome: 'receipt-reference' (receipts echo our reference),
  -- 'idempotency-key' (sending again under the same key cannot duplicate), 'none' (notify.uncorrelatedSends).
  ADD COLUMN correlation text CHECK (correlation IN ('receipt-reference', 'idempotency-key', 'none'));

-- References are handed out in turn, so two sends to one number share one only 65 536 sends apart.
CREATE SEQUENCE notify_submit_reference AS integer MINVALUE 0 MAXVALUE 65535 START 0 CYCLE;

-- A receipt whose SMSC id we never stored finds its send by (destination, reference).
CREATE INDEX notify_messages_by_reference ON notify_messages (destination_hash, submit_reference) WHERE submit_reference IS NOT NULL;

ALTER TABLE notify_receipts
  -- The user_message_reference the SMSC echoed, when it did.
  ADD COLUMN reference integer,
  -- Which attempt of the message the receipt is about (a retried message's earlier receipts do not count).
  ADD COLUMN attempt integer;

