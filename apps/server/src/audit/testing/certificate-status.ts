/**
 * TEST AND BENCH SUPPORT ONLY: changes a certificate's status straight in SQL the way the RA does — its audit
 * entry queued first, in the same transaction — so tests of the schema, CRLs and OCSP can set any status
 * without going through the RA, and the certificates_guard trigger still accepts it.
 */
import { crlReasonFromCode, formatSerial } from '@qoltanba/pki';
import type { Kysely } from 'kysely';
import type { CertificateStatus, Database } from '../../store/schema.ts';
import { appendAudit } from '../append.ts';

export interface StatusValues {
  status?: CertificateStatus;
  revocation_reason?: number | null;
  revoked_at?: Date | null;
  invalidity_date?: Date | null;
}

const ACTIONS: Record<CertificateStatus, string> = { revoked: 'certificate.revoked', on_hold: 'certificate.held', good: 'certificate.released' };

/** Sets the given columns of each certificate (by id), each change with its audit entry, in one transaction. */
export async function setStatusAudited(db: Kysely<Database>, certificateIds: readonly string[], values: StatusValues, actor = 'operator:test'): Promise<void> {
  if (certificateIds.length === 0) return;
  await db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('certificates as c')
      .innerJoin('cas', 'cas.id', 'c.ca_id')
      .select(['c.id', 'c.serial', 'c.status', 'c.revocation_reason', 'c.revoked_at', 'c.invalidity_date', 'cas.name'])
      .where('c.id', 'in', [...certificateIds])
      .orderBy('c.id')
      .forUpdate()
      .execute();
    for (const row of rows) {
      const next = {
        status: values.status ?? row.status,
        revocation_reason: values.revocation_reason !== undefined ? values.revocation_reason : row.revocation_reason,
        revoked_at: values.revoked_at !== undefined ? values.revoked_at : row.revoked_at,
        invalidity_date: values.invalidity_date !== undefined ? values.invalidity_date : row.invalidity_date,
      };
      await appendAudit(trx, {
        actor,
        action: ACTIONS[next.status],
        target: `certificate:${row.name}/${formatSerial(row.serial)}`,
        details: {
          ca: row.name,
          serial: formatSerial(row.serial),
          ...(next.status === 'revoked' && next.revocation_reason !== null ? { reason: crlReasonFromCode(next.revocation_reason) } : {}),
          from: row.status,
          to: next.status,
          revokedAt: next.revoked_at?.toISOString() ?? null,
          invalidityDate: next.invalidity_date?.toISOString() ?? null,
        },
      });
    }
    await trx.updateTable('certificates').set(values).where('id', 'in', [...certificateIds]).execute();
  });
}
