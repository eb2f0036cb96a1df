-- Remote issuance (apps/server/src/remote, population, operator): the population registry's default tables, the
-- remote applicant's progress, face checks with their captured frames, and operator sessions.

-- The population registry (ГБД ФЛ) as our own table, filled by `qoltanba population import` (CSV + photo files).
-- A deployment that reaches the real registry replaces the adapter (population/registry.ts), not this table.
CREATE TABLE population_persons (
  iin                 text PRIMARY KEY CHECK (iin ~ '^[0-9]{12}$'),
  surname             text NOT NULL CHECK (surname <> ''),
  given_name          text NOT NULL CHECK (given_name <> ''),
  patronymic          text,
  birth_date          date NOT NULL,
  -- Only 'alive' people may apply; 'blocked' is the registry's own stop (court order, document under
  -- investigation), reported to the applicant in the same words as 'deceased' — the page never says which.
  status              text NOT NULL CHECK (status IN ('alive', 'deceased', 'blocked')),
  document_type       text NOT NULL CHECK (document_type IN ('id_card', 'passport')),
  -- ID cards: 9 digits; passports: N + 8 digits. Stored upper-case without spaces.
  document_number     text NOT NULL CHECK (document_number ~ '^[0-9A-Z]{6,12}$'),
  document_issued_on  date NOT NULL,
  document_expires_on date NOT NULL,
  -- The reference photo the face check compares against (JPEG or PNG as the registry hands it out).
  photo               bytea CHECK (photo IS NULL OR octet_length(photo) <= 2097152),
  photo_type          text CHECK (photo_type IN ('image/jpeg', 'image/png')),
  source              text NOT NULL,
  import_id           uuid NOT NULL,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK ((photo IS NULL) = (photo_type IS NULL)),
  CHECK (document_expires_on > document_issued_on)
);
CREATE INDEX population_persons_by_import ON population_persons (import_id);

-- A remote applicant's progress beside the application (kind 'issue', identification 'remote'). The applicant
-- has no key yet, so the browser session is the thread: a session that started (or resumed) the application
-- may enter the SMS code (remote_claims), and the session that entered it owns the application from then on.
-- Never secrets, never images.
CREATE TABLE remote_applications (
  application_id       uuid PRIMARY KEY REFERENCES applications (id),
  iin                  text NOT NULL CHECK (iin ~ '^[0-9]{12}$'),
  -- SHA-256 of the registry's phone at start: applications per phone per day are counted on it.
  phone_sha256         bytea NOT NULL CHECK (octet_length(phone_sha256) = 32),
  client_ip            text NOT NULL,
  email                text CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
  storage              text NOT NULL CHECK (storage IN ('file', 'token')),
  session_sha256       bytea CHECK (octet_length(session_sha256) = 32),
  code_verified_at     timestamptz,
  document_attempts    integer NOT NULL DEFAULT 0 CHECK (document_attempts >= 0),
  document_checked_at  timestamptz,
  -- Face checks decided "no"; the application is refused when it reaches the configured maximum (5).
  face_rejections      integer NOT NULL DEFAULT 0 CHECK (face_rejections >= 0),
  -- The capture the page was asked for (single use): which liveness action, until when.
  capture_id           uuid,
  capture_action       text CHECK (capture_action IN ('turn-left', 'turn-right')),
  capture_expires_at   timestamptz,
  agent_request_id     text CHECK (agent_request_id ~ '^[A-Za-z0-9_-]{1,64}$'),
  auth_certificate_id  bigint REFERENCES certificates (id),
  sign_certificate_id  bigint REFERENCES certificates (id),
  installed            jsonb,
  installed_at         timestamptz,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  CHECK ((session_sha256 IS NULL) = (code_verified_at IS NULL)),
  CHECK ((capture_id IS NULL) = (capture_action IS NULL) AND (capture_id IS NULL) = (capture_expires_at IS NULL))
);
CREATE INDEX remote_applications_by_phone ON remote_applications (phone_sha256, created_at);
CREATE INDEX remote_applications_by_ip ON remote_applications (client_ip, created_at);

-- Browser sessions that asked for the current SMS code of an open application (a start, or a resume from
-- another window or after the session ended): any of them may enter the code; entering it takes ownership
-- and clears the claims. Two windows applying for one IIN thus share one application.
CREATE TABLE remote_claims (
  application_id uuid NOT NULL REFERENCES applications (id),
  session_sha256 bytea NOT NULL CHECK (octet_length(session_sha256) = 32),
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (application_id, session_sha256)
);

-- Every «start» (an IIN typed and checked), whatever came of it: per-IP and per-IIN daily limits count these,
-- so probing the registry with many IINs is slowed down on every portal node. Purged after two days.
CREATE TABLE remote_starts (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        timestamptz NOT NULL,
  client_ip text NOT NULL,
  iin       text NOT NULL,
  outcome   text NOT NULL
);
CREATE INDEX remote_starts_by_ip ON remote_starts (client_ip, at);
CREATE INDEX remote_starts_by_iin ON remote_starts (iin, at);

-- One face check per uploaded capture. 'failed': the external service could not be asked (not counted
-- against the applicant); 'withdrawn': the application closed while the check waited.
CREATE TABLE remote_face_checks (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  application_id   uuid NOT NULL REFERENCES applications (id),
  attempt          integer NOT NULL CHECK (attempt >= 1),
  verifier         text NOT NULL,
  liveness_action  text NOT NULL CHECK (liveness_action IN ('turn-left', 'turn-right')),
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected', 'failed', 'withdrawn')),
  frames           integer NOT NULL CHECK (frames >= 1),
  -- Server-side measurements of the upload (mean brightness, motion between the frames): evidence, not images.
  measurements     jsonb NOT NULL DEFAULT '{}',
  -- An operator who opened the review holds it for a while, so two operators do not judge the same face.
  claimed_by       text,
  claimed_until    timestamptz,
  decided_by       text,
  decided_at       timestamptz,
  reason           text,
  score            real,
  images_deleted_at timestamptz,
  created_at       timestamptz NOT NULL,
  UNIQUE (application_id, attempt),
  CHECK ((state IN ('approved', 'rejected')) = (decided_at IS NOT NULL))
);
-- At most one check waits per application; the operators' queue reads the waiting ones oldest first.
CREATE UNIQUE INDEX remote_face_checks_one_pending ON remote_face_checks (application_id) WHERE state = 'pending';
CREATE INDEX remote_face_checks_queue ON remote_face_checks (created_at) WHERE state = 'pending';
-- The retention purge looks for checks whose images are still kept.
CREATE INDEX remote_face_checks_images_kept ON remote_face_checks (created_at) WHERE images_deleted_at IS NULL;

-- The captured frames themselves: personal (biometric) data, kept only until the retention purge deletes them.
CREATE TABLE remote_face_images (
  check_id   uuid NOT NULL REFERENCES remote_face_checks (id) ON DELETE CASCADE,
  idx        smallint NOT NULL CHECK (idx >= 0),
  role       text NOT NULL CHECK (role IN ('face', 'liveness')),
  media_type text NOT NULL CHECK (media_type = 'image/png'),
  data       bytea NOT NULL,
  PRIMARY KEY (check_id, idx)
);

-- Operators sign in to the review console with their own AUTH key, in sessions of their own: an operator's
-- session cookie never opens a citizen page and a citizen's never opens the console.
ALTER TABLE portal_sessions ADD COLUMN audience text NOT NULL DEFAULT 'citizen' CHECK (audience IN ('citizen', 'operator'));
