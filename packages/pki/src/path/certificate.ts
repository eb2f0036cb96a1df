/**
 * The facts about a certificate that chain building, CRL and OCSP checks need, with the exact signed and
 * name bytes sliced from the original DER (re-encoding a parsed tree may change bytes and break signatures
 * or name hashes). This is a relying-party reader, independent of the issuing code in ../issue.
 */
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  KeyUsage,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { Name } from '@peculiar/x509';
import { QtError } from '../errors.ts';
import { bytesEqual, derFrom, toArrayBuffer, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import type { SignatureAlgorithmId } from '../crypto/index.ts';
import { childrenOf, contextTag, elementOf, readingAs, readWhole, serialHexOf, TAG } from '../crl/der-read.ts';
import { formatDn } from '../names/format.ts';

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
}

/** Reads a certificate; anything unreadable is QT_ERR_CERT_MALFORMED. */
export function readCertificate(input: CertificateInput): CertificateFacts {
  return readingAs('QT_ERR_CERT_MALFORMED', 'The certificate', () => read(derFrom(input)));
}

function read(der: Bytes): CertificateFacts {
  const outer = readWhole(der, TAG.sequence, 'Certificate');
  const [tbsTlv, algTlv, sigTlv] = childrenOf(der, outer);
  if (!tbsTlv || !algTlv || !sigTlv) throw new QtError('QT_ERR_CERT_MALFORMED', 'The certificate lacks its signature');
  const tbsParts = childrenOf(der, tbsTlv);
  const skip = tbsParts[0]?.tag === contextTag(0, true) ? 1 : 0;
  const [serialTlv, , issuerTlv, , subjectTlv, spkiTlv] = tbsParts.slice(skip);
  if (!serialTlv || !issuerTlv || !subjectTlv || !spkiTlv || serialTlv.tag !== TAG.integer) {
    throw new QtError('QT_ERR_CERT_MALFORMED', 'The certificate body is incomplete');
  }
  const cert = AsnConvert.parse(toArrayBuffer(der), Certificate);
  const tbs = cert.tbsCertificate;
  const issuerDer = elementOf(der, issuerTlv);
  const subjectDer = elementOf(der, subjectTlv);
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
    spki: elementOf(der, spkiTlv),
    publicKeyBits: new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey),
    subjectKeyId: undefined,
    authorityKeyId: undefined,
    basicConstraints: undefined,
    keyUsage: undefined,
    extKeyUsage: undefined,
    extensions: (tbs.extensions ?? []).map((e) => ({ oid: e.extnID, critical: e.critical })),
    selfIssued: bytesEqual(issuerDer, subjectDer),
  };
  for (const ext of tbs.extensions ?? []) {
    const value = ext.extnValue.buffer;
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
        facts.extKeyUsage = [...AsnConvert.parse(value, ExtendedKeyUsage)];
        break;
    }
  }
  return facts;
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
 * otherwise compare the printed forms case- and space-insensitively, the practical core of RFC 5280 §7.1
 * name matching (it forgives a PrintableString vs UTF8String difference between issuer and subject).
 */
export function namesMatch(a: Uint8Array, b: Uint8Array): boolean {
  if (bytesEqual(a, b)) return true;
  const canon = (der: Uint8Array): string => genericName(der).toLowerCase().replace(/\s+/g, ' ').trim();
  return canon(a) === canon(b);
}
