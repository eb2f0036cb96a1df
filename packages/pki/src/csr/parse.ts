/** Reading a PKCS#10 certificate request (RFC 2986) into plain facts, without judging it. */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { Extensions } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { QtError } from '../errors.ts';
import { oid } from '../oids.ts';
import { toArrayBuffer, toBytes, type Bytes } from '../encoding.ts';
import { algorithmName, describePublicKey, type PublicKeyInfo } from '../crypto/index.ts';
import { decodeDn, formatDn } from '../names/index.ts';
import type { KeyUsageName } from '../profiles/index.ts';
import type { NameInfo } from '../certificate/index.ts';
import { readDer, type DerInput } from '../certificate/der-input.ts';
import { readExtensions, type ExtensionInfo } from '../certificate/extensions.ts';

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

/** The exact bytes of the subject and public key inside the CertificationRequestInfo. */
function rawInfoFields(info: Bytes): { subject: Bytes; spki: Bytes } {
  const fields = (asn1js.fromBER(info).result as asn1js.Sequence).valueBlock.value;
  if (fields.length < 3) throw malformed('the request info has too few fields');
  return { subject: toBytes(fields[1]!.valueBeforeDecodeView), spki: toBytes(fields[2]!.valueBeforeDecodeView) };
}

function requestedExtensions(attributes: { oid: string; values: Bytes[] }[]): ReturnType<typeof readExtensions> {
  const requests = attributes.filter((a) => a.oid === oid.attrExtensionRequest);
  if (requests.length > 1 || (requests[0] && requests[0].values.length !== 1)) throw malformed('it has more than one extensionRequest');
  const value = requests[0]?.values[0];
  let list: Extensions | undefined;
  try {
    list = value ? AsnConvert.parse(toArrayBuffer(value), Extensions) : undefined;
  } catch (e) {
    throw malformed(`its extensionRequest cannot be decoded (${(e as Error).message})`, e);
  }
  return readExtensions(list, 'QT_ERR_CSR_MALFORMED');
}

/** Reads a CSR (DER, PEM or base64). Anything that is not one is QT_ERR_CSR_MALFORMED. */
export function parseCsr(input: DerInput): CsrInfo {
  const der = readDer(input, {
    code: 'QT_ERR_CSR_MALFORMED',
    what: 'certificate request',
    pemLabels: ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'],
    maxBytes: MAX_CSR_BYTES,
  });
  let csr: CertificationRequest;
  try {
    csr = AsnConvert.parse(toArrayBuffer(der), CertificationRequest);
  } catch (e) {
    throw malformed((e as Error).message, e);
  }
  if (!csr.certificationRequestInfoRaw) throw malformed('the request info could not be located');
  if (csr.certificationRequestInfo.version !== 0) throw malformed(`version ${csr.certificationRequestInfo.version + 1} is not PKCS#10 version 1`);
  const tbs = toBytes(csr.certificationRequestInfoRaw);
  const raw = rawInfoFields(tbs);
  let subject: NameInfo;
  let publicKey: PublicKeyInfo;
  try {
    const dn = decodeDn(raw.subject);
    subject = { der: raw.subject, dn, display: formatDn(dn) };
    publicKey = describePublicKey(raw.spki);
  } catch (e) {
    throw malformed((e as Error).message, e);
  }
  const attributes = [...csr.certificationRequestInfo.attributes].map((a) => ({ oid: a.type, values: a.values.map((v) => toBytes(v)) }));
  const facts = requestedExtensions(attributes);
  const keyUsage = facts.keyUsage;
  const params = csr.signatureAlgorithm.parameters;
  return {
    der,
    subject,
    publicKey: { ...publicKey, spki: raw.spki },
    signatureAlgorithm: {
      oid: csr.signatureAlgorithm.algorithm,
      name: algorithmName(csr.signatureAlgorithm.algorithm),
      parameters: params ? new Uint8Array(params) : undefined,
    },
    requestedExtensions: facts.extensions,
    requestsCa: facts.basicConstraints?.ca === true || !!keyUsage?.some((u) => u === 'keyCertSign' || u === 'cRLSign'),
    requestedKeyUsage: keyUsage,
    attributes,
    tbs,
    signature: new Uint8Array(csr.signature),
  };
}
