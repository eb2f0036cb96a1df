/**
 * The facts about a certificate that chain building, CRL and OCSP checks need, with the exact signed and
 * name bytes sliced from the original DER (re-encoding a parsed tree may change bytes and break signatures
 * or name hashes). This is a relying-party reader, independent of the issuing code in ../issue.
 */
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, BasicConstraints, Certificate, KeyUsage, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { Name } from '@peculiar/x509';
import { QtError } from '@qoltanba/errors';
import { ContentMemo } from '../memo.ts';
import { bytesEqual, derFrom, toArrayBuffer, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import type { SignatureAlgorithmId } from '../crypto/index.ts';
import { readSpki } from '../crypto/spki.ts';
import { childrenOf, contextTag, elementOf, readingAs, readWhole, serialHexOf, TAG } from '../der/read.ts';
import { formatDn } from '../names/format.ts';
import { nameKey, parseName, type ParsedName } from './dn.ts';
import type { GeneralName } from './general-names.ts';
import {
  readCrlDistributionPoints,
  readExtKeyUsage,
  readInhibitAnyPolicy,
  readNameConstraints,
  readPolicies,
  readPolicyConstraints,
  readPolicyMappings,
  readSubjectAltName,
  type DistributionPoint,
  type NameConstraints,
  type PolicyConstraints,
  type PolicyInformation,
} from './extensions.ts';

/** A certificate as DER bytes, or PEM / base64 text. */
export type CertificateInput = Uint8Array | string;

export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

const keyUsageBits: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

export interface CertificateFacts {
  der: Bytes;
  /** The exact tbsCertificate bytes the issuer signed. */
  tbs: Bytes;
  signatureAlgorithm: SignatureAlgorithmId;
  signature: Bytes;
  /** Upper-case hex, as in CRLs and OCSP (see serialHexOf). */
  serial: string;
  issuerDer: Bytes;
  subjectDer: Bytes;
  issuer: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo. */
  spki: Bytes;
  /** The subjectPublicKey BIT STRING value without its unused-bits byte (what OCSP key hashes cover). */
  publicKeyBits: Bytes;
  subjectKeyId: Bytes | undefined;
  authorityKeyId: Bytes | undefined;
  /** Absent extension = undefined (an end-entity certificate). */
  basicConstraints: { ca: boolean; pathLen: number | undefined } | undefined;
  /** Absent extension = undefined (every use allowed). */
  keyUsage: ReadonlySet<KeyUsageName> | undefined;
  /** Absent extension = undefined (every purpose allowed). */
  extKeyUsage: readonly string[] | undefined;
  extensions: readonly { oid: string; critical: boolean }[];
  selfIssued: boolean;
  /** 1, 2 or 3. */
  version: number;
  /** The serialNumber INTEGER content as encoded (sign and length matter to the profile checks). */
  serialBytes: Bytes;
  /** Subject and issuer as RFC 5280 §7.1 compares them (see dn.ts). */
  subjectName: ParsedName;
  issuerName: ParsedName;
  /** The SubjectPublicKeyInfo algorithm, and whether it carries parameters (DSA keys may inherit them). */
  keyAlgorithm: { oid: string; hasParameters: boolean };
  subjectAltNames: readonly GeneralName[] | undefined;
  nameConstraints: NameConstraints | undefined;
  policies: readonly PolicyInformation[] | undefined;
  policyMappings: readonly { issuer: string; subject: string }[] | undefined;
  policyConstraints: PolicyConstraints | undefined;
  inhibitAnyPolicy: number | undefined;
  crlDistributionPoints: readonly DistributionPoint[] | undefined;
  /** Extension OIDs present more than once (RFC 5280 §4.2 forbids it; the profile check refuses them). */
  duplicateExtensions: readonly string[];
}

/** Reads a certificate; anything unreadable is QT_ERR_CERT_MALFORMED. */
export function readCertificate(input: CertificateInput): CertificateFacts {
  return readingAs('QT_ERR_CERT_MALFORMED', 'The certificate', () => read(derFrom(input)));
}

/**
 * Certificates a verifier sees again and again (CA certificates, the same intermediates in every CMS) are read
 * once: found by content (hash, then a full byte comparison), never by identity. The facts are never mutated
 * after reading, so sharing them between verifications is safe; failures are not remembered.
 */
const seen = new ContentMemo<CertificateFacts>(1024);

export function readCertificateMemo(input: CertificateInput): CertificateFacts {
  return readingAs('QT_ERR_CERT_MALFORMED', 'The certificate', () => {
    const der = derFrom(input);
    return seen.get(der, () => read(der.slice()));
  });
}

/**
 * Trees another reader already made of exactly these bytes (a SignedData's certificates, cms/inspect.ts): the
 * signer's certificate of every CMS verified is otherwise parsed a second time when its path is validated
 * (≈ 1 ms each, profile of bench/reissue.ts). Found by content like the facts above, and taken once.
 */
const offeredTrees = new ContentMemo<Certificate>(16);

export function offerCertificateTree(der: Uint8Array, tree: Certificate): void {
  offeredTrees.set(der, tree);
}

function read(der: Bytes): CertificateFacts {
  const outer = readWhole(der, TAG.sequence, 'Certificate');
  const [tbsTlv, algTlv, sigTlv] = childrenOf(der, outer);
  if (!tbsTlv || !algTlv || !sigTlv) throw new QtError('QT_ERR_CERT_MALFORMED', 'The certificate lacks its signature');
  const tbsParts = childrenOf(der, tbsTlv);
  const skip = tbsParts[0]?.tag === contextTag(0, true) ? 1 : 0;
  const [serialTlv, innerAlgTlv, issuerTlv, , subjectTlv, spkiTlv] = tbsParts.slice(skip);
  if (!serialTlv || !innerAlgTlv || !issuerTlv || !subjectTlv || !spkiTlv || serialTlv.tag !== TAG.integer) {
    throw new QtError('QT_ERR_CERT_MALFORMED', 'The certificate body is incomplete');
  }
  // RFC 5280 §4.1.1.2: the algorithm outside the signed part must be the one inside it (else it is unsigned).
  if (!bytesEqual(elementOf(der, innerAlgTlv), elementOf(der, algTlv))) {
    throw new QtError('QT_ERR_CERT_MALFORMED', 'The certificate names a different signature algorithm outside its signed part than inside it');
  }
  const cert = offeredTrees.take(der) ?? AsnConvert.parse(toArrayBuffer(der), Certificate);
  const tbs = cert.tbsCertificate;
  const issuerDer = elementOf(der, issuerTlv);
  const subjectDer = elementOf(der, subjectTlv);
  const subjectName = parseName(subjectDer);
  const issuerName = parseName(issuerDer);
  const spki = elementOf(der, spkiTlv);
  const key = readSpki(spki);
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const e of tbs.extensions ?? []) (seen.has(e.extnID) ? duplicates : seen).add(e.extnID);
  const facts: CertificateFacts = {
    der,
    tbs: elementOf(der, tbsTlv),
    signatureAlgorithm: {
      oid: cert.signatureAlgorithm.algorithm,
      parameters: cert.signatureAlgorithm.parameters ? new Uint8Array(cert.signatureAlgorithm.parameters) : undefined,
    },
    signature: new Uint8Array(cert.signatureValue),
    serial: serialHexOf(der, serialTlv.contentStart, serialTlv.end),
    issuerDer,
    subjectDer,
    issuer: displayName(issuerDer),
    subject: displayName(subjectDer),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    spki,
    publicKeyBits: new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey),
    subjectKeyId: undefined,
    authorityKeyId: undefined,
    basicConstraints: undefined,
    keyUsage: undefined,
    extKeyUsage: undefined,
    extensions: (tbs.extensions ?? []).map((e) => ({ oid: e.extnID, critical: e.critical })),
    // RFC 5280 §6.1: self-issued means issuer and subject match under §7.1, not byte equality.
    selfIssued: subjectName.key === issuerName.key,
    version: tbs.version + 1,
    serialBytes: der.subarray(serialTlv.contentStart, serialTlv.end),
    subjectName,
    issuerName,
    keyAlgorithm: { oid: key.algorithmOid, hasParameters: key.parameters !== undefined && !(key.parameters.length === 2 && key.parameters[0] === TAG.null) },
    subjectAltNames: undefined,
    nameConstraints: undefined,
    policies: undefined,
    policyMappings: undefined,
    policyConstraints: undefined,
    inhibitAnyPolicy: undefined,
    crlDistributionPoints: undefined,
    duplicateExtensions: [...duplicates],
  };
  for (const ext of tbs.extensions ?? []) {
    const value = ext.extnValue.buffer;
    const bytes = new Uint8Array(value) as Bytes;
    readExtension(ext.extnID, () => {
      switch (ext.extnID) {
        case oid.subjectKeyIdentifier:
          facts.subjectKeyId = new Uint8Array(AsnConvert.parse(value, SubjectKeyIdentifier).buffer);
          break;
        case oid.authorityKeyIdentifier: {
          const aki = AsnConvert.parse(value, AuthorityKeyIdentifier).keyIdentifier;
          facts.authorityKeyId = aki ? new Uint8Array(aki.buffer) : undefined;
          break;
        }
        case oid.basicConstraints: {
          const bc = AsnConvert.parse(value, BasicConstraints);
          facts.basicConstraints = { ca: bc.cA, pathLen: bc.pathLenConstraint };
          break;
        }
        case oid.keyUsage: {
          const flags = AsnConvert.parse(value, KeyUsage).toNumber();
          facts.keyUsage = new Set(keyUsageBits.filter((_, i) => flags & (1 << i)));
          break;
        }
        case oid.extKeyUsage:
          facts.extKeyUsage = readExtKeyUsage(bytes);
          break;
        case oid.subjectAltName:
          facts.subjectAltNames = readSubjectAltName(bytes);
          break;
        case oid.nameConstraints:
          facts.nameConstraints = readNameConstraints(bytes);
          break;
        case oid.certificatePolicies:
          facts.policies = readPolicies(bytes);
          break;
        case oid.policyMappings:
          facts.policyMappings = readPolicyMappings(bytes);
          break;
        case oid.policyConstraints:
          facts.policyConstraints = readPolicyConstraints(bytes);
          break;
        case oid.inhibitAnyPolicy:
          facts.inhibitAnyPolicy = readInhibitAnyPolicy(bytes);
          break;
        case oid.crlDistributionPoints:
          facts.crlDistributionPoints = readCrlDistributionPoints(bytes);
          break;
        }
    });
  }
  return facts;
}

