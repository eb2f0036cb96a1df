/**
 * Our verdict in NCANode 3.x's words: CertificateInfo (with its subject/issuer CertificateSubject and
 * revocations), CmsSignerInfo and the AdES status fields. Field by field what is filled and what is not is
 * in ../README.md. Shapes learnt from NCANode's public openapi.yml and response classes; no code copied.
 */
import { inspectCertificate, oid, toBase64, type Bytes, type DistinguishedName, type QtError, type SignerVerdict } from '@qoltanba/pki';

export interface NcaCertificateSubject {
  commonName?: string;
  lastName?: string;
  surName?: string;
  email?: string;
  organization?: string;
  iin?: string;
  bin?: string;
  country?: string;
  locality?: string;
  state?: string;
  dn: string;
}

export interface NcaRevocation {
  revoked: boolean;
  by: 'OCSP' | 'CRL';
  revocationTime: string | null;
  reason: string | null;
}

export interface NcaCertificateInfo {
  valid: boolean;
  revocations: NcaRevocation[];
  notBefore: string;
  notAfter: string;
  keyUsage: 'AUTH' | 'SIGN' | 'UNKNOWN';
  serialNumber: string;
  signAlg: string;
  keyUser: string[];
  publicKey: string;
  signature: string;
  subject: NcaCertificateSubject;
  issuer: NcaCertificateSubject;
}

/** NCANode's CertificateKeyUser: the role and identification OIDs NCA puts into the EKU. */
const KEY_USERS: Record<string, string> = {
  '1.2.398.3.3.4.1.1': 'INDIVIDUAL',
  '1.2.398.3.3.4.1.2': 'ORGANIZATION',
  '1.2.398.3.3.4.1.2.1': 'CEO',
  '1.2.398.3.3.4.1.2.2': 'CAN_SIGN',
  '1.2.398.3.3.4.1.2.3': 'CAN_SIGN_FINANCIAL',
  '1.2.398.3.3.4.1.2.4': 'HR',
  '1.2.398.3.3.4.1.2.5': 'EMPLOYEE',
  '1.2.398.3.3.4.2': 'NCA_PRIVILEGES',
  '1.2.398.3.3.4.2.1': 'NCA_ADMIN',
  '1.2.398.3.3.4.2.2': 'NCA_MANAGER',
  '1.2.398.3.3.4.2.3': 'NCA_OPERATOR',
  '1.2.398.3.3.4.3': 'IDENTIFICATION',
  '1.2.398.3.3.4.3.1': 'IDENTIFICATION_CON',
  '1.2.398.3.3.4.3.2': 'IDENTIFICATION_REMOTE',
  '1.2.398.3.3.4.3.2.1': 'IDENTIFICATION_REMOTE_DIGITAL_ID',
};

/** Signature algorithm names as Kalkan's Java provider reports them (X509Certificate.getSigAlgName). */
const SIG_ALG_NAMES: Record<string, string> = {
  [oid.sha1WithRsa]: 'SHA1withRSA',
  [oid.sha256WithRsa]: 'SHA256withRSA',
  [oid.sha384WithRsa]: 'SHA384withRSA',
  [oid.sha512WithRsa]: 'SHA512withRSA',
  [oid.ecdsaWithSha256]: 'SHA256withECDSA',
  [oid.ecdsaWithSha384]: 'SHA384withECDSA',
  [oid.ecdsaWithSha512]: 'SHA512withECDSA',
  [oid.kzGost2015_512Sign]: 'ECGOST3410-2015-512',
  [oid.kzGost2015_256Sign]: 'ECGOST3410-2015-256',
  [oid.kzGost2004Sign]: 'ECGOST34310',
};

/** Java's Date as Jackson writes it in NCANode: 2022-05-02T08:38:13.000+00:00. */
export function javaDate(d: Date): string {
  return d.toISOString().replace('Z', '+00:00');
}

/** The certificate as NCANode describes it; null for bytes that are not a certificate (NCANode puts null there too). */
export function certificateInfo(der: Bytes | undefined, verdict: Pick<SignerVerdict, 'valid' | 'chain'>): NcaCertificateInfo | null {
  if (!der) return null;
  let c;
  try {
    c = inspectCertificate(der);
  } catch {
    return null;
  }
  return {
    valid: verdict.valid,
    revocations: revocationsOf(verdict.chain[0]?.revocation),
    notBefore: javaDate(c.notBefore),
    notAfter: javaDate(c.notAfter),
    keyUsage: c.kind === 'AUTH' || c.kind === 'SIGN' ? c.kind : 'UNKNOWN',
    // NCANode's clients compare Java's BigInteger.toString(16): lower case, no leading zeros (our own outputs use openssl's spelling).
    serialNumber: c.serialHex.toLowerCase().replace(/^0+(?=.)/, ''),
    signAlg: SIG_ALG_NAMES[c.signatureAlgorithm.oid] ?? c.signatureAlgorithm.oid,
    keyUser: [...new Set(c.extKeyUsage.map((o) => KEY_USERS[o]).filter((u): u is string => u !== undefined))],
    publicKey: toBase64(c.publicKey.spki),
    signature: toBase64(c.signature),
    subject: subjectOf(c.subject.dn),
    issuer: subjectOf(c.issuer.dn),
  };
}

