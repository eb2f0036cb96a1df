/**
 * Revocation, hold (certificateHold) and its release. Each is one transaction that locks the certificate
 * row, decides the transition here (so the caller gets a precise code), queues the audit entry and writes
 * the change — the certificates_guard trigger enforces the same rules, refuses a change whose audit entry
 * (queued first, naming this change: target, from/to, reason, dates) is missing, and numbers the change for
 * delta CRLs. After COMMIT the status hooks re-sign the OCSP response at once and ask for a delta CRL.
 *
 * Repeating a change that already happened (revoke with the same reason, hold a held certificate) is
 * answered with the current state and `changed: false`, so a retried request is harmless.
 *
 * Key compromise concerns the key, not one certificate: every other live certificate of the same public
 * key is revoked with it, in the same transaction, and the key is never certified again (key-reuse.ts).
 */
import { QtError, crlReasonCodes, type CrlReason } from '@qoltanba/pki';
import type { Kysely } from 'kysely';
import type { CertificateStatus, Database } from '../store/schema.ts';
import { appendAudit } from '../audit/index.ts';
import type { Ra } from './ra.ts';
import { sqlState, withStore } from './db-errors.ts';
import { checkApplicationId, moveApplication } from './applications.ts';
import { afterCommit } from './hooks.ts';
import { lockPublicKey } from './key-reuse.ts';
import { findCertificate, type CertificateRecord } from './records.ts';
import { displaySerial, normalizeSerial } from './serial.ts';

/** The reasons `revoke` accepts: RFC 5280's, without certificateHold (use hold) and removeFromCRL (use releaseHold). */
export type RevocationReason = Exclude<CrlReason, 'certificateHold' | 'removeFromCRL'>;
export const revocationReasons: readonly RevocationReason[] = [
  'unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn', 'aACompromise',
];

export interface StatusChangeRequest {
  ca: string;
  serial: string;
  actor: string;
}

export interface RevokeRequest extends StatusChangeRequest {
  reason: RevocationReason;
  /**
   * The revocation application this fulfils (kind 'revoke', for this very certificate, approved): completed in
   * the same transaction, its entry by `actor` — so a crash never leaves the certificate revoked and its
   * application open, nor the other way round. A repeated request finds it completed and leaves it so.
   */
  application?: { id: string; actor: string } | undefined;
  /** When the key is known or suspected to have been compromised (RFC 5280 §5.3.2); not in the future. */
  invalidityDate?: Date | undefined;
}

export interface HoldRequest extends StatusChangeRequest {
  invalidityDate?: Date | undefined;
}

export interface StatusChangeResult {
  certificate: CertificateRecord;
  /** False when the certificate already had the requested status (nothing was written). */
  changed: boolean;
  /** Other certificates of the same key revoked with it (keyCompromise only), as "<ca>/<serial>". */
  alsoRevoked: string[];
}

interface Row {
  id: string;
  ca_id: number;
  serial: string;
  spki_sha256: Buffer;
  status: CertificateStatus;
  revocation_reason: number | null;
  revoked_at: Date | null;
  invalidity_date: Date | null;
}

interface Change {
  status: CertificateStatus;
  revocation_reason: number | null;
  revoked_at: Date | null;
  invalidity_date: Date | null;
}

const HOLD = crlReasonCodes.certificateHold;
const KEY_COMPROMISE = crlReasonCodes.keyCompromise;

export async function revoke(ra: Ra, request: RevokeRequest): Promise<StatusChangeResult> {
  const reason = request.reason as CrlReason;
  if (reason === 'certificateHold') throw reasonInvalid('certificateHold is a hold, not a revocation: use hold (and release to lift it)');
  if (reason === 'removeFromCRL') throw reasonInvalid('removeFromCRL only appears in delta CRLs: use release to lift a hold');
  if (!(revocationReasons as readonly string[]).includes(reason)) throw reasonInvalid(`"${String(reason)}" is not an RFC 5280 revocation reason; use one of ${revocationReasons.join(', ')}`);
  const code = crlReasonCodes[reason];
  const invalidity = checkInvalidityDate(ra, request.invalidityDate);
  return changeStatus(ra, request, 'certificate.revoked', { reason }, code === KEY_COMPROMISE, request.application, (row, now) => {
    if (row.status === 'revoked') {
      if (row.revocation_reason === code) return undefined;
      // The one change a revocation still allows: a compromise found later (RFC 5280 lets the reason rise).
      if (code === KEY_COMPROMISE) return { status: 'revoked', revocation_reason: code, revoked_at: row.revoked_at, invalidity_date: invalidity ?? row.invalidity_date };
      throw alreadyRevoked(row);
    }
    return { status: 'revoked', revocation_reason: code, revoked_at: now, invalidity_date: invalidity ?? null };
  });
}

