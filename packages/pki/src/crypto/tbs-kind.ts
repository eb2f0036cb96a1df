/**
 * Says what a to-be-signed structure is, so a signer can refuse to sign anything but the kinds it is
 * allowed to (a CA key signs certificates, CRLs and OCSP responses, and nothing else). Reads only the top
 * level of the structure, so a million-entry TBSCertList costs a handful of header reads.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, TBSCertificate, id_ce_basicConstraints } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { toArrayBuffer, type Bytes } from '../encoding.ts';
import { TAG, childrenOf, contextTag, elementOf, readOid, readWhole } from '../der/read.ts';

export type TbsKind = 'certificate' | 'crl' | 'ocsp';

export interface TbsDescription {
  kind: TbsKind;
  /** The signature algorithm the structure declares (certificates and CRLs; OCSP declares it outside). */
  signatureAlgorithm?: string;
  /** DER issuer Name (certificates and CRLs). */
  issuer?: Bytes;
  /** basicConstraints cA=TRUE (certificates). */
  isCa?: boolean;
}

const TIME_TAGS: ReadonlySet<number> = new Set([TAG.utcTime, TAG.generalizedTime]);

export function describeTbs(data: Uint8Array): TbsDescription {
  const buf = data as Bytes;
  let top;
  try {
    top = childrenOf(buf, readWhole(buf, TAG.sequence, 'to-be-signed structure'));
  } catch (e) {
    throw new QtError('QT_ERR_SIGNING_REFUSED', `Refusing to sign: the data is not a DER structure (${(e as Error).message})`);
  }
  const [a, b, c, d] = top;
  // TBSCertificate: [0] version, serial INTEGER, signature AlgorithmIdentifier, issuer Name, validity …
  if (a?.tag === contextTag(0, true) && b?.tag === TAG.integer && c?.tag === TAG.sequence && d?.tag === TAG.sequence) {
    const signatureAlgorithm = readOid(buf, childrenOf(buf, c)[0]!);
    let isCa = false;
    try {
      const tbs = AsnConvert.parse(toArrayBuffer(buf), TBSCertificate);
      const bc = tbs.extensions?.find((x) => x.extnID === id_ce_basicConstraints);
      isCa = bc ? AsnConvert.parse(bc.extnValue, BasicConstraints).cA : false;
    } catch (e) {
      throw new QtError('QT_ERR_SIGNING_REFUSED', `Refusing to sign: malformed TBSCertificate (${(e as Error).message})`);
    }
    return { kind: 'certificate', signatureAlgorithm, issuer: elementOf(buf, d), isCa };
  }
  // TBSCertList: [version INTEGER] signature AlgorithmIdentifier, issuer Name, thisUpdate Time …
  const crlStart = a?.tag === TAG.integer ? 1 : 0;
  const [alg, issuer, thisUpdate] = top.slice(crlStart);
  if (alg?.tag === TAG.sequence && issuer?.tag === TAG.sequence && thisUpdate && TIME_TAGS.has(thisUpdate.tag)) {
    return { kind: 'crl', signatureAlgorithm: readOid(buf, childrenOf(buf, alg)[0]!), issuer: elementOf(buf, issuer) };
  }
  // ResponseData: [[0] version] responderID ([1] byName | [2] byKey), producedAt GeneralizedTime, responses …
  const ocspStart = a?.tag === contextTag(0, true) ? 1 : 0;
  const [responder, producedAt, responses] = top.slice(ocspStart);
  if (
    (responder?.tag === contextTag(1, true) || responder?.tag === contextTag(2, true)) &&
    producedAt?.tag === TAG.generalizedTime &&
    responses?.tag === TAG.sequence
  ) {
    return { kind: 'ocsp' };
  }
  throw new QtError('QT_ERR_SIGNING_REFUSED', 'Refusing to sign: the data is not a certificate, CRL or OCSP response');
}
