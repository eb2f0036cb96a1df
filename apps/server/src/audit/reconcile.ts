/**
 * Reconciles the certificates with what the audit log says happened to them, so an edit made with the
 * audit triggers switched off (session_replication_role = replica, DISABLE TRIGGER) is named by
 * `audit verify` even though the hash chain itself is intact:
 *  - a certificate whose status, reason, revocation time or invalidity date is not what its last
 *    status event (certificate.revoked / held / released) says;
 *  - a certificate revoked or on hold that no status event accounts for;
 *  - a certificate that no certificate.issued event accounts for, and an issued one whose row is gone.
 * (A stored OCSP response is never served when it disagrees with its row, and never signed "good" against
 * the audit log: status/ocsp/audit-guard.ts.)
 * Events are matched to rows by their target ('certificate:<CA>/<display serial>', SQL
 * certificate_audit_target). Runs inside verifyAudit's REPEATABLE READ snapshot.
 */
import { crlReasonFromCode } from '@qoltanba/pki';
import { sql, type Kysely } from 'kysely';
import type { CertificateStatus, Database, JsonObject } from '../store/schema.ts';

export const STATUS_ACTIONS = ['certificate.revoked', 'certificate.held', 'certificate.released'] as const;
const STATUS_OF: Record<string, CertificateStatus> = { 'certificate.revoked': 'revoked', 'certificate.held': 'on_hold', 'certificate.released': 'good' };

export interface Disagreement {
  /** 'certificate:<CA>/<serial>' */
  certificate: string;
  /** The audit event the row disagrees with (0: none accounts for the row). */
  seq: number;
  message: string;
}

interface LastEvent {
  target: string;
  seq: string;
  action: string;
  details: JsonObject;
  id: string | null;
  status: CertificateStatus | null;
  revocation_reason: number | null;
  revoked_at: Date | null;
  invalidity_date: Date | null;
}

export async function reconcileCertificates(trx: Kysely<Database>): Promise<Disagreement[]> {
  const out: Disagreement[] = [];

  // 1. Every certificate a status event names, against that target's last status event.
  const { rows: last } = await sql<LastEvent>`
    WITH last AS (
      SELECT DISTINCT ON (target) target, seq, action, details
      FROM audit_log
      WHERE action IN ('certificate.revoked', 'certificate.held', 'certificate.released') AND target LIKE 'certificate:%'
      ORDER BY target, seq DESC)
    SELECT l.target, l.seq, l.action, l.details, c.id, c.status, c.revocation_reason, c.revoked_at, c.invalidity_date
    FROM last l
    LEFT JOIN certificates c ON certificate_audit_target(c.ca_id, c.serial) = l.target
         AND c.ca_id = (SELECT id FROM cas WHERE name = l.details->>'ca')
         AND c.serial = lower(ltrim(l.details->>'serial', '0'))`.execute(trx);
  for (const e of last) {
    const seq = Number(e.seq);
    const said = describe(e.action, e.details);
    if (e.id === null) {
      out.push({ certificate: e.target, seq, message: `the audit log says ${said} (row ${seq}), but the certificate is not in the database` });
      continue;
    }
    const found = disagreementsOf(e, STATUS_OF[e.action]!);
    if (found.length) out.push({ certificate: e.target, seq, message: `the database says ${found.join(', ')}; the audit log's last word is ${said} (row ${seq})` });
  }

  // 2. Revoked or held certificates no status event accounts for.
  const { rows: unaccounted } = await sql<{ target: string; status: CertificateStatus; revocation_reason: number | null }>`
    SELECT certificate_audit_target(c.ca_id, c.serial) AS target, c.status, c.revocation_reason
    FROM certificates c
    WHERE c.status <> 'good' AND NOT EXISTS (
      SELECT 1 FROM audit_log a WHERE a.target = certificate_audit_target(c.ca_id, c.serial)
        AND a.action IN ('certificate.revoked', 'certificate.held', 'certificate.released'))
    ORDER BY c.id`.execute(trx);
  for (const c of unaccounted) {
    out.push({ certificate: c.target, seq: 0, message: `the database says ${statusText(c.status, c.revocation_reason)}, but no audit entry records that change` });
  }

  // 3. Issuance both ways: rows without their certificate.issued event, events without their row.
  const { rows: unissued } = await sql<{ target: string }>`
    SELECT certificate_audit_target(c.ca_id, c.serial) AS target
    FROM certificates c
    WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.target = certificate_audit_target(c.ca_id, c.serial) AND a.action = 'certificate.issued')
    ORDER BY c.id`.execute(trx);
  for (const c of unissued) out.push({ certificate: c.target, seq: 0, message: 'the certificate is in the database, but no audit entry records its issuance' });
  const { rows: vanished } = await sql<{ target: string; seq: string }>`
    SELECT a.target, a.seq FROM audit_log a
    WHERE a.action = 'certificate.issued' AND a.details ? 'ca' AND a.details ? 'serial'
      AND NOT EXISTS (SELECT 1 FROM certificates c JOIN cas ON cas.id = c.ca_id
                      WHERE cas.name = a.details->>'ca' AND c.serial = lower(ltrim(a.details->>'serial', '0')))
    ORDER BY a.seq`.execute(trx);
  for (const a of vanished) out.push({ certificate: a.target, seq: Number(a.seq), message: `the audit log records its issuance (row ${a.seq}), but the certificate is not in the database` });

  return out.sort((a, b) => a.seq - b.seq || a.certificate.localeCompare(b.certificate));
}

function disagreementsOf(e: LastEvent, status: CertificateStatus): string[] {
  const d = e.details;
  if (e.status !== status) return [`it is ${statusText(e.status!, e.revocation_reason)}`];
  const out: string[] = [];
  if (status === 'revoked' && typeof d.reason === 'string' && crlReasonFromCode(e.revocation_reason ?? -1) !== d.reason) {
    out.push(`its reason is ${crlReasonFromCode(e.revocation_reason ?? -1) ?? e.revocation_reason}`);
  }
  // Entries written before the dates were recorded carry no revokedAt: nothing to compare them with.
  if ('revokedAt' in d && !sameInstant(d.revokedAt, e.revoked_at)) out.push(`revoked at ${iso(e.revoked_at)} (audit: ${d.revokedAt ?? 'none'})`);
  if ('invalidityDate' in d && 'revokedAt' in d && !sameInstant(d.invalidityDate, e.invalidity_date)) {
    out.push(`invalidity date ${iso(e.invalidity_date)} (audit: ${d.invalidityDate ?? 'none'})`);
  }
  return out;
}

function describe(action: string, d: JsonObject): string {
  if (action === 'certificate.revoked') return `revoked (${typeof d.reason === 'string' ? d.reason : 'reason not recorded'})`;
  return action === 'certificate.held' ? 'on hold' : 'released from hold (good)';
}

function statusText(status: CertificateStatus, reason: number | null): string {
  if (status === 'good') return 'good';
  if (status === 'on_hold') return 'on hold';
  return `revoked (${crlReasonFromCode(reason ?? -1) ?? reason})`;
}

function sameInstant(written: unknown, stored: Date | null): boolean {
  if (written === null || written === undefined) return stored === null;
  if (typeof written !== 'string' || stored === null) return false;
  return Math.abs(new Date(written).getTime() - stored.getTime()) < 1;
}

function iso(d: Date | null): string {
  return d ? d.toISOString() : 'none';
}
