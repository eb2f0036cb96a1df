-- Sends adopt the receipts that raced ahead of their commit by SMSC message id. Unmatched receipts are few
-- at any time while notify_receipts grows by one row per SMS part: a partial index keeps that lookup small.
CREATE INDEX notify_receipts_unmatched_by_provider ON notify_receipts (provider_id) WHERE message_id IS NULL;
