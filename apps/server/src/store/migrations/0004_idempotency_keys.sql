-- Idempotency-Key handling for API calls that change state: the first request records its hash and,
-- when done, its response; a retry with the same key and hash gets the stored response, a different
-- body under the same key is refused.
CREATE TABLE idempotency_keys (
  -- Whose key it is and for which operation (e.g. 'POST /api/v1/applications IIN 880101300123'):
  -- keys chosen by different clients must not collide.
  scope           text NOT NULL CHECK (scope <> ''),
  key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash    bytea NOT NULL CHECK (octet_length(request_hash) = 32),
  -- NULL while the first request is still running.
  response_status smallint,
  response        jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  expires_at      timestamptz NOT NULL,
  PRIMARY KEY (scope, key),
  CHECK ((response IS NULL) = (completed_at IS NULL)),
  CHECK ((response IS NULL) = (response_status IS NULL)),
  CHECK (expires_at > created_at)
);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
