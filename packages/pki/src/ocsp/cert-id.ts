/**
 * OCSP CertID (RFC 6960 §4.1.1): which certificate a request or response speaks about, named by hashes of
 * its issuer's name and key plus its serial. The responder pre-computes a CA's hashes once (IssuerHashes)
 * and matches every incoming certID against them without touching the CA certificate again.
 */
import { OctetString } from '@peculiar/asn1-schema';
import { CertID } from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { bytesEqual, fromHex, toArrayBuffer, type Bytes } from '../encoding.ts';
import { digest, hashOids, type HashName } from '../crypto/index.ts';
import { readCertificateMemo, type CertificateFacts, type CertificateInput } from '../path/certificate.ts';
import { serialHexOf } from '../der/read.ts';
import { integerFromMagnitude } from '../der/write.ts';

export interface OcspCertId {
  /** Digest algorithm OID of the two hashes. */
  hashAlgorithm: string;
  issuerNameHash: Bytes;
  issuerKeyHash: Bytes;
  /** Upper-case hex without leading zero bytes, as everywhere else in the package. */
  serial: string;
}

/** A CA's issuerNameHash/issuerKeyHash per digest. */
export type IssuerHashes = Readonly<Partial<Record<HashName, { nameHash: Bytes; keyHash: Bytes }>>>;

/** Hashes of the CA's subject DN (exact DER) and of its subjectPublicKey bits, for SHA-1 and SHA-256 by default. */
export function computeIssuerHashes(
  issuer: CertificateInput | CertificateFacts,
  hashes: readonly HashName[] = ['SHA-1', 'SHA-256'],
): Promise<IssuerHashes> {
  let ca: CertificateFacts;
  try {
    ca = isFacts(issuer) ? issuer : readCertificateMemo(issuer);
  } catch (e) {
    return Promise.reject(e);
  }
  // A verification asks for the same CA's hashes three times (request, response, revocation check), and every
  // verification asks for the same few CAs: remembered per facts object, which is never mutated and which the
  // certificate memo hands out for equal bytes only — so the hashes are always of these very bytes.
  const key = hashes.join(',');
  let byHashes = issuerHashes.get(ca);
  if (!byHashes) issuerHashes.set(ca, (byHashes = new Map()));
  let known = byHashes.get(key);
  if (!known) {
    known = hashesOf(ca, hashes);
    byHashes.set(key, known);
    known.catch(() => byHashes.delete(key));
  }
  return known;
}

const issuerHashes = new WeakMap<CertificateFacts, Map<string, Promise<IssuerHashes>>>();

async function hashesOf(ca: CertificateFacts, hashes: readonly HashName[]): Promise<IssuerHashes> {
  const out: Partial<Record<HashName, { nameHash: Bytes; keyHash: Bytes }>> = {};
  for (const hash of hashes) {
    out[hash] = { nameHash: await digest(hash, ca.subjectDer), keyHash: await digest(hash, ca.publicKeyBits) };
  }
  return out;
}

/** Does this certID name a certificate of the CA these hashes were computed for? */
export function certIdIsFor(certId: OcspCertId, hashes: IssuerHashes): boolean {
  const hash = (Object.keys(hashOids) as HashName[]).find((h) => hashOids[h] === certId.hashAlgorithm);
  const expected = hash ? hashes[hash] : undefined;
  return !!expected && bytesEqual(expected.nameHash, certId.issuerNameHash) && bytesEqual(expected.keyHash, certId.issuerKeyHash);
}

/** The certID for a serial of this CA (what the responder pre-signs a response for). */
export function makeCertId(hashes: IssuerHashes, serial: string, hash: HashName = 'SHA-1'): OcspCertId {
  const h = hashes[hash];
  if (!h) throw new QtError('QT_ERR_INPUT_INVALID', `The issuer hashes were not computed for ${hash}`);
  return { hashAlgorithm: hashOids[hash], issuerNameHash: h.nameHash, issuerKeyHash: h.keyHash, serial: normalizeSerial(serial) };
}

export function certIdsEqual(a: OcspCertId, b: OcspCertId): boolean {
  return (
    a.hashAlgorithm === b.hashAlgorithm &&
    a.serial === b.serial &&
    bytesEqual(a.issuerNameHash, b.issuerNameHash) &&
    bytesEqual(a.issuerKeyHash, b.issuerKeyHash)
  );
}

/** "00:4a:…", "4A…" → the package's serial spelling. */
export function normalizeSerial(serial: string): string {
  const clean = serial.replace(/[\s:]/g, '');
  const bytes = fromHex(clean.length % 2 ? `0${clean}` : clean);
  return serialHexOf(bytes, 0, bytes.length);
}

export function toAsnCertId(id: OcspCertId): CertID {
  const serialDer = integerFromMagnitude(fromHex(id.serial));
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: id.hashAlgorithm, parameters: null }),
    issuerNameHash: new OctetString(toArrayBuffer(id.issuerNameHash)),
    issuerKeyHash: new OctetString(toArrayBuffer(id.issuerKeyHash)),
    serialNumber: toArrayBuffer(serialDer.subarray(2)),
  });
}

export function fromAsnCertId(id: CertID): OcspCertId {
  const serial = new Uint8Array(id.serialNumber);
  return {
    hashAlgorithm: id.hashAlgorithm.algorithm,
    issuerNameHash: new Uint8Array(id.issuerNameHash.buffer),
    issuerKeyHash: new Uint8Array(id.issuerKeyHash.buffer),
    serial: serialHexOf(serial, 0, serial.length),
  };
}

function isFacts(x: CertificateInput | CertificateFacts): x is CertificateFacts {
  return typeof x === 'object' && 'subjectDer' in x;
}
