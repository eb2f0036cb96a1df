/**
 * The extensions a relying party, a listing or the issuance lint reads, decoded by extension-values.ts.
 * A known extension that does not decode makes the certificate malformed; an unknown one is listed and
 * otherwise ignored.
 */
import { KeyUsageFlags } from '@peculiar/asn1-x509';
import { QtError, type QtErrorCode } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { toHex, type Bytes } from '../encoding.ts';
import type { KeyUsageName } from '../profiles/index.ts';
import { malformed, type RawExtension } from './parse.ts';
import {
  readAccessDescriptions,
  readAuthorityKeyId,
  readBasicConstraints,
  readDistributionPointUris,
  readEmails,
  readNamedBits,
  readOctetString,
  readOidList,
  readPolicies,
  readQualifier,
  type PolicyValue,
} from './extension-values.ts';

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

function policyInfo(policies: readonly PolicyValue[]): PolicyInfo[] {
  return policies.map((p) => {
    const info: PolicyInfo = { oid: p.oid, cpsUris: [], notices: [] };
    for (const q of p.qualifiers) {
      if (q.oid !== oid.qualifierCps && q.oid !== oid.qualifierUserNotice) continue;
      const qualifier = readQualifier(q.qualifier);
      if (qualifier.cpsUri !== undefined) info.cpsUris.push(qualifier.cpsUri);
      if (qualifier.notice !== undefined) info.notices.push(qualifier.notice);
    }
    return info;
  });
}

/** `code` is the error for an undecodable extension: a certificate's, or a CSR's extensionRequest. */
export function readExtensions(list: readonly RawExtension[] | undefined, code: QtErrorCode = 'QT_ERR_CERT_MALFORMED'): ExtensionFacts {
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
    facts.extensions.push({ oid: ext.oid, name: extensionNames[ext.oid], critical: ext.critical, value: ext.value });
    try {
      readOne(ext.oid, ext.value, ext.critical, facts);
    } catch (e) {
      const message = `its ${extensionNames[ext.oid]} extension cannot be decoded (${(e as Error).message})`;
      throw code === 'QT_ERR_CERT_MALFORMED' ? malformed(message, e) : new QtError(code, message, undefined, { cause: e });
    }
  }
  return facts;
}

function readOne(extOid: string, value: Bytes, critical: boolean, facts: ExtensionFacts): void {
  switch (extOid) {
    case oid.keyUsage:
      facts.keyUsage = keyUsageNames(readNamedBits(value));
      break;
    case oid.extKeyUsage:
      facts.extKeyUsage = readOidList(value);
      break;
    case oid.certificatePolicies:
      facts.policies = policyInfo(readPolicies(value));
      break;
    case oid.subjectKeyIdentifier:
      facts.subjectKeyId = toHex(readOctetString(value));
      break;
    case oid.authorityKeyIdentifier: {
      const keyId = readAuthorityKeyId(value);
      facts.authorityKeyId = keyId ? toHex(keyId) : undefined;
      break;
    }
    case oid.basicConstraints:
      facts.basicConstraints = { ...readBasicConstraints(value), critical };
      break;
    case oid.crlDistributionPoints:
      facts.urls.crl = readDistributionPointUris(value);
      break;
    case oid.freshestCrl:
      facts.urls.deltaCrl = readDistributionPointUris(value);
      break;
    case oid.authorityInfoAccess:
      for (const d of readAccessDescriptions(value)) {
        if (d.uri === undefined) continue;
        if (d.method === oid.accessOcsp) facts.urls.ocsp.push(d.uri);
        if (d.method === oid.accessCaIssuers) facts.urls.caIssuers.push(d.uri);
      }
      break;
    case oid.subjectAltName:
      facts.emails = readEmails(value);
      break;
    case oid.ocspNoCheck:
      facts.ocspNoCheck = true;
      break;
  }
}
