/**
 * Says what a to-be-signed structure is, so a signer can refuse to sign anything but the kinds it is
 * allowed to (a CA key signs certificates, CRLs and OCSP responses, and nothing else). Reads only the top
 * level of the structure, so a million-entry TBSCertList costs a handful of header reads.
 */
import { QtError } from '@qoltanba/errors';
import type { Bytes } from '../encoding.ts';
import { TAG, assertWellFormedValues, childrenOf, contextTag, elementOf, readOid, readWhole, type Tlv } from '../der/read.ts';

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
const BASIC_CONSTRAINTS = '2.5.29.19';

function shapeError(what: string): Error {
  return new Error(`${what} does not have the shape RFC 5280 gives it`);
}

/**
 * Whether a TBSCertificate says basicConstraints cA=TRUE, read with the DER reader instead of
 * @peculiar/asn1-schema: the tree parse cost ≈ 1 ms of CPU per certificate signed, as much as a fifth of the
 * CA signature itself. The structure is still checked as the tree parser checked it — every value well formed
 * (assertWellFormedValues), the fields of TBSCertificate in order with their types, each Extension
 * SEQUENCE { OID, [BOOLEAN], OCTET STRING } and BasicConstraints SEQUENCE { [BOOLEAN], [INTEGER] } — so a
 * structure the parser refused is still refused.
 */
function readCertificateCa(buf: Bytes, top: Tlv[]): boolean {
  for (const t of top) assertWellFormedValues(buf, t);
  const [version, , algorithm, issuer, validity, subject, spki, ...rest] = top;
  if (validity?.tag !== TAG.sequence || subject?.tag !== TAG.sequence || spki?.tag !== TAG.sequence) throw shapeError('TBSCertificate');
  const v = childrenOf(buf, version!);
  if (v.length !== 1 || v[0]!.tag !== TAG.integer) throw shapeError('Version');
  const alg = childrenOf(buf, algorithm!);
  if (alg.length < 1 || alg.length > 2 || alg[0]!.tag !== TAG.oid) throw shapeError('AlgorithmIdentifier');
  for (const name of [issuer!, subject]) {
    // Name: SEQUENCE OF SET OF AttributeTypeAndValue SEQUENCE { type OID, value ANY }.
    for (const rdn of childrenOf(buf, name)) {
      if (rdn.tag !== TAG.set) throw shapeError('Name');
      for (const atv of childrenOf(buf, rdn)) {
        const pair = atv.tag === TAG.sequence ? childrenOf(buf, atv) : [];
        if (pair.length !== 2 || pair[0]!.tag !== TAG.oid) throw shapeError('Name');
      }
    }
  }
  const times = childrenOf(buf, validity);
  if (times.length !== 2 || !times.every((t) => TIME_TAGS.has(t.tag))) throw shapeError('Validity');
  const key = childrenOf(buf, spki);
  if (key.length !== 2 || key[0]!.tag !== TAG.sequence || key[1]!.tag !== TAG.bitString) throw shapeError('SubjectPublicKeyInfo');
  // issuerUniqueID [1], subjectUniqueID [2] (IMPLICIT BIT STRING), extensions [3]: each at most once, in order.
  let last = 0;
  let extensions: Tlv | undefined;
  for (const t of rest) {
    const n = t.tag & 0x1f;
    const unique = (n === 1 || n === 2) && (t.tag === contextTag(n, false) || t.tag === contextTag(n, true));
    if ((!unique && t.tag !== contextTag(3, true)) || n <= last) throw shapeError('TBSCertificate');
    last = n;
    if (n === 3) extensions = t;
  }
  if (!extensions) return false;
  const [list, ...extra] = childrenOf(buf, extensions);
  if (!list || extra.length > 0 || list.tag !== TAG.sequence) throw shapeError('Extensions');
  let bc: Tlv | undefined;
  for (const ext of childrenOf(buf, list)) {
    if (ext.tag !== TAG.sequence) throw shapeError('Extension');
    const parts = childrenOf(buf, ext);
    const [id, second, third] = parts;
    const hasCritical = second?.tag === TAG.boolean;
    const value = hasCritical ? third : second;
    if (id?.tag !== TAG.oid || value?.tag !== TAG.octetString || parts.length !== (hasCritical ? 3 : 2)) throw shapeError('Extension');
    // The first basicConstraints counts, as it did when the parsed extension list was searched with find().
    if (!bc && readOid(buf, id) === BASIC_CONSTRAINTS) bc = value;
  }
  if (!bc) return false;
  const seq = readWhole(buf.subarray(bc.contentStart, bc.end), TAG.sequence, 'BasicConstraints');
  const value = buf.subarray(bc.contentStart, bc.end);
  assertWellFormedValues(value, seq);
  const fields = childrenOf(value, seq);
  const [first, second] = fields;
  const cA = first?.tag === TAG.boolean ? first : undefined;
  const pathLen = cA ? second : first;
  if (fields.length > (cA ? 1 : 0) + (pathLen ? 1 : 0) || (pathLen && pathLen.tag !== TAG.integer)) throw shapeError('BasicConstraints');
  return cA !== undefined && value[cA.contentStart] !== 0;
}

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
    let isCa: boolean;
    try {
      isCa = readCertificateCa(buf, top);
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
