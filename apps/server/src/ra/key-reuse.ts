/**
 * A public key is certified for one person only, and never again once it was revoked as compromised.
 * Both are decided on spki_sha256 under a transaction lock on the key, so two requests carrying the same
 * key for two people cannot both pass the check before either has stored its certificate.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { QtError } from '@qoltanba/pki';
import type { Database } from '../store/schema.ts';

const KEY_LOCK_CLASS = 0x51544b52; // "QTKR"; the two-int advisory lock space is separate from single-bigint keys
const KEY_COMPROMISE = 1;

/** Serialises work on one public key until the transaction ends. */
export async function lockPublicKey(trx: Kysely<Database>, spkiSha256: Buffer): Promise<void> {
  await sql`SELECT ${publicKeyLock(spkiSha256)}`.execute(trx);
}

/** The lock as an expression, for a statement that takes it beside other work (issuance's idempotency claim). */
export function publicKeyLock(spkiSha256: Buffer): RawBuilder<unknown> {
  return publicKeyLockOn(sql<number>`${publicKeyLockKey(spkiSha256)}::int4`);
}

/** Which lock of the key space a public key takes (a batch passes these as an array: ra/batch.ts). */
export function publicKeyLockKey(spkiSha256: Buffer): number {
  return spkiSha256.readInt32BE(0);
}

/** The lock on the key whose publicKeyLockKey `key` names (a column or parameter of the caller's statement). */
export function publicKeyLockOn(key: RawBuilder<number>): RawBuilder<unknown> {
  return sql`pg_advisory_xact_lock(${KEY_LOCK_CLASS}::int4, ${key})`;
}

export async function checkKeyReuse(trx: Kysely<Database>, spkiSha256: Buffer, iin: string): Promise<void> {
  await lockPublicKey(trx, spkiSha256);
  refuseKeyClash(await keyClash(trx, spkiSha256, iin).executeTakeFirst());
}

/**
 * The certificate that forbids certifying this key for `iin` (another person's, or one revoked as compromised),
 * if any. Read it after the key's lock was taken, in a later statement (a statement's snapshot predates its locks).
 * Key and IIN may be columns of the caller's query (ra/batch.ts joins it laterally to a batch's requests).
 */
export function keyClash(db: Kysely<Database>, spkiSha256: Buffer | RawBuilder<Buffer>, iin: string | RawBuilder<string>) {
  return db
    .selectFrom('certificates as kc')
    .innerJoin('cas as kca', 'kca.id', 'kc.ca_id')
    .select(['kca.name as clash_ca', 'kc.serial as clash_serial', 'kc.subject_iin as clash_iin', 'kc.revocation_reason as clash_reason'])
    .where('kc.spki_sha256', '=', spkiSha256)
    .where((eb) => eb.or([eb('kc.subject_iin', 'is distinct from', iin), eb('kc.revocation_reason', '=', KEY_COMPROMISE)]))
    .orderBy(sql`coalesce(kc.revocation_reason = ${KEY_COMPROMISE}, false)`, 'desc')
    .limit(1);
}

export function refuseKeyClash(clash: { clash_ca: string | null; clash_serial: string | null; clash_reason: number | null } | undefined): void {
  if (!clash || clash.clash_serial === null) return;
  if (clash.clash_reason === KEY_COMPROMISE) {
    throw new QtError('QT_ERR_KEY_COMPROMISED', undefined, { ca: clash.clash_ca, serial: clash.clash_serial });
  }
  // The other person's IIN is not ours to disclose.
  throw new QtError('QT_ERR_KEY_REUSED');
}
