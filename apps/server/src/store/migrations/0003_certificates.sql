-- Issued certificates, the history of their status, and pre-signed OCSP responses.

CREATE TABLE certificates (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ca_id             integer NOT NULL REFERENCES cas (id),
  -- The serial number as lowercase hex without leading zeros: positive, at most 20 octets (RFC 5280).
  serial            text NOT NULL CHECK (serial ~ '^[1-9a-f][0-9a-f]{0,39}$'),
  der               bytea NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('AUTH', 'SIGN')),
  profile           text NOT NULL,
  subject_iin       text CHECK (subject_iin ~ '^[0-9]{12}$'),
  subject_bin       text CHECK (subject_bin ~ '^[0-9]{12}$'),
  subject_dn        text NOT NULL,
  -- SHA-256 of the SubjectPublicKeyInfo: refuses key reuse and finds every certificate of a compromised key.
  spki_sha256       bytea NOT NULL CHECK (octet_length(spki_sha256) = 32),
  not_before        timestamptz NOT NULL,
  not_after         timestamptz NOT NULL,
  status            text NOT NULL DEFAULT 'good' CHECK (status IN ('good', 'revoked', 'on_hold')),
  -- RFC 5280 CRLReason; 6 (certificateHold) exactly when on hold; 7 is unused and 8 (removeFromCRL)
  -- only ever appears in delta CRLs.
  revocation_reason smallint,
  revoked_at        timestamptz,
  invalidity_date   timestamptz,
  storage           text NOT NULL CHECK (storage IN ('file', 'token')),
  application_id    uuid REFERENCES applications (id),
  issued_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT certificates_serial_unique_per_ca UNIQUE (ca_id, serial),
  CHECK (not_after > not_before),
  CHECK (subject_iin IS NOT NULL OR subject_bin IS NOT NULL),
  CONSTRAINT certificates_revocation_consistent CHECK (
    (status = 'good' AND revocation_reason IS NULL AND revoked_at IS NULL AND invalidity_date IS NULL)
    OR (status = 'on_hold' AND revocation_reason = 6 AND revoked_at IS NOT NULL)
    OR (status = 'revoked' AND revocation_reason IN (0, 1, 2, 3, 4, 5, 9, 10) AND revoked_at IS NOT NULL)
  )
);
-- "My EDS keys" and every person-centred lookup.
CREATE INDEX certificates_by_iin ON certificates (subject_iin, not_after DESC);
CREATE INDEX certificates_by_bin ON certificates (subject_bin, not_after DESC) WHERE subject_bin IS NOT NULL;
-- Expiry reminders scan live certificates by not_after; revoked ones never need a reminder. The
-- INCLUDEd columns let the scan answer from the index alone instead of visiting a heap page per row.
CREATE INDEX certificates_live_by_expiry ON certificates (not_after) INCLUDE (id, subject_iin, kind) WHERE status = 'good';
-- Full CRLs list what is revoked or on hold now: a small slice of 10 M rows, kept in its own index that
-- carries every field a CRL entry needs (index-only scan; 1 M rows: 20 k entries).
CREATE INDEX certificates_revoked ON certificates (ca_id, revoked_at)
  INCLUDE (serial, revocation_reason, invalidity_date, not_after) WHERE status <> 'good';
CREATE INDEX certificates_by_key ON certificates (spki_sha256);
CREATE INDEX certificates_by_application ON certificates (application_id) WHERE application_id IS NOT NULL;

ALTER TABLE applications
  ADD CONSTRAINT applications_target_certificate_fk FOREIGN KEY (target_certificate_id) REFERENCES certificates (id);

