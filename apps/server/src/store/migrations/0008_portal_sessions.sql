-- The citizen portal (apps/server/src/portal): browser sessions, single-use signing challenges, one-time SMS
-- codes, and the re-issuance wizard's progress next to its application.

-- A browser session. The cookie holds a 256-bit random token; only its SHA-256 is stored, so a copy of this
-- table (backup, replica) opens no session. iin IS NULL: not signed in yet (the login page's session, which
-- exists only to carry the CSRF token and bind the login challenge). Signing in ends that row and starts a
-- new one (a new token), so a token planted before login is worth nothing after it.
CREATE TABLE portal_sessions (
  token_sha256     bytea PRIMARY KEY CHECK (octet_length(token_sha256) = 32),
  iin              text CHECK (iin ~ '^[0-9]{12}$'),
  -- The AUTH certificate the person signed in with.
  certificate_id   bigint REFERENCES certificates (id),
  -- Sent back in forms and the X-CSRF-Token header; random, never derived from the cookie.
  csrf_token       text NOT NULL CHECK (length(csrf_token) >= 32),
  created_at       timestamptz NOT NULL,
  last_seen_at     timestamptz NOT NULL,
  -- Idle timeout: moved forward as the person uses the portal. Absolute timeout: never moves.
  idle_expires_at  timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  ended_at         timestamptz,
  end_reason       text CHECK (end_reason IN ('logout', 'login', 'idle', 'absolute', 'revoked')),
  CHECK ((iin IS NULL) = (certificate_id IS NULL)),
  CHECK (expires_at > created_at)
);
CREATE INDEX portal_sessions_by_iin ON portal_sessions (iin) WHERE iin IS NOT NULL AND ended_at IS NULL;
-- The purge deletes what has expired.
CREATE INDEX portal_sessions_expiry ON portal_sessions (expires_at);

-- Something the server asked a person to sign: exactly this text, at most once, before expires_at, by the
-- session that asked. Used (or expired) rows are kept a while as evidence and then purged.
CREATE TABLE portal_challenges (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_sha256 bytea NOT NULL,
  purpose        text NOT NULL CHECK (purpose IN ('login', 'application', 'revoke')),
  application_id uuid REFERENCES applications (id),
  -- For revocation: "<ca>/<serial>" of each certificate, so the signature covers exactly those.
  targets        text[] NOT NULL DEFAULT '{}',
  -- The exact UTF-8 text the agent is asked to sign.
  content        text NOT NULL CHECK (length(content) BETWEEN 1 AND 4000),
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz,
  CHECK (expires_at > created_at),
  CHECK (purpose <> 'application' OR application_id IS NOT NULL)
);
CREATE INDEX portal_challenges_expiry ON portal_challenges (expires_at);

-- The re-issuance wizard beside its application (kind 'reissue'). The application's state says where the
-- RA stands (submitted → verified → approved → completed); these columns say what the wizard has done in
-- between, so every step survives a reload or a lost connection. Never secrets: no password, no code.
CREATE TABLE portal_reissues (
  application_id        uuid PRIMARY KEY REFERENCES applications (id),
  iin                   text NOT NULL CHECK (iin ~ '^[0-9]{12}$'),
  email                 text CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
  storage               text NOT NULL CHECK (storage IN ('file', 'token')),
  -- The person asked to revoke the old keys once the new ones are installed (NCA never does it by itself).
  revoke_old            boolean NOT NULL DEFAULT false,
  -- The certificates in force when the application was made (AUTH and SIGN).
  old_certificate_ids   bigint[] NOT NULL,
  -- The application as signed by the person (CMS, content attached) and the certificate that signed it.
  signed_cms            bytea,
  signed_at             timestamptz,
  signer_certificate_id bigint REFERENCES certificates (id),
  -- The agent's id for the pending key pair, and the certificates issued for it.
  agent_request_id      text CHECK (agent_request_id ~ '^[A-Za-z0-9_-]{1,64}$'),
  auth_certificate_id   bigint REFERENCES certificates (id),
  sign_certificate_id   bigint REFERENCES certificates (id),
  -- What the agent reported after writing the key files (file names, SKIs), and when.
  installed             jsonb,
  installed_at          timestamptz,
  old_revoked_at        timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CHECK ((signed_cms IS NULL) = (signed_at IS NULL))
);
CREATE INDEX portal_reissues_by_iin ON portal_reissues (iin, created_at DESC);

-- One-time SMS codes confirming an application. One live code per application; a resend replaces the code
-- and counts. Only a salted SHA-256 of the code is stored. The phone is the registry's at sending time;
-- only its masked form is kept for the page ("+7 701 *** ** 67").
CREATE TABLE portal_otps (
  application_id uuid PRIMARY KEY REFERENCES applications (id),
  iin            text NOT NULL CHECK (iin ~ '^[0-9]{12}$'),
  code_sha256    bytea NOT NULL CHECK (octet_length(code_sha256) = 32),
  salt           bytea NOT NULL CHECK (octet_length(salt) = 16),
  phone_masked   text NOT NULL,
  sends          integer NOT NULL CHECK (sends >= 1),
  attempts       integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  sent_at        timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  verified_at    timestamptz,
  CHECK (expires_at > sent_at)
);
-- The per-person daily cap on codes sent counts recent rows.
CREATE INDEX portal_otps_by_iin ON portal_otps (iin, sent_at);
