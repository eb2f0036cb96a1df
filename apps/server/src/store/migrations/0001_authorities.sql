-- Certificate authorities, their delegated OCSP signers, and the CRL numbering each CA owns.

CREATE TABLE cas (
  id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Short name used in published URLs (/crl/{name}.crl, /cert/{name}.cer); never changes.
  name           text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  kind           text NOT NULL CHECK (kind IN ('root', 'issuing')),
  parent_id      integer REFERENCES cas (id),
  subject_dn     text NOT NULL,
  certificate    bytea NOT NULL,
  subject_key_id bytea NOT NULL,
  -- Keystore URI (soft:… or pkcs11:…). NULL only for a root whose key is kept offline.
  key_uri        text,
  -- retired: issues nothing new but keeps signing CRLs/OCSP until its certificates expire.
  status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired', 'revoked')),
  not_before     timestamptz NOT NULL,
  not_after      timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (not_after > not_before),
  CHECK ((kind = 'root') = (parent_id IS NULL)),
  CHECK (key_uri IS NOT NULL OR kind = 'root')
);

-- Delegated OCSP-signing certificates (RFC 6960 §4.2.2.2); at most one active per CA.
CREATE TABLE ocsp_signers (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ca_id       integer NOT NULL REFERENCES cas (id),
  certificate bytea NOT NULL,
  key_uri     text NOT NULL,
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  not_before  timestamptz NOT NULL,
  not_after   timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (not_after > not_before)
);
CREATE UNIQUE INDEX ocsp_signers_one_active ON ocsp_signers (ca_id) WHERE status = 'active';

-- Full and delta CRLs share one increasing number sequence per CA (RFC 5280 §5.2.3).
CREATE TABLE crl_state (
  ca_id             integer PRIMARY KEY REFERENCES cas (id),
  next_crl_number   bigint NOT NULL DEFAULT 1 CHECK (next_crl_number > 0),
  last_full_number  bigint,
  last_full_at      timestamptz,
  last_delta_number bigint,
  last_delta_at     timestamptz,
  -- The full CRL that current deltas name as BaseCRLNumber, and the last status change it covers:
  -- a delta lists certificate_status_changes with id > base_change_id.
  delta_base_number bigint,
  base_change_id    bigint NOT NULL DEFAULT 0,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK ((last_full_number IS NULL) = (last_full_at IS NULL)),
  CHECK ((last_delta_number IS NULL) = (last_delta_at IS NULL)),
  CHECK (last_full_number < next_crl_number),
  CHECK (last_delta_number < next_crl_number),
  CHECK (delta_base_number <= last_full_number)
);

-- Every CA gets its numbering row at birth, so revocations can always lock it (see 0003).
CREATE FUNCTION cas_create_crl_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO crl_state (ca_id) VALUES (NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER cas_create_crl_state AFTER INSERT ON cas FOR EACH ROW EXECUTE FUNCTION cas_create_crl_state();

CREATE TABLE crls (
  ca_id           integer NOT NULL REFERENCES cas (id),
  crl_number      bigint NOT NULL CHECK (crl_number > 0),
  kind            text NOT NULL CHECK (kind IN ('full', 'delta')),
  base_crl_number bigint,
  this_update     timestamptz NOT NULL,
  next_update     timestamptz NOT NULL,
  der             bytea NOT NULL,
  entry_count     integer NOT NULL CHECK (entry_count >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ca_id, crl_number),
  CHECK ((kind = 'delta') = (base_crl_number IS NOT NULL)),
  CHECK (base_crl_number < crl_number),
  CHECK (next_update > this_update)
);
-- "The latest full / delta CRL of CA x", asked on every CRL download.
CREATE INDEX crls_latest ON crls (ca_id, kind, crl_number DESC);
