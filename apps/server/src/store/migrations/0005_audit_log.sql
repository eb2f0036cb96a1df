-- The tamper-evident audit log: a hash chain (apps/server/src/audit/canonical.ts defines the hash; its
-- tests and verifyAudit check this SQL against that definition).
--
-- appendAudit() only queues an entry in audit_pending inside the caller's transaction. A deferred
-- trigger seals it into the chain at COMMIT: it locks audit_head (last seq and hash), numbers the row,
-- hashes it and moves the head. So rows are numbered without gaps, in commit order, across every
-- process and node, and the head lock is held from the seal through the commit's WAL flush only, never
-- while the application does other work or waits for round trips — and, taken last of all locks, it
-- cannot be part of a deadlock.

CREATE TABLE audit_log (
  seq       bigint PRIMARY KEY CHECK (seq > 0),
  at        timestamptz NOT NULL,
  actor     text NOT NULL CHECK (actor <> ''),
  action    text NOT NULL CHECK (action <> ''),
  target    text,
  details   jsonb NOT NULL,
  prev_hash bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
  hash      bytea NOT NULL CHECK (octet_length(hash) = 32)
);
-- "What happened to this application / certificate / person".
CREATE INDEX audit_log_by_target ON audit_log (target, seq) WHERE target IS NOT NULL;

CREATE TABLE audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq       bigint NOT NULL CHECK (seq >= 0),
  hash      bytea NOT NULL CHECK (octet_length(hash) = 32)
);
INSERT INTO audit_head (seq, hash) VALUES (0, decode(repeat('00', 32), 'hex'));

-- Entries waiting for their transaction to commit. A row lives only inside the transaction that
-- queued it, so the table is empty between transactions and need not survive a crash (UNLOGGED).
-- The canonical_* columns are the row's canonical text around seq and time, written by canonical.ts.
CREATE UNLOGGED TABLE audit_pending (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  actor                text NOT NULL CHECK (actor <> ''),
  action               text NOT NULL CHECK (action <> ''),
  target               text,
  details              jsonb NOT NULL,
  canonical_before_at  text NOT NULL,
  canonical_before_seq text NOT NULL,
  canonical_after      text NOT NULL
);

-- hash = SHA-256("qoltanba-audit-v1\n" || prev_hash || UTF-8(canonical row)), time in milliseconds.
CREATE FUNCTION audit_seal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head      audit_head%ROWTYPE;
  sealed_at timestamptz;
  next_seq  bigint;
  next_hash bytea;
BEGIN
  SELECT * INTO head FROM audit_head FOR UPDATE;
  -- Read under the lock: one clock for all nodes, and times that follow seq order.
  sealed_at := date_trunc('milliseconds', clock_timestamp());
  next_seq := head.seq + 1;
  next_hash := sha256(convert_to(E'qoltanba-audit-v1\n', 'UTF8') || head.hash || convert_to(
    NEW.canonical_before_at || to_char(sealed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    || NEW.canonical_before_seq || next_seq::text || NEW.canonical_after, 'UTF8'));
  INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash)
    VALUES (next_seq, sealed_at, NEW.actor, NEW.action, NEW.target, NEW.details, head.hash, next_hash);
  UPDATE audit_head SET seq = next_seq, hash = next_hash;
  DELETE FROM audit_pending WHERE id = NEW.id;
  RETURN NULL;
END $$;
-- Deferred triggers fire at commit in the order their rows were queued.
CREATE CONSTRAINT TRIGGER audit_seal AFTER INSERT ON audit_pending
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_seal();

-- Rows are never changed or removed by the application. This stops mistakes, not a superuser, who can
-- disable triggers: the hash chain is what makes such tampering visible (verifyAudit).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
