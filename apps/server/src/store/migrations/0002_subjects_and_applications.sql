-- People (by IIN) and their applications to issue, re-issue or revoke certificates.

CREATE TABLE subjects (
  iin        text PRIMARY KEY CHECK (iin ~ '^[0-9]{12}$'),
  surname    text NOT NULL CHECK (surname <> ''),
  given_name text NOT NULL CHECK (given_name <> ''),
  patronymic text,
  email      text CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
  -- E.164, for SMS reminders.
  phone      text CHECK (phone ~ '^\+[0-9]{8,15}$'),
  locale     text NOT NULL DEFAULT 'kk' CHECK (locale IN ('kk', 'ru', 'en')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- submitted -> verified (identity proven) -> approved (policy passed) -> completed; any open state may
-- end as rejected, cancelled (by the applicant) or expired. Terminal states never change again.
CREATE TABLE applications (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind                  text NOT NULL CHECK (kind IN ('issue', 'reissue', 'revoke')),
  state                 text NOT NULL DEFAULT 'submitted'
                        CHECK (state IN ('submitted', 'verified', 'approved', 'completed', 'rejected', 'cancelled', 'expired')),
  iin                   text NOT NULL REFERENCES subjects (iin),
  -- Set when the certificates are for a legal entity (the person acts for it).
  bin                   text CHECK (bin ~ '^[0-9]{12}$'),
  ca_id                 integer REFERENCES cas (id),
  storage               text CHECK (storage IN ('file', 'token')),
  identification        text CHECK (identification IN ('in_person', 'remote')),
  -- For revoke and reissue: the certificate concerned (foreign key added with certificates in 0003).
  target_certificate_id bigint,
  -- What was asked (profile choices, revocation reason, ...). Never secrets: no passwords, PINs, keys.
  request               jsonb NOT NULL DEFAULT '{}',
  decision_reason       text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  expires_at            timestamptz NOT NULL,
  CHECK (expires_at > created_at),
  CHECK (kind <> 'revoke' OR target_certificate_id IS NOT NULL)
);
CREATE INDEX applications_by_iin ON applications (iin, created_at DESC);
-- The expiry sweep only ever looks at open applications.
CREATE INDEX applications_open_expiring ON applications (expires_at) WHERE state IN ('submitted', 'verified', 'approved');
-- One open issue/re-issue per person and organisation: a double submit cannot lead to two key pairs.
CREATE UNIQUE INDEX applications_one_open_issuance ON applications (iin, coalesce(bin, ''))
  WHERE kind IN ('issue', 'reissue') AND state IN ('submitted', 'verified', 'approved');

CREATE FUNCTION applications_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.id, NEW.kind, NEW.iin, NEW.created_at) IS DISTINCT FROM (OLD.id, OLD.kind, OLD.iin, OLD.created_at) THEN
    RAISE EXCEPTION 'application %: id, kind, iin and created_at never change', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.state IS DISTINCT FROM OLD.state AND NOT EXISTS (
    SELECT 1 FROM (VALUES
      ('submitted', 'verified'), ('submitted', 'rejected'), ('submitted', 'cancelled'), ('submitted', 'expired'),
      ('verified', 'approved'), ('verified', 'rejected'), ('verified', 'cancelled'), ('verified', 'expired'),
      ('approved', 'completed'), ('approved', 'rejected'), ('approved', 'cancelled'), ('approved', 'expired')
    ) AS allowed (from_state, to_state)
    WHERE from_state = OLD.state AND to_state = NEW.state
  ) THEN
    RAISE EXCEPTION 'application %: state cannot go from % to %', OLD.id, OLD.state, NEW.state USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER applications_guard BEFORE UPDATE ON applications FOR EACH ROW EXECUTE FUNCTION applications_guard();
