-- Periodic work done once per period for the whole cluster (apps/server/src/jobs/README.md).
--
-- pg-boss delivers each scheduled job (cron) to one worker node; this table makes "once" a fact of the
-- database rather than of delivery: a run claims (job, period) before it does anything, so a job
-- delivered twice — a retry after a node died, a cron sent twice around a restart — runs once. A claim
-- whose node died (lease_until passed, finished_at empty) may be taken over; a finished one never.
CREATE TABLE job_runs (
  job         text NOT NULL CHECK (job <> ''),
  -- Start of the period this run stands for (the cron slot its job was made for).
  period      timestamptz NOT NULL,
  -- Which process ran it last ("<host>/<pid>"): evidence for whoever counts runs.
  node        text NOT NULL,
  attempts    integer NOT NULL DEFAULT 1 CHECK (attempts > 0),
  started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  lease_until timestamptz NOT NULL,
  finished_at timestamptz,
  PRIMARY KEY (job, period)
);
CREATE INDEX job_runs_by_start ON job_runs (started_at);

-- The delta CRL's durable marker. A status change is numbered in certificate_status_changes by the
-- certificates_guard trigger, in the revoking transaction; covered_change_id is the last change the newest
-- CRL (full or delta) covers. Changes above it are revocations no CRL lists yet, whatever process made
-- them and whether or not it lived to ask for a delta CRL: the scheduled tick publishes one for them.
ALTER TABLE crl_state ADD COLUMN covered_change_id bigint NOT NULL DEFAULT 0;
-- A safe start: the full CRL's base certainly covers everything up to it (a later delta may cover more,
-- which costs at most one extra delta CRL).
UPDATE crl_state SET covered_change_id = base_change_id;
