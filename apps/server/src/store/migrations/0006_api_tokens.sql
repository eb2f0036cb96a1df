-- API tokens of the systems and operators that call the CA API (/api/v1): RA front ends, the portal's
-- back end, operator scripts. Issuance and revocation are privileged, so every such call names a token.
--
-- A token reads qt_<id>_<secret>. Only the SHA-256 of the secret is kept: a copy of this table (a backup,
-- a replica) lets nobody call the API. The id is public and finds the row; the secret's hash is then
-- compared in constant time (apps/server/src/api/tokens.ts). Names are never reused, so the audit
-- log's actor "token:<name>" always means one token.

CREATE TABLE api_tokens (
  id            text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
  name          text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  secret_sha256 bytea NOT NULL CHECK (octet_length(secret_sha256) = 32),
  -- issue: POST certificates; revoke: revoke, hold, release; read: look certificates up.
  scopes        text[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['issue', 'revoke', 'read']::text[]),
  created_by    text NOT NULL CHECK (created_by <> ''),
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- NULL: until revoked.
  expires_at    timestamptz,
  revoked_at    timestamptz,
  CHECK (expires_at IS NULL OR expires_at > created_at)
);
