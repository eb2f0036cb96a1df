/**
 * Everything a relying party, a listing or the CLI's `verify` needs to know about a certificate, in
 * one plain object. Parsing only: signatures are checked by path validation, which also knows GOST
 * once that algorithm is registered.
 */
import { QtError } from '@qoltanba/errors';
import { bytesEqual, type Bytes } from '../encoding.ts';
import { algorithmName, describePublicKey, type PublicKeyInfo } from '../crypto/index.ts';
import { decodeDn, formatDn, kzFields, type DistinguishedName, type KzFields } from '../names/index.ts';
import { matchProfile, type IdentificationMethod, type KeyUsageName, type ProfileName } from '../profiles/index.ts';
import { parseCertificateDer, malformed, type ParsedCertificate } from './parse.ts';
import { formatSerial } from './serial.ts';
import { readExtensions, type BasicConstraintsInfo, type CertificateUrls, type ExtensionInfo, type PolicyInfo } from './extensions.ts';
import { certificateKind, holderOf, identificationOf, rolesOf, type CertificateKindInfo, type Holder, type RoleInfo } from './kind.ts';
import type { DerInput } from './der-input.ts';

export interface NameInfo {
  der: Bytes;
  dn: DistinguishedName;
  /** CN first, e.g. "CN=ТЕСТОВ ТЕСТ, SURNAME=ТЕСТОВ, SERIALNUMBER=IIN123456789011, C=KZ, G=ТЕСТОВИЧ". */
  display: string;
}

export interface CertificateInfo {
  der: Bytes;
  version: number;
  /** The serial as formatSerial spells it: upper-case hex of its bytes, leading zero digits kept, no sign byte. */
  serialHex: string;
  subject: NameInfo;
  issuer: NameInfo;
  /** IIN, BIN, name parts and organisation as NCA's layout places them (prefixes removed). */
  kz: KzFields;
  holder: Holder;
  kind: CertificateKindInfo;
  roles: RoleInfo[];
  identification: IdentificationMethod | undefined;
  /** Our profile this certificate fits, if any (NCA's person certificates fit ours). */
  profile: ProfileName | undefined;
  policies: PolicyInfo[];
  keyUsage: KeyUsageName[] | undefined;
  extKeyUsage: string[];
  notBefore: Date;
  notAfter: Date;
  publicKey: PublicKeyInfo & { spki: Bytes };
  signatureAlgorithm: { oid: string; name: string; parameters: Bytes | undefined };
  subjectKeyId: string | undefined;
  authorityKeyId: string | undefined;
  urls: CertificateUrls;
  basicConstraints: BasicConstraintsInfo | undefined;
  /** rfc822Name entries of subjectAltName. */
  emails: string[];
  ocspNoCheck: boolean;
  /** Subject and issuer names are the same bytes (a root, or a self-issued CA certificate). */
  selfIssued: boolean;
  extensions: ExtensionInfo[];
  /** The signed bytes and the signature, for whoever verifies it. */
  tbs: Bytes;
  signature: Bytes;
}

function nameInfo(der: Bytes, which: string): NameInfo {
  try {
    const dn = decodeDn(der);
    return { der, dn, display: formatDn(dn) };
  } catch (e) {
    throw malformed(`its ${which} name cannot be decoded (${(e as Error).message})`, e);
  }
}


/** A certificate's facts together with the structure they were read from (for the issuance lint). */
export interface InspectedCertificate {
  info: CertificateInfo;
  parsed: ParsedCertificate;
}

/** Reads a certificate (DER, PEM or base64). Anything that is not one is QT_ERR_CERT_MALFORMED. */
export function inspectCertificate(input: DerInput): CertificateInfo {
  return inspectCertificateStructure(input).info;
}

/** inspectCertificate, also handing back the parsed structure, so nobody parses the same bytes twice. */
export function inspectCertificateStructure(input: DerInput): InspectedCertificate {
  const parsed = parseCertificateDer(input);
  const subject = nameInfo(parsed.subject, 'subject');
  const issuer = nameInfo(parsed.issuer, 'issuer');
  const facts = readExtensions(parsed.extensions);
  let publicKey: PublicKeyInfo;
  try {
    publicKey = describePublicKey(parsed.spki);
  } catch (e) {
    throw malformed(`its public key cannot be read (${e instanceof QtError ? e.message : String(e)})`, e);
  }
  const kz = kzFields(subject.dn);
  const ca = facts.basicConstraints?.ca ?? false;
  const kind = certificateKind(facts.keyUsage, facts.extKeyUsage, ca);
  const roles = rolesOf(facts.extKeyUsage);
  const selfIssued = bytesEqual(parsed.subject, parsed.issuer);
  const sigAlg = parsed.signatureAlgorithm;
  const info: CertificateInfo = {
    der: parsed.der,
    version: parsed.version,
    serialHex: formatSerial(parsed.serial),
    subject,
    issuer,
    kz,
    holder: holderOf(kind, roles, kz),
    kind,
    roles,
    identification: identificationOf(facts.extKeyUsage),
    profile: matchProfile({
      keyUsage: facts.keyUsage,
      extKeyUsage: facts.extKeyUsage,
      policies: facts.policies.map((p) => p.oid),
      ca,
      pathLength: facts.basicConstraints?.pathLength,
      selfSigned: selfIssued,
      ocspNoCheck: facts.ocspNoCheck,
    }),
    policies: facts.policies,
    keyUsage: facts.keyUsage,
    extKeyUsage: facts.extKeyUsage,
    notBefore: parsed.notBefore.date,
    notAfter: parsed.notAfter.date,
    publicKey: { ...publicKey, spki: parsed.spki },
    signatureAlgorithm: { oid: sigAlg.oid, name: algorithmName(sigAlg.oid), parameters: sigAlg.parameters },
    subjectKeyId: facts.subjectKeyId,
    authorityKeyId: facts.authorityKeyId,
    urls: facts.urls,
    basicConstraints: facts.basicConstraints,
    emails: facts.emails,
    ocspNoCheck: facts.ocspNoCheck,
    selfIssued,
    extensions: facts.extensions,
    tbs: parsed.tbs,
    signature: parsed.signature,
  };
  return { info, parsed };
}
