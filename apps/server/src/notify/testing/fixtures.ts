/**
 * Rows for notifier tests and the benchmark: people with valid IINs, a CA, certificates with chosen expiry,
 * kind and status — written straight into the tables the scan reads (the issuance path is tested elsewhere;
 * here only not_after, kind, status and the IIN matter).
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { buildIin } from '@qoltanba/pki';
import type { Database } from '../../store/schema.ts';

export const DAY_MS = 86_400_000;

/** `count` distinct valid IINs, deterministic for a given `seed` (0–99). */
export function testIins(count: number, seed = 0): string[] {
  const out: string[] = [];
  for (let n = 0; out.length < count; n++) {
    const day = 1 + (n % 28);
    const month = 1 + (Math.floor(n / 28) % 12);
    const number = seed * 100 + Math.floor(n / 336);
    try {
      out.push(buildIin({ birthDate: `1985-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`, sex: n % 2 ? 'male' : 'female', number }));
    } catch {
      // no valid check digit for this one: take the next
    }
  }
  return out;
}

export async function insertCa(db: Kysely<Database>, name = `ca-${randomBytes(3).toString('hex')}`): Promise<number> {
  const { id } = await db
    .insertInto('cas')
    .values({
      name,
      kind: 'root', // a root needs no parent; the scan never looks at the CA
      subject_dn: `CN=${name}`,
      certificate: randomBytes(64),
      subject_key_id: randomBytes(20),
      key_uri: `soft:${name}`,
      not_before: new Date(Date.now() - 400 * DAY_MS),
      not_after: new Date(Date.now() + 3650 * DAY_MS),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export interface PersonOptions {
  email?: string | null;
  surname?: string;
  givenName?: string;
}

export async function insertPerson(db: Kysely<Database>, iin: string, o: PersonOptions = {}): Promise<void> {
  await db
    .insertInto('subjects')
    .values({ iin, surname: o.surname ?? 'ASANOV', given_name: o.givenName ?? 'ASAN', email: o.email ?? null })
    .onConflict((oc) => oc.column('iin').doNothing())
    .execute();
}

export interface CertificateOptions {
  iin: string;
  kind: 'AUTH' | 'SIGN';
  notAfter: Date;
  status?: 'good' | 'revoked' | 'on_hold';
  bin?: string;
}

export async function insertCertificate(db: Kysely<Database>, caId: number, o: CertificateOptions): Promise<string> {
  const revoked = o.status && o.status !== 'good';
  const { id } = await db
    .insertInto('certificates')
    .values({
      ca_id: caId,
      serial: '1' + randomBytes(9).toString('hex'),
      der: randomBytes(16),
      kind: o.kind,
      profile: o.kind === 'AUTH' ? 'individual-auth' : 'individual-sign',
      subject_iin: o.iin,
      subject_bin: o.bin ?? null,
      subject_dn: `CN=ASANOV ASAN, SERIALNUMBER=IIN${o.iin}`,
      spki_sha256: randomBytes(32),
      not_before: new Date(o.notAfter.getTime() - 365 * DAY_MS),
      not_after: o.notAfter,
      storage: 'file',
      status: o.status ?? 'good',
      revocation_reason: revoked ? (o.status === 'on_hold' ? 6 : 0) : null,
      revoked_at: revoked ? new Date() : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** A person's AUTH + SIGN pair, issued together (same expiry), as the RA issues them. */
export async function insertPair(db: Kysely<Database>, caId: number, iin: string, notAfter: Date): Promise<{ auth: string; sign: string }> {
  return {
    auth: await insertCertificate(db, caId, { iin, kind: 'AUTH', notAfter }),
    sign: await insertCertificate(db, caId, { iin, kind: 'SIGN', notAfter }),
  };
}

/** Many people at once, each with an AUTH + SIGN pair expiring at `notAfter` and a verified registry number. */
export async function insertPeopleInBulk(db: Kysely<Database>, caId: number, people: ReadonlyArray<{ iin: string; phone: string }>, notAfter: Date): Promise<void> {
  for (let i = 0; i < people.length; i += 500) {
    const chunk = people.slice(i, i + 500);
    await db.insertInto('subjects').values(chunk.map((p) => ({ iin: p.iin, surname: 'ASANOV', given_name: 'ASAN' }))).execute();
    await db
      .insertInto('certificates')
      .values(
        chunk.flatMap((p) =>
          (['AUTH', 'SIGN'] as const).map((kind) => ({
            ca_id: caId,
            serial: '1' + randomBytes(9).toString('hex'),
            der: randomBytes(16),
            kind,
            profile: kind === 'AUTH' ? 'individual-auth' : 'individual-sign',
            subject_iin: p.iin,
            subject_dn: `CN=ASANOV ASAN, SERIALNUMBER=IIN${p.iin}`,
            spki_sha256: randomBytes(32),
            not_before: new Date(notAfter.getTime() - 365 * DAY_MS),
            not_after: notAfter,
            storage: 'file' as const,
          })),
        ),
      )
      .execute();
    await db
      .insertInto('mobile_registry')
      .values(chunk.map((p) => ({ iin: p.iin, phone: p.phone, verified: true, source: 'bulk', import_id: '00000000-0000-4000-8000-0000000000b1' })))
      .execute();
  }
}
