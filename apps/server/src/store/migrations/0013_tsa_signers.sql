-- Time-stamping authorities (RFC 3161): one TSA key and certificate per issuing CA that the ceremony plan
-- gives one (ceremony.json issuing[].tsa), issued by that CA, with a critical timeStamping-only EKU. Like
-- the OCSP signers' keys, the key is the signer's (cas.key_uri's keystore); this row only names it.
CREATE TABLE tsa_signers (
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
CREATE UNIQUE INDEX tsa_signers_one_active ON tsa_signers (ca_id) WHERE status = 'active';

-- Time-stamp serial numbers are <prefix><counter>: every TSA process takes a fresh prefix from this
-- sequence when it starts and counts in memory from there, so serials are unique across processes and
-- restarts without a database round trip per stamp (tsa/serials.ts). Nothing is stored per stamp: the
-- audit log records, per period and process, how many were issued, the serial range and a sample.
CREATE SEQUENCE tsa_serial_prefix AS bigint MINVALUE 1;
