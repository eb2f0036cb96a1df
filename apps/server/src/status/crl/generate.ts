/**
 * Generates, signs and stores one CRL of a CA — full or delta — in one transaction (RFC 5280 §5).
 *
 * The CA's crl_state row is locked FOR UPDATE first. Status changes take it FOR SHARE (the trigger in
 * 0003_certificates.sql), so the lock waits for changes in flight and holds new ones back until we
 * commit: the certificates we read and the change-id watermark we record are exactly consistent, and a
 * delta built later from "changes after the watermark" misses nothing. The number comes from the same
 * row and is advanced, the CRL stored and the audit entry queued in the same transaction — so a crash at
 * any point leaves no CRL and no used number, and numbers stay contiguous and increasing across full and
 * delta CRLs.
 *
 * Entries are streamed: a server-side cursor feeds CrlBuilder, which encodes each entry straight into
 * bytes. Memory grows with the CRL's DER (≈40 bytes an entry), never with row objects.
 */
import { createHash } from 'node:crypto';
import { CrlBuilder, crlReasonFromCode, QtError, type CrlEntryInput } from '@qoltanba/pki';
import { sql, type Kysely, type Transaction } from 'kysely';
import { appendAudit } from '../../audit/index.ts';
import type { ServerContext } from '../../context.ts';
import type { Database } from '../../store/index.ts';
import type { CaDirectory } from '../directory.ts';

export type CrlKind = 'full' | 'delta';

export interface GenerateCrlOptions {
  /**
   * Generate only if the last CRL of this kind (for delta: the last delta or full, whichever is newer) is
   * older than this; checked under the lock, so schedulers on several nodes produce one CRL, not one each.
   */
  ifOlderThan?: Date | undefined;
  /**
   * Generate only if some status change is in no CRL yet (above crl_state.covered_change_id); checked under
   * the lock, so a delta asked for after revocations that a tick has meanwhile published is not made twice.
   */
  ifUncoveredChanges?: boolean | undefined;
  /** Called after each batch of entries (progress for big CRLs); awaited. */
  onProgress?: ((entries: number) => void | Promise<void>) | undefined;
}

export interface GeneratedCrl {
  caId: number;
  caName: string;
  kind: CrlKind;
  crlNumber: bigint;
  /** The full CRL a delta is relative to (its BaseCRLNumber). */
  baseCrlNumber: bigint | undefined;
  entries: number;
  thisUpdate: Date;
  nextUpdate: Date;
  bytes: number;
}

/** Rows per FETCH: a batch is a few hundred kilobytes on the wire. */
const FETCH = 10_000;

/**
 * Generates a CRL of `kind` for the CA. A delta asked for before any full CRL exists has no base: a full
 * CRL is made instead (the result says which). Returns undefined when `ifOlderThan` found a newer one.
 */
export async function generateCrl(ctx: ServerContext, directory: CaDirectory, caId: number, kind: CrlKind, options: GenerateCrlOptions = {}): Promise<GeneratedCrl | undefined> {
  const ca = await directory.byId(caId);
  if (!ca.keyUri) throw new QtError('QT_ERR_CA_KEY_OFFLINE', `The key of "${ca.name}" is kept offline; its CRLs are signed at a ceremony`, { ca: ca.name });
  // Opened before the transaction: a PKCS#11 login or a key-file decryption must not hold the lock.
  const signer = await ctx.signers.signerFor(ca.keyUri, 'crl');

  return ctx.store.db.transaction().execute(async (trx) => {
    const state = await sql<{
      next_crl_number: string;
      last_full_number: string | null;
      last_full_at: Date | null;
      last_delta_at: Date | null;
      delta_base_number: string | null;
      base_change_id: string;
      covered_change_id: string;
    }>`
      SELECT next_crl_number, last_full_number, last_full_at, last_delta_at, delta_base_number, base_change_id, covered_change_id
      FROM crl_state WHERE ca_id = ${ca.id} FOR UPDATE`.execute(trx);
    const s = state.rows[0];
    if (!s) throw new QtError('QT_ERR_INTERNAL', `The CA "${ca.name}" has no crl_state row`);
    const actual: CrlKind = kind === 'delta' && s.delta_base_number !== null ? 'delta' : 'full';
    if (options.ifOlderThan) {
      const last = actual === 'full' ? s.last_full_at : latest(s.last_delta_at, s.last_full_at);
      if (last && last >= options.ifOlderThan) return undefined;
    }

    const crlNumber = BigInt(s.next_crl_number);
    const thisUpdate = new Date(Math.floor(ctx.now().getTime() / 1000) * 1000);
    const validityHours = actual === 'full' ? ctx.config.crl.validityHours : ctx.config.crl.deltaValidityHours;
    const nextUpdate = new Date(thisUpdate.getTime() + validityHours * 3_600_000);
    const baseCrlNumber = actual === 'delta' ? BigInt(s.delta_base_number as string) : undefined;
    const builder = new CrlBuilder({ issuer: { certificate: ca.certificate, signer }, thisUpdate, nextUpdate, crlNumber, deltaOf: baseCrlNumber });

    // Every change up to here is committed and visible (we hold the lock); later ones will have larger ids.
    const watermark = await sql<{ id: string }>`
      SELECT coalesce(max(id), 0)::text AS id FROM certificate_status_changes WHERE ca_id = ${ca.id}`.execute(trx);
    const changeId = watermark.rows[0]!.id;
    if (options.ifUncoveredChanges && BigInt(changeId) <= BigInt(s.covered_change_id)) return undefined;

    if (actual === 'full') await streamFull(trx, ca.id, builder, options.onProgress);
    else await streamDelta(trx, ca.id, s.base_change_id, changeId, builder, options.onProgress);

    const der = await builder.sign();
    await trx
      .insertInto('crls')
      .values({
        ca_id: ca.id,
        crl_number: crlNumber,
        kind: actual,
        base_crl_number: baseCrlNumber ?? null,
        this_update: thisUpdate,
        next_update: nextUpdate,
        der: Buffer.from(der.buffer, der.byteOffset, der.byteLength),
        entry_count: builder.count,
      })
      .execute();
    await trx
      .updateTable('crl_state')
      .set(
        actual === 'full'
          ? { next_crl_number: crlNumber + 1n, last_full_number: crlNumber, last_full_at: thisUpdate, delta_base_number: crlNumber, base_change_id: changeId, covered_change_id: changeId, updated_at: sql`now()` }
          : { next_crl_number: crlNumber + 1n, last_delta_number: crlNumber, last_delta_at: thisUpdate, covered_change_id: changeId, updated_at: sql`now()` },
      )
      .where('ca_id', '=', ca.id)
      .execute();
    const result: GeneratedCrl = { caId: ca.id, caName: ca.name, kind: actual, crlNumber, baseCrlNumber, entries: builder.count, thisUpdate, nextUpdate, bytes: der.length };
    await appendAudit(trx, {
      actor: 'system:status',
      action: 'crl.published',
      target: `ca:${ca.name}`,
      details: {
        kind: actual,
        crlNumber: crlNumber.toString(),
        ...(baseCrlNumber !== undefined ? { baseCrlNumber: baseCrlNumber.toString() } : {}),
        entries: builder.count,
        thisUpdate: thisUpdate.toISOString(),
        nextUpdate: nextUpdate.toISOString(),
        lastStatusChange: changeId,
        sha256: sha256Hex(der),
      },
    });
    return result;
  });
}

