/** The signing work itself, done after the user confirmed, with the key they picked. */
import { createHash } from 'node:crypto';
import { digestOidForSignature, oid, signCms, toBase64, toPem } from '@qoltanba/pki';
import type { UsableKey } from '../keystores/types.ts';
import type { TimeStamper } from '../tsa/client.ts';

export interface CmsWork {
  content: Uint8Array;
  /** Leave the content out (NCALayer attached=false / encapsulate=false). */
  detached: boolean;
  /** `content` is a hash; the CMS is then detached. */
  digested: boolean;
  signingTime: Date;
  /** Add a signature time-stamp from this TSA (CAdES-T), as NCALayer's createCMSSignature… and tsaProfile do. */
  timeStamp?: TimeStamper;
  /** The content's SHA-256, computed while the person was being asked (see prehash). */
  sha256?: Uint8Array;
}

/**
 * A detached signature needs only the content's digest: it is computed while the person reads the page (a
 * 10 MB document's hash is then no longer on the path from "Sign" to the reply), and used when the key signs
 * with SHA-256 — a GOST key hashes the content itself.
 */
export function prehash(content: Uint8Array, detached: boolean): Uint8Array | undefined {
  return detached ? new Uint8Array(createHash('sha256').update(content).digest()) : undefined;
}

export async function signCmsWith(key: UsableKey, work: CmsWork): Promise<Uint8Array> {
  const useDigest = work.detached && !work.digested && work.sha256 !== undefined && digestOidForSignature(key.signer.algorithm.oid, key.signer.algorithm.parameters) === oid.sha256;
  const der = await signCms({
    content: useDigest ? (work.sha256 as Uint8Array) : work.content,
    signer: key.signer,
    certificate: key.certificate,
    detached: work.detached,
    digested: useDigest || work.digested,
    signingTime: work.signingTime,
  });
  return work.timeStamp ? work.timeStamp.stamp(der, [0]) : der;
}

/** commonUtils.getKeyInfo's responseObject, field by field as NCALayer sends it (dates in epoch milliseconds). */
export function keyInfoOf(key: UsableKey): Record<string, string> {
  const d = key.description;
  return {
    alias: key.alias,
    keyId: d.subjectKeyId ?? '',
    algorithm: d.keyAlgorithm,
    subjectCn: d.subjectCn,
    subjectDn: d.subjectDn,
    issuerCn: d.issuerCn,
    issuerDn: d.issuerDn,
    serialNumber: d.serialNumber,
    certNotAfter: String(d.notAfter.getTime()),
    certNotBefore: String(d.notBefore.getTime()),
    authorityKeyIdentifier: d.authorityKeyId ?? '',
    pem: toPem('CERTIFICATE', key.certificate),
  };
}

export { toBase64 };