function revocationsOf(r: SignerVerdict['chain'][number]['revocation'] | undefined): NcaRevocation[] {
  if (!r?.source || (r.status !== 'good' && r.status !== 'revoked')) return [];
  return [
    {
      revoked: r.status === 'revoked',
      by: r.source === 'ocsp' ? 'OCSP' : 'CRL',
      revocationTime: r.revokedAt ? javaDate(r.revokedAt) : null,
      reason: r.status === 'revoked' ? (r.reason ?? 'unspecified') : null,
    },
  ];
}

const JAVA_KEYWORDS: Record<string, string> = {
  [oid.commonName]: 'CN',
  [oid.surname]: 'SURNAME',
  [oid.serialNumber]: 'SERIALNUMBER',
  [oid.country]: 'C',
  [oid.locality]: 'L',
  [oid.stateOrProvince]: 'ST',
  [oid.organization]: 'O',
  [oid.organizationalUnit]: 'OU',
  [oid.givenName]: 'GIVENNAME',
  [oid.emailAddress]: 'EMAILADDRESS',
  '2.5.4.9': 'STREET',
  '2.5.4.12': 'T',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

/** NCANode's CertificateSubject, read from the DN the way it reads its Java string form. */
function subjectOf(dn: DistinguishedName): NcaCertificateSubject {
  const out: NcaCertificateSubject = { dn: javaDn(dn) };
  for (const rdn of dn) {
    for (const a of rdn) {
      const v = a.value;
      switch (a.type) {
        case oid.commonName:
          out.commonName = v;
          break;
        case oid.surname:
          out.surName = v;
          break;
        case oid.serialNumber:
          if (v.startsWith('BIN')) out.bin = v.slice(3);
          else out.iin = v.replace(/^IIN/, '');
          break;
        case oid.country:
          out.country = v;
          break;
        case oid.locality:
          out.locality = v;
          break;
        case oid.stateOrProvince:
          out.state = v;
          break;
        case oid.emailAddress:
          out.email = v;
          break;
        case oid.organization:
          out.organization = v;
          break;
        case oid.organizationalUnit:
          out.bin = v.replace(/^BIN/, '');
          break;
        case oid.givenName:
          out.lastName = v;
          break;
        default:
          break;
      }
    }
  }
  return out;
}

/** X500Principal.toString(): the last RDN first, Java's keywords, values with special characters quoted. */
function javaDn(dn: DistinguishedName): string {
  return [...dn]
    .reverse()
    .map((rdn) => rdn.map((a) => `${JAVA_KEYWORDS[a.type] ?? `OID.${a.type}`}=${javaValue(a.value)}`).join(' + '))
    .join(', ');
}

function javaValue(v: string): string {
  return /[,+=\n<>#;"\\]|^\s|\s$/.test(v) ? `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"` : v;
}

export type AdesStatus = 'VALID' | 'INVALID' | 'INDETERMINATE';

/** Our error code as NCANode's AdES status and sub-indication (ETSI EN 319 102-1 words). */
export function adesOf(error: QtError | undefined): { status: AdesStatus; subIndication?: string } {
  if (!error) return { status: 'VALID' };
  switch (error.code) {
    case 'QT_ERR_SIGNATURE_INVALID':
    case 'QT_ERR_CMS_DIGEST_MISMATCH':
    case 'QT_ERR_XML_SIGNATURE_INVALID':
      return { status: 'INVALID', subIndication: 'SIG_CRYPTO_FAILURE' };
    case 'QT_ERR_CMS_SIGNER_CERT_MISMATCH':
      return { status: 'INVALID', subIndication: 'CERT_HASH_MISMATCH' };
    case 'QT_ERR_CMS_SIGNER_NOT_FOUND':
    case 'QT_ERR_XML_SIGNER_NOT_FOUND':
      return { status: 'INDETERMINATE', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND' };
    case 'QT_ERR_CHAIN_INCOMPLETE':
      return { status: 'INDETERMINATE', subIndication: 'CHAIN_INCOMPLETE' };
    case 'QT_ERR_CERT_REVOKED':
      return { status: 'INVALID', subIndication: 'CERT_REVOKED' };
    case 'QT_ERR_CERT_ON_HOLD':
      return { status: 'INDETERMINATE', subIndication: 'CERT_REVOKED' };
    case 'QT_ERR_REVOCATION_UNKNOWN':
      return { status: 'INDETERMINATE', subIndication: 'REVOCATION_DATA_MISSING' };
    case 'QT_ERR_CERT_EXPIRED':
    case 'QT_ERR_CERT_NOT_YET_VALID':
      return { status: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' };
    case 'QT_ERR_CMS_MALFORMED':
    case 'QT_ERR_XML_MALFORMED':
      return { status: 'INVALID', subIndication: 'FORMAT_FAILURE' };
    default:
      return { status: 'INVALID' };
  }
}
