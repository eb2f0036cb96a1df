/**
 * A public key is certified for one person only, and never again once it was revoked as compromised.
 * Both are decided on spki_sha256 under a transaction lock on the key, so two requests carrying the same
 * key for two people cannot both pass the check before either has stored its certificate.
 */
import { sql, type Kysely } from 'kysely';
import { QtError } from '@qoltanba/pki';
import type { Database } from '../store/schema.ts';

const KEY_LOCK_CLASS = 0x51544b52; // "QTKR"; the two-int advisory lock space is separate from single-bigint keys
const KEY_COMPROMISE = 1;

/** Serialises work on one public key until the transaction ends. */
export async function lockPublicKey(trx: Kysely<Database>, spkiSha256: Buffer): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${KEY_LOCK_CLASS}::int4, ${spkiSha256.readInt32BE(0)}::int4)`.execute(trx);
}

export async function checkKeyReuse(trx: Kysely<Database>, spkiSha256: Buffer, iin: string): Promise<void> {
  await lockPublicKey(trx, spkiSha256);
  const clash = await trx
    .selectFrom('certificates as c')
    .innerJoin('cas as ca', 'ca.id', 'c.ca_id')
    .select(['ca.name as ca', 'c.serial', 'c.subject_iin', 'c.revocation_reason'])
    .where('c.spki_sha256', '=', spkiSha256)
    .where((eb) => eb.or([eb('c.subject_iin', 'is distinct from', iin), eb('c.revocation_reason', '=', KEY_COMPROMISE)]))
    .orderBy(sql`coalesce(c.revocation_reason = ${KEY_COMPROMISE}, false)`, 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!clash) return;
  if (clash.revocation_reason === KEY_COMPROMISE) {
    throw new QtError('QT_ERR_KEY_COMPROMISED', undefined, { ca: clash.ca, serial: clash.serial });
  }
  // The other person's IIN is not ours to disclose.
  throw new QtError('QT_ERR_KEY_REUSED');
}