-- Every status change, in the order delta CRLs must see them (including a hold being lifted, which a
-- delta CRL announces as removeFromCRL and which leaves no trace in certificates itself).
CREATE TABLE certificate_status_changes (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  certificate_id    bigint NOT NULL REFERENCES certificates (id),
  ca_id             integer NOT NULL,
  serial            text NOT NULL,
  status            text NOT NULL CHECK (status IN ('good', 'revoked', 'on_hold')),
  revocation_reason smallint,
  revoked_at        timestamptz,
  invalidity_date   timestamptz,
  changed_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX certificate_status_changes_delta ON certificate_status_changes (ca_id, id);

-- A certificate never changes except for its revocation status, which moves good -> revoked | on_hold,
-- on_hold -> good | revoked; a revoked certificate may only have its reason raised to keyCompromise.
-- Each change takes the CA's crl_state row FOR SHARE before it is numbered: CRL generation locks that
-- row FOR UPDATE, so it waits for changes in flight and later changes get higher ids than it saw.
CREATE FUNCTION certificates_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.id, NEW.ca_id, NEW.serial, NEW.der, NEW.kind, NEW.profile, NEW.subject_iin, NEW.subject_bin, NEW.subject_dn,
      NEW.spki_sha256, NEW.not_before, NEW.not_after, NEW.storage, NEW.application_id, NEW.issued_at)
     IS DISTINCT FROM
     (OLD.id, OLD.ca_id, OLD.serial, OLD.der, OLD.kind, OLD.profile, OLD.subject_iin, OLD.subject_bin, OLD.subject_dn,
      OLD.spki_sha256, OLD.not_before, OLD.not_after, OLD.storage, OLD.application_id, OLD.issued_at) THEN
    RAISE EXCEPTION 'certificate % (serial %): only its revocation status may change', OLD.id, OLD.serial USING ERRCODE = 'check_violation';
  END IF;
  IF (NEW.status, NEW.revocation_reason, NEW.revoked_at, NEW.invalidity_date)
     IS NOT DISTINCT FROM (OLD.status, OLD.revocation_reason, OLD.revoked_at, OLD.invalidity_date) THEN
    RETURN NEW;
  END IF;
  IF NOT ((OLD.status = 'good' AND NEW.status IN ('revoked', 'on_hold'))
       OR (OLD.status = 'on_hold' AND NEW.status IN ('good', 'revoked'))
       OR (OLD.status = 'revoked' AND NEW.status = 'revoked' AND NEW.revocation_reason = 1
           AND NEW.revoked_at = OLD.revoked_at)) THEN
    RAISE EXCEPTION 'certificate % (serial %): status cannot go from % (reason %) to % (reason %)',
      OLD.id, OLD.serial, OLD.status, OLD.revocation_reason, NEW.status, NEW.revocation_reason USING ERRCODE = 'check_violation';
  END IF;
  PERFORM 1 FROM crl_state WHERE ca_id = NEW.ca_id FOR SHARE;
  INSERT INTO certificate_status_changes (certificate_id, ca_id, serial, status, revocation_reason, revoked_at, invalidity_date)
    VALUES (NEW.id, NEW.ca_id, NEW.serial, NEW.status, NEW.revocation_reason, NEW.revoked_at, NEW.invalidity_date);
  RETURN NEW;
END $$;
CREATE TRIGGER certificates_guard BEFORE UPDATE ON certificates FOR EACH ROW EXECUTE FUNCTION certificates_guard();

-- Pre-signed OCSP responses, one current response per certificate. cert_status is the status the
-- response asserts: a row whose cert_status differs from certificates.status must be re-signed now.
CREATE TABLE ocsp_responses (
  ca_id       integer NOT NULL,
  serial      text NOT NULL,
  signer_id   integer NOT NULL REFERENCES ocsp_signers (id),
  cert_status text NOT NULL CHECK (cert_status IN ('good', 'revoked', 'on_hold')),
  der         bytea NOT NULL,
  this_update timestamptz NOT NULL,
  next_update timestamptz NOT NULL,
  PRIMARY KEY (ca_id, serial),
  FOREIGN KEY (ca_id, serial) REFERENCES certificates (ca_id, serial),
  CHECK (next_update > this_update)
);
-- The refresher re-signs what goes stale soonest.
CREATE INDEX ocsp_responses_by_next_update ON ocsp_responses (next_update);
