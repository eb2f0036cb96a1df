-- The due-reminder scan (notify/schedule/scan.ts) reads a threshold's window in keyset pages ordered by
-- (not_after, id). The index it had was ordered by not_after alone, so PostgreSQL could not stop after a page:
-- it fetched every remaining certificate of the window (a bitmap scan) and sorted them to keep the first
-- `pageSize`, for every page — a national cold scan re-read a 10-day window some fifty times, and a day's
-- arrivals at 10 M (≈ 27 k per window) several times. Ordered by (not_after, id), with every column a page
-- needs (subject_bin too, for supersession), a page is exactly `pageSize` index entries read in order, from
-- the index alone. Revoked and on-hold certificates stay out of it, as before.
-- Built once, without CONCURRENTLY (migrations run in a transaction): on 10 M certificates, well under a minute
-- during which issuance waits.
DROP INDEX certificates_live_by_expiry;
CREATE INDEX certificates_live_by_expiry ON certificates (not_after, id) INCLUDE (subject_iin, subject_bin, kind) WHERE status = 'good';
