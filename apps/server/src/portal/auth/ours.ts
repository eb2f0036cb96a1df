/**
 * Accepting a signer's certificate on our own record (verify-signature.ts): the portal only ever accepts
 * certificates WE issued, so once the full procedure (chain to our root, our OCSP answer, our record) has
 * accepted the CA part of a chain for a purpose, a later signer under the same issuing CA is judged by the
 * one thing the full procedure ends on anyway — our record of its certificate — plus what the chain adds for
 * the leaf (validity, key usages). Every check here only ACCEPTS; whatever it does not accept goes the full
 * way, so a refusal's code never depends on this file.
 */
import { oid, type CertificateInfo, type ChainElement } from '@qoltanba/pki';
import { sql, type Kysely } from 'kysely';
import { selectCertificates, toRecord, type CertificateRecord } from '../../ra/records.ts';
import { normalizeSerial } from '../../ra/serial.ts';
import type { Database } from '../../store/schema.ts';

/** The CA part of a chain the full procedure accepted for one purpose, and what it was judged with. */
export interface CaPart {
  /** The issuing CA's certificate the chain went through (the one `cas` holds). */
  issuerCertificate: Uint8Array;
  /** Our roots, whose newest full CRLs were the revocation evidence for the issuing CA. */
  roots: number[];
  /** Which CRLs those were (rootCrlsTag); a newer one of any root sends the next signer the full way. */
  rootCrls: string;
  /** Where every CA certificate of the chain is valid. */
  validFrom: number;
  validTo: number;
}

/** The roots' newest full CRL numbers in one canonical string (the SQL below spells it the same way). */
export function rootCrlsTag(newest: readonly { caId: number; number: string }[]): string {
  return [...newest].sort((a, b) => a.caId - b.caId).map((n) => `${n.caId}:${n.number}`).join(',');
}

/**
 * What an accepted full verification tells about its CA part, or undefined when the chain is not the plain
 * one (leaf, this issuing CA, a root) this shortcut is for.
 */
export function caPartOf(chain: readonly ChainElement[], issuer: { certificate: Uint8Array }, cas: readonly { id: number; kind: string }[], rootCrls: string): CaPart | undefined {
  const above = chain.slice(1);
  if (above.length !== 2 || !above[1]!.trustAnchor || !Buffer.from(above[0]!.certificate).equals(Buffer.from(issuer.certificate))) return undefined;
  return {
    issuerCertificate: issuer.certificate,
    roots: cas.filter((c) => c.kind === 'root').map((c) => c.id),
    rootCrls,
    validFrom: Math.max(...above.map((e) => e.notBefore.getTime())),
    validTo: Math.min(...above.map((e) => e.notAfter.getTime())),
  };
}

/** Our record of (issuing CA, serial) and the roots' newest full CRLs, in one statement. */
export async function ourRecordWithRootCrls(db: Kysely<Database>, issuerId: number, roots: readonly number[], serialHex: string): Promise<{ record: CertificateRecord; rootCrls: string } | undefined> {
  const row = await selectCertificates(db)
    .select(
      sql<string | null>`(SELECT string_agg(n.ca_id::text || ':' || n.crl_number::text, ',' ORDER BY n.ca_id)
        FROM (SELECT ca_id, max(crl_number) AS crl_number FROM crls WHERE ca_id = ANY(${[...roots]}::int[]) AND kind = 'full' GROUP BY ca_id) n)`.as('root_crls'),
    )
    .where('c.ca_id', '=', issuerId)
    .where('c.serial', '=', normalizeSerial(serialHex))
    .executeTakeFirst();
  return row ? { record: toRecord(row), rootCrls: row.root_crls ?? '' } : undefined;
}

const purposeEku = { clientAuth: oid.ekuClientAuth, emailProtection: oid.ekuEmailProtection } as const;
/** As the full procedure's purpose check reads them (pki path/checks.ts). */
const purposeKeyUsage = { clientAuth: ['digitalSignature', 'keyAgreement'], emailProtection: ['digitalSignature', 'nonRepudiation'] } as const;

export interface OnRecord {
  record: CertificateRecord;
  rootCrls: string;
  /** The signer's certificate from the CMS (its bytes are compared with the record's). */
  info: CertificateInfo;
  passed: CaPart;
  purpose: keyof typeof purposeEku;
  iin: string | undefined;
  now: Date;
}

/**
 * The signer is accepted on our record when every one of these holds; otherwise undefined (never a reason:
 * the full procedure finds and names it). Stricter than the full procedure where they differ: the EKU and
 * key usage extensions must be present, and only 'good' counts.
 */
export function acceptedOnRecord(o: OnRecord): { iin: string } | undefined {
  const { record, info, passed, now } = o;
  const t = now.getTime();
  const iin = info.kz.iin;
  const ok =
    Buffer.from(info.der).equals(record.der) &&
    record.status === 'good' &&
    record.notBefore.getTime() <= t && t <= record.notAfter.getTime() &&
    info.notBefore.getTime() <= t && t <= info.notAfter.getTime() &&
    passed.validFrom <= t && t <= passed.validTo &&
    o.rootCrls === passed.rootCrls &&
    !!iin && record.iin === iin && (o.iin === undefined || o.iin === iin) &&
    info.extKeyUsage.includes(purposeEku[o.purpose]) &&
    !!info.keyUsage && purposeKeyUsage[o.purpose].some((u) => info.keyUsage!.includes(u));
  return ok ? { iin } : undefined;
}
