/** Reading a PKCS#10 certificate request (RFC 2986) into plain facts, without judging it. */
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import type { Bytes } from '../encoding.ts';
import { childrenOf, elementOf, readOid, readWhole, TAG, type Tlv } from '../der/read.ts';
import { algorithmName, describePublicKey, type PublicKeyInfo } from '../crypto/index.ts';
import { decodeDn, formatDn } from '../names/index.ts';
import type { KeyUsageName } from '../profiles/index.ts';
import type { NameInfo } from '../certificate/index.ts';
import { readDer, type DerInput } from '../certificate/der-input.ts';
import { readExtensions, type ExtensionInfo } from '../certificate/extensions.ts';
import { readExtensionList, type RawExtension } from '../certificate/parse.ts';

export const MAX_CSR_BYTES = 64 * 1024;

export interface CsrInfo {
  der: Bytes;
  /** What the requester wrote; issuance never uses it (the RA supplies the subject). */
  subject: NameInfo;
  publicKey: PublicKeyInfo & { spki: Bytes };
  signatureAlgorithm: { oid: string; name: string; parameters: Bytes | undefined };
  /** Extensions asked for in the extensionRequest attribute (PKCS#9). */
  requestedExtensions: ExtensionInfo[];
  /** The requested extensions would make a CA certificate (basicConstraints cA, keyCertSign or cRLSign). */
  requestsCa: boolean;
  requestedKeyUsage: KeyUsageName[] | undefined;
  attributes: { oid: string; values: Bytes[] }[];
  /** The signed CertificationRequestInfo and its signature. */
  tbs: Bytes;
  signature: Bytes;
}

function malformed(message: string, cause?: unknown): QtError {
  return new QtError('QT_ERR_CSR_MALFORMED', `The certificate request is malformed: ${message}`, undefined, cause ? { cause } : undefined);
}

function fail(message: string): never {
  throw new QtError('QT_ERR_DER_MALFORMED', message);
}

function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) fail(t ? `the ${what} has the wrong type` : `the ${what} is missing`);
  return t;
}

function requestedExtensions(attributes: { oid: string; values: Bytes[] }[]): ReturnType<typeof readExtensions> {
  const requests = attributes.filter((a) => a.oid === oid.attrExtensionRequest);
  if (requests.length > 1 || (requests[0] && requests[0].values.length !== 1)) throw malformed('it has more than one extensionRequest');
  const value = requests[0]?.values[0];
  let list: RawExtension[] | undefined;
  try {
    list = value ? readExtensionList(value, readWhole(value, TAG.sequence, 'extensionRequest')) : undefined;
  } catch (e) {
    throw malformed(`its extensionRequest cannot be decoded (${(e as Error).message})`, e);
  }
  return readExtensions(list, 'QT_ERR_CSR_MALFORMED');
}

interface CsrStructure {
  version: number;
  tbs: Bytes;
  subject: Bytes;
  spki: Bytes;
  attributes: { oid: string; values: Bytes[] }[];
  algorithm: { oid: string; parameters: Bytes | undefined };
  signature: Bytes;
}

/**
 * CertificationRequest ::= SEQUENCE { CertificationRequestInfo SEQUENCE { version INTEGER, subject Name,
 * subjectPKInfo, attributes [0] IMPLICIT SET OF Attribute OPTIONAL }, signatureAlgorithm, signature BIT STRING },
 * walked with the DER reader (a tree parser costs a few hundred µs on every issuance).
 */
function structure(der: Bytes): CsrStructure {
  const [infoTlv, algTlv, sigTlv, extra] = childrenOf(der, readWhole(der, TAG.sequence, 'certificate request'));
  expect(infoTlv, TAG.sequence, 'request info');
  const [algOid, params, moreAlg] = childrenOf(der, expect(algTlv, TAG.sequence, 'signature algorithm'));
  expect(sigTlv, TAG.bitString, 'signature');
  if (extra) fail('there is more after the signature');
  if (moreAlg) fail('the signature algorithm has more than an OID and parameters');
  const [version, subject, spki, attrs, moreInfo] = childrenOf(der, infoTlv!);
  expect(version, TAG.integer, 'version');
  expect(subject, TAG.sequence, 'subject');
  expect(spki, TAG.sequence, 'subject public key info');
  if (attrs && attrs.tag !== 0xa0) fail('the attributes have the wrong type');
  if (moreInfo) fail('the request info has unexpected fields');
  const attributes = (attrs ? childrenOf(der, attrs) : []).map((a) => {
    const [type, values, more] = childrenOf(der, expect(a, TAG.sequence, 'attribute'));
    if (more) fail('an attribute has more than a type and values');
    return { oid: readOid(der, expect(type, TAG.oid, 'attribute type')), values: childrenOf(der, expect(values, TAG.set, 'attribute values')).map((v) => elementOf(der, v).slice()) };
  });
  const sig = sigTlv!;
  if (sig.end === sig.contentStart || (der[sig.contentStart] as number) > 7) fail('the signature is not a BIT STRING value');
  const v = version!;
  return {
    // Only 0 (v1) is meaningful; a long or negative INTEGER is reported as what it is not.
    version: v.end - v.contentStart === 1 && !((der[v.contentStart] as number) & 0x80) ? (der[v.contentStart] as number) : -1,
    tbs: elementOf(der, infoTlv!).slice(),
    subject: elementOf(der, subject!).slice(),
    spki: elementOf(der, spki!).slice(),
    attributes,
    // NULL parameters read as none, as @peculiar/asn1-x509 has always reported them.
    algorithm: { oid: readOid(der, expect(algOid, TAG.oid, 'signature algorithm')), parameters: params && !(params.tag === TAG.null && params.end === params.contentStart) ? elementOf(der, params).slice() : undefined },
    signature: der.slice(sig.contentStart + 1, sig.end),
  };
}

/** Reads a CSR (DER, PEM or base64). Anything that is not one is QT_ERR_CSR_MALFORMED. */
export function parseCsr(input: DerInput): CsrInfo {
  const der = readDer(input, {
    code: 'QT_ERR_CSR_MALFORMED',
    what: 'certificate request',
    pemLabels: ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'],
    maxBytes: MAX_CSR_BYTES,
  });
  let csr: CsrStructure;
  try {
    csr = structure(der);
  } catch (e) {
    throw malformed((e as Error).message, e);
  }
  if (csr.version !== 0) throw malformed(`version ${csr.version === -1 ? 'other than 1' : csr.version + 1} is not PKCS#10 version 1`);
  let subject: NameInfo;
  let publicKey: PublicKeyInfo;
  try {
    const dn = decodeDn(csr.subject);
    subject = { der: csr.subject, dn, display: formatDn(dn) };
    publicKey = describePublicKey(csr.spki);
  } catch (e) {
    throw malformed((e as Error).message, e);
  }
  const facts = requestedExtensions(csr.attributes);
  const keyUsage = facts.keyUsage;
  return {
    der,
    subject,
    publicKey: { ...publicKey, spki: csr.spki },
    signatureAlgorithm: { oid: csr.algorithm.oid, name: algorithmName(csr.algorithm.oid), parameters: csr.algorithm.parameters },
    requestedExtensions: facts.extensions,
    requestsCa: facts.basicConstraints?.ca === true || !!keyUsage?.some((u) => u === 'keyCertSign' || u === 'cRLSign'),
    requestedKeyUsage: keyUsage,
    attributes: csr.attributes,
    tbs: csr.tbs,
    signature: csr.signature,
  };
}
