-- A certificate's status changes only together with its audit entry (apps/server/src/audit/README.md).
--
-- The RA queues the entry (audit_pending) before it updates the row; certificates_guard then requires, for
-- every status change, one entry of this transaction that names exactly this change — the action that fits
-- the new status, the certificate as target in the audit log's one spelling, from/to, the reason, the dates —
-- and claims it, so one entry never vouches for two changes. An UPDATE without it is refused: a database
-- user cannot revoke, hold or release behind the audit log's back. (audit_pending rows are visible only to
-- the transaction that queued them: they are sealed into audit_log and deleted at its commit.)
--
-- Someone who disables triggers (session_replication_role = replica, ALTER TABLE … DISABLE TRIGGER) is not
-- stopped here; `qoltanba audit verify` reconciles every certificate with its audit events and names each
-- disagreement, and OCSP refuses to sign "good" for a certificate the audit log says is revoked.

-- The display spelling of a serial (@qoltanba/pki formatSerial): the certificate's bytes in upper-case hex,
-- leading zero digit kept. The table keeps lower case without leading zeros (never zero: its CHECK).
CREATE FUNCTION certificate_display_serial(stored text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN upper(CASE WHEN length(stored) % 2 = 1 THEN '0' || stored ELSE stored END);

-- The audit target of a certificate, as the RA writes it: 'certificate:<CA name>/<display serial>'.
CREATE FUNCTION certificate_audit_target(ca integer, stored text) RETURNS text
  LANGUAGE sql STABLE STRICT PARALLEL SAFE
  RETURN 'certificate:' || (SELECT name FROM cas WHERE id = ca) || '/' || certificate_display_serial(stored);

-- RFC 5280 CRLReason names, as the RA and the audit log spell them.
CREATE FUNCTION crl_reason_name(code smallint) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN (ARRAY['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded',
                'cessationOfOperation', 'certificateHold', NULL, 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'])[code + 1];

-- The audit log writes times as JSON (ISO 8601, milliseconds); the table keeps microseconds.
CREATE FUNCTION audit_same_instant(written text, stored timestamptz) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (written IS NULL AND stored IS NULL)
      OR (written IS NOT NULL AND stored IS NOT NULL AND abs(extract(epoch FROM written::timestamptz - stored)) < 0.001);

-- Set by certificates_guard on the entry it accepted for a change. Not part of the hashed row.
ALTER TABLE audit_pending ADD COLUMN claimed boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION certificates_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  want_action text;
  want_target text;
  entry       bigint;
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

  want_action := CASE NEW.status WHEN 'revoked' THEN 'certificate.revoked' WHEN 'on_hold' THEN 'certificate.held' ELSE 'certificate.released' END;
  want_target := certificate_audit_target(NEW.ca_id, NEW.serial);
  UPDATE audit_pending SET claimed = true
  WHERE id = (
    SELECT p.id FROM audit_pending p
    WHERE NOT p.claimed AND p.action = want_action AND p.target = want_target
      AND p.details->>'from' = OLD.status AND p.details->>'to' = NEW.status
      AND (NEW.status <> 'revoked' OR p.details->>'reason' = crl_reason_name(NEW.revocation_reason))
      AND audit_same_instant(p.details->>'revokedAt', NEW.revoked_at)
      AND audit_same_instant(p.details->>'invalidityDate', NEW.invalidity_date)
    ORDER BY p.id LIMIT 1)
  RETURNING id INTO entry;
  IF entry IS NULL THEN
    RAISE EXCEPTION 'certificate % (serial %): a status change needs its audit entry (action %, target %, from %, to %, reason, revokedAt, invalidityDate), queued earlier in the same transaction',
      OLD.id, OLD.serial, want_action, want_target, OLD.status, NEW.status USING ERRCODE = 'insufficient_privilege';
  END IF;

  PERFORM 1 FROM crl_state WHERE ca_id = NEW.ca_id FOR SHARE;
  INSERT INTO certificate_status_changes (certificate_id, ca_id, serial, status, revocation_reason, revoked_at, invalidity_date)
    VALUES (NEW.id, NEW.ca_id, NEW.serial, NEW.status, NEW.revocation_reason, NEW.revoked_at, NEW.invalidity_date);
  RETURN NEW;
END $$;

-- Certificates are evidence too: a row is never deleted (the audit log's certificate.issued names it).
CREATE FUNCTION certificates_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'certificates are never deleted (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER certificates_never_deleted BEFORE DELETE ON certificates FOR EACH ROW EXECUTE FUNCTION certificates_never_deleted();
CREATE TRIGGER certificates_no_truncate BEFORE TRUNCATE ON certificates FOR EACH STATEMENT EXECUTE FUNCTION certificates_never_deleted();
