-- Signed checkpoints of the audit chain's head (apps/server/src/audit/README.md).
--
-- The hash chain shows any row changed, removed or reordered, except its newest rows: someone with write
-- access can delete them and move audit_head back consistently. So the head is also signed, every few
-- minutes and when a node stops, by a key only the signer holds (made at the CA ceremony), and appended to a
-- file in each node's data directory — outside the database. `qoltanba audit verify --checkpoints` then
-- finds a tail that was cut off or rewritten.

-- The audit checkpoint key: its public half here (and in $QOLTANBA_HOME/ca/audit-checkpoint-key.pem); the
-- private half stays in the keystore, opened by the signer for this one purpose.
CREATE TABLE audit_keys (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key_uri     text NOT NULL UNIQUE,
  -- DER SubjectPublicKeyInfo, and its SHA-256 (hex) as checkpoint lines name it.
  public_key  bytea NOT NULL,
  fingerprint text NOT NULL UNIQUE CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX audit_keys_one_active ON audit_keys ((true)) WHERE status = 'active';

-- Every checkpoint signed, as the exact line the files hold, so each node's file can catch up with the
-- checkpoints other nodes signed (each line's signature is checked before it is appended). A copy only:
-- deleting rows here removes nothing from the files.
CREATE TABLE audit_checkpoints (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  seq    bigint NOT NULL CHECK (seq >= 0),
  at     timestamptz NOT NULL,
  line   text NOT NULL UNIQUE
);
CREATE INDEX audit_checkpoints_by_at ON audit_checkpoints (at);