export async function hold(ra: Ra, request: HoldRequest): Promise<StatusChangeResult> {
  const invalidity = checkInvalidityDate(ra, request.invalidityDate);
  return changeStatus(ra, request, 'certificate.held', {}, false, undefined, (row, now) => {
    if (row.status === 'on_hold') return undefined;
    if (row.status === 'revoked') throw alreadyRevoked(row);
    return { status: 'on_hold', revocation_reason: HOLD, revoked_at: now, invalidity_date: invalidity ?? null };
  });
}

export async function releaseHold(ra: Ra, request: StatusChangeRequest): Promise<StatusChangeResult> {
  return changeStatus(ra, request, 'certificate.released', {}, false, undefined, (row) => {
    if (row.status !== 'on_hold') {
      throw new QtError('QT_ERR_CERT_NOT_ON_HOLD', `The certificate is ${row.status === 'good' ? 'valid (not on hold)' : 'revoked'}; only a held certificate can be released`, {
        status: row.status,
      });
    }
    return { status: 'good', revocation_reason: null, revoked_at: null, invalidity_date: null };
  });
}

function reasonInvalid(message: string): QtError {
  return new QtError('QT_ERR_REVOCATION_REASON_INVALID', message, { field: 'reason' });
}

function alreadyRevoked(row: Row): QtError {
  const reason = Object.entries(crlReasonCodes).find(([, c]) => c === row.revocation_reason)?.[0];
  return new QtError('QT_ERR_CERT_ALREADY_REVOKED', `The certificate was revoked (${reason}) on ${row.revoked_at?.toISOString()}; a revocation is final`, {
    status: row.status,
    reason,
  });
}

function checkInvalidityDate(ra: Ra, date: Date | undefined): Date | undefined {
  if (date === undefined) return undefined;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new QtError('QT_ERR_INPUT_INVALID', 'invalidityDate is not a date', { field: 'invalidityDate' });
  // A minute of grace for the caller's clock.
  if (date.getTime() > ra.ctx.now().getTime() + 60_000) {
    throw new QtError('QT_ERR_INPUT_INVALID', 'invalidityDate lies in the future; it says since when the key is known or suspected to be compromised', {
      field: 'invalidityDate',
    });
  }
  return date;
}

type Decide = (row: Row, now: Date) => Change | undefined;

async function changeStatus(
  ra: Ra,
  request: StatusChangeRequest,
  action: string,
  auditDetails: Record<string, unknown>,
  wholeKey: boolean,
  application: RevokeRequest['application'],
  decide: Decide,
): Promise<StatusChangeResult> {
  const serial = normalizeSerial(request.serial);
  const { ctx } = ra;
  const outcome = await withStore('the status change', () =>
    ctx.store.db.transaction().execute(async (trx) => {
      const ca = await trx.selectFrom('cas').select(['id', 'name']).where('name', '=', request.ca).executeTakeFirst();
      if (!ca) throw new QtError('QT_ERR_CA_NOT_FOUND', `There is no CA named "${request.ca}"`, { ca: request.ca });
      if (wholeKey) {
        // Taken before any row lock, in the order issuance takes it, so two compromise reports of one key cannot deadlock.
        const key = await trx.selectFrom('certificates').select('spki_sha256').where('ca_id', '=', ca.id).where('serial', '=', serial).executeTakeFirst();
        if (key) await lockPublicKey(trx, key.spki_sha256);
      }
      const row = await lockRow(trx, ca.id, serial);
      if (!row) throw new QtError('QT_ERR_CERT_NOT_FOUND', `CA "${ca.name}" issued no certificate with serial ${displaySerial(serial)}`, { ca: ca.name, serial: displaySerial(serial) });
      const now = ctx.now();
      const change = decide(row, now);
      const changed: { caId: number; serial: string; ca: string }[] = [];
      if (change) {
        await appendAudit(trx, { actor: request.actor, action, target: certificateTarget(ca.name, serial), details: { ca: ca.name, serial: displaySerial(serial), ...auditDetails, ...changeDetails(row, change) } });
        await apply(trx, row, change);
        changed.push({ caId: ca.id, serial, ca: ca.name });
      }
      if (wholeKey) changed.push(...(await revokeSiblings(trx, row, `${ca.name}/${displaySerial(serial)}`, request.actor, now)));
      if (application) await completeRevocation(trx, application, row, `${ca.name}/${displaySerial(serial)}`, now);
      return { certificate: await findCertificate(trx, ca.name, serial), changed: !!change, touched: changed };
    }),
  );
  for (const t of outcome.touched) {
    await afterCommit(ctx.log, 'OCSP re-signing after a status change', () => ra.hooks.afterStatusChange(t.caId, t.serial));
  }
  return {
    certificate: outcome.certificate,
    changed: outcome.changed,
    alsoRevoked: outcome.touched.filter((t) => !(t.ca === request.ca && t.serial === serial)).map((t) => `${t.ca}/${displaySerial(t.serial)}`),
  };
}

