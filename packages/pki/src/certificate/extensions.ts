/**
 * The extensions a relying party, a listing or the issuance lint reads, decoded with
 * @peculiar/asn1-x509. A known extension that does not decode makes the certificate malformed; an
 * unknown one is listed and otherwise ignored.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  FreshestCRL,
  KeyUsage,
  KeyUsageFlags,
  SubjectAlternativeName,
  Qualifier,
  type Extension,
  type GeneralName,
} from '@peculiar/asn1-x509';
import { QtError, type QtErrorCode } from '../errors.ts';
import { oid } from '../oids.ts';
import { toBytes, toHex, type Bytes } from '../encoding.ts';
import type { KeyUsageName } from '../profiles/index.ts';
import { malformed } from './parse.ts';

export interface ExtensionInfo {
  oid: string;
  name: string | undefined;
  critical: boolean;
  /** The extnValue contents (the DER inside the OCTET STRING). */
  value: Bytes;
}

export interface PolicyInfo {
  oid: string;
  cpsUris: string[];
  /** userNotice explicitText values. */
  notices: string[];
}

export interface BasicConstraintsInfo {
  ca: boolean;
  pathLength: number | undefined;
  critical: boolean;
}

export interface CertificateUrls {
  crl: string[];
  deltaCrl: string[];
  ocsp: string[];
  caIssuers: string[];
}

export interface ExtensionFacts {
  extensions: ExtensionInfo[];
  keyUsage: KeyUsageName[] | undefined;
  extKeyUsage: string[];
  policies: PolicyInfo[];
  subjectKeyId: string | undefined;
  authorityKeyId: string | undefined;
  basicConstraints: BasicConstraintsInfo | undefined;
  urls: CertificateUrls;
  emails: string[];
  ocspNoCheck: boolean;
}

const extensionNames: Readonly<Record<string, string>> = {
  [oid.subjectKeyIdentifier]: 'subjectKeyIdentifier',
  [oid.keyUsage]: 'keyUsage',
  [oid.subjectAltName]: 'subjectAltName',
  [oid.basicConstraints]: 'basicConstraints',
  [oid.crlDistributionPoints]: 'cRLDistributionPoints',
  [oid.certificatePolicies]: 'certificatePolicies',
  [oid.authorityKeyIdentifier]: 'authorityKeyIdentifier',
  [oid.extKeyUsage]: 'extKeyUsage',
  [oid.freshestCrl]: 'freshestCRL',
  [oid.authorityInfoAccess]: 'authorityInfoAccess',
  [oid.ocspNoCheck]: 'ocspNoCheck',
};

// The asn1 list types subclass Array, so their map/flatMap return those classes; the facts
// handed out are spread into plain arrays first.

/** KeyUsage bit order (RFC 5280 §4.2.1.3), named as the profiles name them. */
const keyUsageBits: readonly [KeyUsageName, number][] = [
  ['digitalSignature', KeyUsageFlags.digitalSignature],
  ['nonRepudiation', KeyUsageFlags.nonRepudiation],
  ['keyEncipherment', KeyUsageFlags.keyEncipherment],
  ['dataEncipherment', KeyUsageFlags.dataEncipherment],
  ['keyAgreement', KeyUsageFlags.keyAgreement],
  ['keyCertSign', KeyUsageFlags.keyCertSign],
  ['cRLSign', KeyUsageFlags.cRLSign],
  ['encipherOnly', KeyUsageFlags.encipherOnly],
  ['decipherOnly', KeyUsageFlags.decipherOnly],
];

export function keyUsageNames(flags: number): KeyUsageName[] {
  return keyUsageBits.filter(([, bit]) => flags & bit).map(([name]) => name);
}

export function keyUsageFlags(names: readonly KeyUsageName[]): number {
  return keyUsageBits.filter(([name]) => names.includes(name)).reduce((acc, [, bit]) => acc | bit, 0);
}

function uris(names: readonly GeneralName[] | undefined): string[] {
  return (names ?? []).flatMap((n) => (n.uniformResourceIdentifier !== undefined ? [n.uniformResourceIdentifier] : []));
}

function distributionPointUris(points: CRLDistributionPoints | FreshestCRL): string[] {
  return [...points].flatMap((p) => uris(p.distributionPoint?.fullName));
}