/** A malformed extension makes the whole certificate malformed, naming the extension. */
function readExtension(extnId: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof QtError && e.code !== 'QT_ERR_DER_MALFORMED') throw e;
    throw new QtError('QT_ERR_CERT_MALFORMED', `The certificate extension ${extnId} is malformed: ${(e as Error).message}`, { extension: extnId }, { cause: e });
  }
}

/**
 * A name as people read it, the same spelling inspectCertificate gives (formatDn: RFC 4514 escaping, the
 * attribute names NCA's users know — SURNAME, SERIALNUMBER, G — in the certificate's order), so one output
 * never mixes "SURNAME=" with "SN=" or "2.5.4.5=". A name our strict decoder refuses is still shown, as
 * @peculiar/x509 prints it.
 */
export function displayName(nameDer: Uint8Array): string {
  try {
    return formatDn(nameDer);
  } catch {
    return genericName(nameDer);
  }
}

function genericName(nameDer: Uint8Array): string {
  try {
    return new Name(toArrayBuffer(nameDer)).toString();
  } catch {
    return '(unreadable name)';
  }
}

/**
 * Do two DER Names denote the same entity? Byte equality first (the usual case, and what NCA produces);
 * otherwise RFC 5280 §7.1 matching (dn.ts), which forgives case, spacing and a PrintableString vs
 * UTF8String difference between issuer and subject, but not a different order of RDNs.
 */
export function namesMatch(a: Uint8Array, b: Uint8Array): boolean {
  if (bytesEqual(a, b)) return true;
  const ka = nameKey(a as Bytes);
  return ka !== undefined && ka === nameKey(b as Bytes);
}
