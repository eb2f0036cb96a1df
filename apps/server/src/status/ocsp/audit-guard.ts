/**
 * OCSP never vouches "good" for a certificate whose audit history says it was revoked or put on hold. The
 * certificates_guard trigger makes every status change come with its audit entry, but someone who switches
 * triggers off (session_replication_role = replica) can set a revoked row back to good; the audit log, sealed
 * in a hash chain and anchored outside the database by signed checkpoints, still says what happened. So before
 * a "good" response is signed — pre-signed or on demand — the certificate's last status event is read (one
 * indexed lookup per batch, audit_log_by_target) and a disagreement refuses the signature: the responder
 * answers internalError instead of a lie, and the refusal is logged for the operator (`qoltanba audit verify`
 * names the edit).
 */
import { formatSerial, QtError } from '@qoltanba/pki';
import { sql } from 'kysely';
import type { ServerContext } from '../../context.ts';
import type { CertificateStatusRow } from './sign.ts';

/** The serials (table spelling) among `rows` that say "good" while their audit history says revoked or on hold. */
export async function goodAgainstAudit(ctx: ServerContext, caName: string, rows: readonly CertificateStatusRow[]): Promise<Set<string>> {
  const good = rows.filter((r) => r.status === 'good');
  if (good.length === 0) return new Set();
  const targetOf = new Map(good.map((r) => [`certificate:${caName}/${formatSerial(r.serial)}`, r.serial]));
  const { rows: last } = await sql<{ target: string; action: string }>`
    SELECT DISTINCT ON (target) target, action FROM audit_log
    WHERE target = ANY(${[...targetOf.keys()]}::text[])
      AND action IN ('certificate.revoked', 'certificate.held', 'certificate.released')
    ORDER BY target, seq DESC`.execute(ctx.store.db);
  const refused = new Set<string>();
  for (const e of last) {
    if (e.action === 'certificate.released') continue;
    const serial = targetOf.get(e.target)!;
    refused.add(serial);
    ctx.log.error(
      { code: 'QT_ERR_STATUS_AUDIT_MISMATCH', ca: caName, serial: formatSerial(serial), audit: e.action },
      'OCSP: the database says good, the audit log says otherwise; refusing to sign (run qoltanba audit verify)',
    );
  }
  return refused;
}

/** Throws QT_ERR_STATUS_AUDIT_MISMATCH when any row says "good" against its audit history. */
export async function assertStatusesAudited(ctx: ServerContext, caName: string, rows: readonly CertificateStatusRow[]): Promise<void> {
  const refused = await goodAgainstAudit(ctx, caName, rows);
  if (refused.size === 0) return;
  const [first] = refused;
  throw new QtError('QT_ERR_STATUS_AUDIT_MISMATCH', undefined, { ca: caName, serial: formatSerial(first!) });
}
