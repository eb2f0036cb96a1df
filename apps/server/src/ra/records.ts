/** Certificates as the RA hands them out: one record shape for the API, the portal and the CLI. */
import { type Kysely } from 'kysely';
import { crlReasonFromCode, parseIin, toPem, QtError, type CrlReason } from '@qoltanba/pki';
import type { CertificateKind, CertificateStatus, Database, KeyStorage } from '../store/schema.ts';
import type { Ra } from './ra.ts';
import { displaySerial, normalizeSerial } from './serial.ts';
import { withStore } from './db-errors.ts';

export interface CertificateRecord {
  /** Database id (decimal string). */
  id: string;
  /** Name of the issuing CA (as in /crl/<ca>.crl). */
  ca: string;
  /** The display spelling (pki formatSerial): upper-case hex of the certificate's serial bytes, e.g. "0CF283BC…". */
  serial: string;
  kind: CertificateKind;
  profile: string;
  /** The subject DN as displayed (RFC 4514 order as issued). */
  subject: string;
  iin: string | null;
  bin: string | null;
  status: CertificateStatus;
  /** RFC 5280 reason name when revoked ('certificateHold' when on hold). */
  revocationReason: CrlReason | null;
  revokedAt: Date | null;
  invalidityDate: Date | null;
  notBefore: Date;
  notAfter: Date;
  storage: KeyStorage;
  applicationId: string | null;
  issuedAt: Date;
  der: Buffer;
  pem: string;
}

const columns = [
  'c.id', 'ca.name as ca_name', 'c.serial', 'c.kind', 'c.profile', 'c.subject_dn', 'c.subject_iin', 'c.subject_bin', 'c.status',
  'c.revocation_reason', 'c.revoked_at', 'c.invalidity_date', 'c.not_before', 'c.not_after', 'c.storage', 'c.application_id',
  'c.issued_at', 'c.der',
] as const;

/** certificates joined with their CA's name, ready for toRecord. */
export function selectCertificates(db: Kysely<Database>) {
  return db.selectFrom('certificates as c').innerJoin('cas as ca', 'ca.id', 'c.ca_id').select(columns);
}

type Row = Awaited<ReturnType<ReturnType<typeof selectCertificates>['executeTakeFirstOrThrow']>>;

export function toRecord(row: Row): CertificateRecord {
  return {
    id: row.id,
    ca: row.ca_name,
    serial: displaySerial(row.serial),
    kind: row.kind,
    profile: row.profile,
    subject: row.subject_dn,
    iin: row.subject_iin,
    bin: row.subject_bin,
    status: row.status,
    revocationReason: row.revocation_reason === null ? null : (crlReasonFromCode(row.revocation_reason) ?? null),
    revokedAt: row.revoked_at,
    invalidityDate: row.invalidity_date,
    notBefore: row.not_before,
    notAfter: row.not_after,
    storage: row.storage,
    applicationId: row.application_id,
    issuedAt: row.issued_at,
    der: row.der,
    pem: toPem('CERTIFICATE', row.der),
  };
}

export async function findCertificate(db: Kysely<Database>, caName: string, serialText: string): Promise<CertificateRecord> {
  const serial = normalizeSerial(serialText);
  const row = await selectCertificates(db).where('ca.name', '=', caName).where('c.serial', '=', serial).executeTakeFirst();
  if (!row) {
    const ca = await db.selectFrom('cas').select('id').where('name', '=', caName).executeTakeFirst();
    if (!ca) throw new QtError('QT_ERR_CA_NOT_FOUND', `There is no CA named "${caName}"`, { ca: caName });
    throw new QtError('QT_ERR_CERT_NOT_FOUND', `CA "${caName}" issued no certificate with serial ${displaySerial(serial)}`, { ca: caName, serial: displaySerial(serial) });
  }
  return toRecord(row);
}

/** A certificate's current status and content. */
export async function certificateStatus(ra: Ra, caName: string, serial: string): Promise<CertificateRecord> {
  return withStore('a certificate lookup', () => findCertificate(ra.ctx.store.db, caName, serial));
}

/** Every certificate issued to this person (newest expiry first): the portal's "My EDS keys". */
export async function listBySubject(ra: Ra, iin: string, options: { limit?: number } = {}): Promise<CertificateRecord[]> {
  parseIin(iin, { testMode: ra.testMode });
  const limit = Math.min(Math.max(options.limit ?? 200, 1), 1000);
  return withStore('a certificate listing', async () => {
    const rows = await selectCertificates(ra.ctx.store.db)
      .where('c.subject_iin', '=', iin)
      .orderBy('c.not_after', 'desc')
      .orderBy('c.id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  });
}