/** The revocation application of this certificate, completed with it (or already, by the request this one repeats). */
async function completeRevocation(trx: Kysely<Database>, application: { id: string; actor: string }, row: Row, name: string, now: Date): Promise<void> {
  const id = checkApplicationId(application.id) as string;
  const app = await trx.selectFrom('applications').select(['kind', 'state', 'target_certificate_id']).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!app || app.kind !== 'revoke' || String(app.target_certificate_id) !== String(row.id)) {
    throw new QtError('QT_ERR_APPLICATION_NOT_APPROVED', `Application ${id} is not the revocation application of ${name}`, { applicationId: id });
  }
  if (app.state === 'completed') return;
  await moveApplication(trx, id, 'approved', 'completed', now, { actor: application.actor, details: { certificate: name } });
}

/** The audit target of a certificate: the spelling certificates_guard checks (SQL certificate_audit_target). */
export function certificateTarget(caName: string, storedSerial: string): string {
  return `certificate:${caName}/${displaySerial(storedSerial)}`;
}

/**
 * What the audit entry says about the change: the trigger finds the entry by these, and `audit verify`
 * reconciles the certificate with the last of them. Times are the row's, not the request's.
 */
function changeDetails(row: Row, change: Change): Record<string, string | null> {
  return {
    from: row.status,
    to: change.status,
    revokedAt: change.revoked_at?.toISOString() ?? null,
    invalidityDate: change.invalidity_date?.toISOString() ?? null,
  };
}

function lockRow(trx: Kysely<Database>, caId: number, serial: string): Promise<Row | undefined> {
  return trx
    .selectFrom('certificates')
    .select(['id', 'ca_id', 'serial', 'spki_sha256', 'status', 'revocation_reason', 'revoked_at', 'invalidity_date'])
    .where('ca_id', '=', caId)
    .where('serial', '=', serial)
    .forUpdate()
    .executeTakeFirst();
}

async function apply(trx: Kysely<Database>, row: Row, change: Change): Promise<void> {
  try {
    await trx.updateTable('certificates').set(change).where('id', '=', row.id).execute();
  } catch (e) {
    // The trigger is the last word; its refusal is a conflict, not an internal error.
    if (sqlState(e) === '23514' && /status cannot go from/.test((e as Error).message)) {
      throw new QtError('QT_ERR_CERT_STATUS_TRANSITION', `The certificate cannot go from ${row.status} to ${change.status}`, { from: row.status, to: change.status }, { cause: e });
    }
    throw e;
  }
}

/** Every other live (or less severely revoked) certificate of a compromised key, revoked for keyCompromise. */
async function revokeSiblings(trx: Kysely<Database>, origin: Row, originName: string, actor: string, now: Date): Promise<{ caId: number; serial: string; ca: string }[]> {
  const siblings = await trx
    .selectFrom('certificates as c')
    .innerJoin('cas as ca', 'ca.id', 'c.ca_id')
    .select(['c.id', 'c.ca_id', 'c.serial', 'c.spki_sha256', 'c.status', 'c.revocation_reason', 'c.revoked_at', 'c.invalidity_date', 'ca.name as ca_name'])
    .where('c.spki_sha256', '=', origin.spki_sha256)
    .where('c.id', '<>', origin.id)
    .where((eb) => eb.or([eb('c.revocation_reason', 'is', null), eb('c.revocation_reason', '<>', KEY_COMPROMISE)]))
    .orderBy('c.id')
    .forUpdate('c')
    .execute();
  const out: { caId: number; serial: string; ca: string }[] = [];
  for (const s of siblings) {
    const change: Change =
      s.status === 'revoked'
        ? { status: 'revoked', revocation_reason: KEY_COMPROMISE, revoked_at: s.revoked_at, invalidity_date: s.invalidity_date }
        : { status: 'revoked', revocation_reason: KEY_COMPROMISE, revoked_at: now, invalidity_date: null };
    await appendAudit(trx, {
      actor,
      action: 'certificate.revoked',
      target: certificateTarget(s.ca_name, s.serial),
      details: { ca: s.ca_name, serial: displaySerial(s.serial), reason: 'keyCompromise', ...changeDetails(s, change), sameKeyAs: originName },
    });
    await apply(trx, s, change);
    out.push({ caId: s.ca_id, serial: s.serial, ca: s.ca_name });
  }
  return out;
}
