-- Every receipt looks its message up by SMSC id in this GIN index. With GIN's default fast update, new
-- entries collect in an unsorted pending list that each lookup scans in full: measured 10 ms per lookup
-- after 25 k messages, which capped receipt recording at ~100/s. Without it each insert pays its share
-- (a couple of keys per message) and a lookup is an index probe.
ALTER INDEX notify_messages_by_provider_id SET (fastupdate = off);
