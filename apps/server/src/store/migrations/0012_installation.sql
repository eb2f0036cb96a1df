-- What the installation is beyond its CAs (system/installation.ts): the public address every certificate, CRL,
-- OCSP and CPS pointer uses — stored at the first start, so every process (server, CLI, ceremony) writes the
-- same one, and changed only by an explicit `qoltanba up --public-url` (audited) — and whether the data
-- directory holds demo data (`qoltanba up --demo`), which a start without --demo refuses to serve.
CREATE TABLE installation_settings (
  name        text PRIMARY KEY CHECK (name IN ('public_url', 'demo')),
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The demo SMS gateway (demo/sms-gateway.ts) records here instead of sending: /demo/sms shows the last codes.
-- Written only under `qoltanba up --demo`, whose data is all made up (NCA test IINs, demo phone numbers).
CREATE TABLE demo_sms (
  id       bigserial PRIMARY KEY,
  phone    text NOT NULL,
  text     text NOT NULL,
  sent_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX demo_sms_newest ON demo_sms (sent_at DESC, id DESC);