function policyInfo(policies: CertificatePolicies): PolicyInfo[] {
  return [...policies].map((p) => {
    const info: PolicyInfo = { oid: p.policyIdentifier, cpsUris: [], notices: [] };
    for (const q of p.policyQualifiers ?? []) {
      if (q.policyQualifierId !== oid.qualifierCps && q.policyQualifierId !== oid.qualifierUserNotice) continue;
      const qualifier = AsnConvert.parse(q.qualifier, Qualifier);
      if (qualifier.cPSuri !== undefined) info.cpsUris.push(qualifier.cPSuri);
      const text = qualifier.userNotice?.explicitText?.toString();
      if (text !== undefined) info.notices.push(text);
    }
    return info;
  });
}

/** `code` is the error for an undecodable extension: a certificate's, or a CSR's extensionRequest. */
export function readExtensions(list: readonly Extension[] | undefined, code: QtErrorCode = 'QT_ERR_CERT_MALFORMED'): ExtensionFacts {
  const facts: ExtensionFacts = {
    extensions: [],
    keyUsage: undefined,
    extKeyUsage: [],
    policies: [],
    subjectKeyId: undefined,
    authorityKeyId: undefined,
    basicConstraints: undefined,
    urls: { crl: [], deltaCrl: [], ocsp: [], caIssuers: [] },
    emails: [],
    ocspNoCheck: false,
  };
  for (const ext of list ?? []) {
    const value = toBytes(ext.extnValue.buffer);
    facts.extensions.push({ oid: ext.extnID, name: extensionNames[ext.extnID], critical: ext.critical, value });
    try {
      readOne(ext.extnID, value.buffer, ext.critical, facts);
    } catch (e) {
      const message = `its ${extensionNames[ext.extnID]} extension cannot be decoded (${(e as Error).message})`;
      throw code === 'QT_ERR_CERT_MALFORMED' ? malformed(message, e) : new QtError(code, message, undefined, { cause: e });
    }
  }
  return facts;
}

function readOne(extOid: string, value: ArrayBuffer, critical: boolean, facts: ExtensionFacts): void {
  switch (extOid) {
    case oid.keyUsage:
      facts.keyUsage = keyUsageNames(AsnConvert.parse(value, KeyUsage).toNumber());
      break;
    case oid.extKeyUsage:
      facts.extKeyUsage = [...AsnConvert.parse(value, ExtendedKeyUsage)];
      break;
    case oid.certificatePolicies:
      facts.policies = policyInfo(AsnConvert.parse(value, CertificatePolicies));
      break;
    case oid.subjectKeyIdentifier:
      facts.subjectKeyId = toHex(AsnConvert.parse(value, OctetString).buffer);
      break;
    case oid.authorityKeyIdentifier: {
      const keyId = AsnConvert.parse(value, AuthorityKeyIdentifier).keyIdentifier;
      facts.authorityKeyId = keyId ? toHex(keyId.buffer) : undefined;
      break;
    }
    case oid.basicConstraints: {
      const bc = AsnConvert.parse(value, BasicConstraints);
      facts.basicConstraints = { ca: bc.cA, pathLength: bc.pathLenConstraint, critical };
      break;
    }
    case oid.crlDistributionPoints:
      facts.urls.crl = distributionPointUris(AsnConvert.parse(value, CRLDistributionPoints));
      break;
    case oid.freshestCrl:
      facts.urls.deltaCrl = distributionPointUris(AsnConvert.parse(value, FreshestCRL));
      break;
    case oid.authorityInfoAccess:
      for (const d of AsnConvert.parse(value, AuthorityInfoAccessSyntax)) {
        const url = d.accessLocation.uniformResourceIdentifier;
        if (url === undefined) continue;
        if (d.accessMethod === oid.accessOcsp) facts.urls.ocsp.push(url);
        if (d.accessMethod === oid.accessCaIssuers) facts.urls.caIssuers.push(url);
      }
      break;
    case oid.subjectAltName:
      facts.emails = [...AsnConvert.parse(value, SubjectAlternativeName)].flatMap((n) => (n.rfc822Name !== undefined ? [n.rfc822Name] : []));
      break;
    case oid.ocspNoCheck:
      facts.ocspNoCheck = true;
      break;
  }
}
