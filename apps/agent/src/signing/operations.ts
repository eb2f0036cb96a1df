/** The signing work itself, done after the user confirmed, with the key they picked. */
import { signCms, toBase64, toPem } from '@qoltanba/pki';
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
}

export async function signCmsWith(key: UsableKey, work: CmsWork): Promise<Uint8Array> {
  const der = await signCms({
    content: work.content,
    signer: key.signer,
    certificate: key.certificate,
    detached: work.detached,
    digested: work.digested,
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
