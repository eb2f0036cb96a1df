-- The tamper-evident audit log: a hash chain written only by apps/server/src/audit (see its README
-- comment in append.ts for the hash definition). audit_head holds the last seq and hash; appenders lock
-- it, which both numbers rows without gaps and orders concurrent appenders across processes.

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

-- Rows are never changed or removed by the application. This stops mistakes, not a superuser, who can
-- disable triggers: the hash chain is what makes such tampering visible (verifyAudit).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