/** Every certificate now revoked or on hold. */
async function streamFull(trx: Transaction<Database>, caId: number, builder: CrlBuilder, onProgress: GenerateCrlOptions['onProgress']): Promise<void> {
  await streamCursor(
    trx,
    sql`SELECT serial, revocation_reason AS reason, extract(epoch FROM revoked_at)::float8 AS revoked,
               extract(epoch FROM invalidity_date)::float8 AS invalidity
        FROM certificates WHERE ca_id = ${caId} AND status <> 'good'`,
    (r: EntryRow) => builder.add(entryOf(r)),
    () => onProgress?.(builder.count),
  );
}

/**
 * The latest state of every certificate whose status changed after the base CRL's watermark: revoked or
 * on hold as in a full CRL, and a released hold (status back to good) as removeFromCRL (RFC 5280 §5.2.4).
 */
async function streamDelta(trx: Transaction<Database>, caId: number, fromId: string, toId: string, builder: CrlBuilder, onProgress: GenerateCrlOptions['onProgress']): Promise<void> {
  await streamCursor(
    trx,
    sql`SELECT DISTINCT ON (certificate_id) serial, status, revocation_reason AS reason,
               extract(epoch FROM coalesce(revoked_at, changed_at))::float8 AS revoked,
               extract(epoch FROM invalidity_date)::float8 AS invalidity
        FROM certificate_status_changes
        WHERE ca_id = ${caId} AND id > ${fromId}::bigint AND id <= ${toId}::bigint
        ORDER BY certificate_id, id DESC`,
    (r: EntryRow & { status: string }) => builder.add(r.status === 'good' ? { serial: r.serial, revokedAt: dateOf(r.revoked), reason: 'removeFromCRL' } : entryOf(r)),
    () => onProgress?.(builder.count),
  );
}

interface EntryRow {
  serial: string;
  reason: number | null;
  /** Seconds since the epoch: pg turns float8 into a number far faster than timestamptz into a Date. */
  revoked: number;
  invalidity: number | null;
}

function entryOf(r: EntryRow): CrlEntryInput {
  return {
    serial: r.serial,
    revokedAt: dateOf(r.revoked),
    reason: r.reason === null ? undefined : crlReasonFromCode(r.reason),
    invalidityDate: r.invalidity === null ? undefined : dateOf(r.invalidity),
  };
}

const dateOf = (seconds: number) => new Date(Math.round(seconds * 1000));

async function streamCursor<R>(
  trx: Kysely<Database>,
  query: ReturnType<typeof sql>,
  onRow: (row: R) => void,
  afterBatch: () => void | Promise<void>,
): Promise<void> {
  await sql`DECLARE qt_crl_entries NO SCROLL CURSOR FOR ${query}`.execute(trx);
  for (;;) {
    const { rows } = await sql<R>`FETCH ${sql.raw(String(FETCH))} FROM qt_crl_entries`.execute(trx);
    for (const row of rows) onRow(row);
    await afterBatch();
    if (rows.length < FETCH) break;
  }
  await sql`CLOSE qt_crl_entries`.execute(trx);
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}

function sha256Hex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}
