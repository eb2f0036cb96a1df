/**
 * Reading a certificate's structure with the DER walker (der/read.ts): every field as the exact bytes
 * it was encoded as, located once. A tree parser (asn1js under @peculiar/asn1-schema) spent ~1 ms per
 * certificate here — it materialises every node and re-parses OCTET and BIT STRING contents — and
 * issuance reads at least one certificate per certificate it issues.
 */
import { QtError } from '@qoltanba/errors';
import type { Bytes } from '../encoding.ts';
import { assertWellFormedValues, childrenOf, elementOf, readOid, readTime, readWhole, TAG, type Tlv } from '../der/read.ts';
import { readDer, type DerInput } from './der-input.ts';

/** Far above any real certificate (NCA's are under 2 KB), far below anything that could hurt. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

export interface AlgorithmFields {
  oid: string;
  /** The complete DER of the parameters; undefined when absent or NULL (as @peculiar/asn1-x509 has always reported them). */
  parameters: Bytes | undefined;
}

export interface TimeField {
  date: Date;
  /** Encoded as GeneralizedTime rather than UTCTime. */
  generalized: boolean;
}

/** One extension as encoded: its OID, criticality and the contents of extnValue. */
export interface RawExtension {
  oid: string;
  critical: boolean;
  value: Bytes;
}

export interface ParsedCertificate {
  der: Bytes;
  /** The exact tbsCertificate bytes. */
  tbs: Bytes;
  /** 1 for v1 (no version field), 3 for v3. */
  version: number;
  /** The serialNumber INTEGER's content octets, exactly as encoded (sign byte included). */
  serial: Bytes;
  /** The algorithm inside the TBS, and the outer one that must match it. */
  innerAlgorithm: AlgorithmFields;
  signatureAlgorithm: AlgorithmFields;
  issuer: Bytes;
  subject: Bytes;
  notBefore: TimeField;
  notAfter: TimeField;
  spki: Bytes;
  extensions: RawExtension[];
  /** The signatureValue BIT STRING without its unused-bits byte. */
  signature: Bytes;
}

export function malformed(message: string, cause?: unknown): QtError {
  return new QtError('QT_ERR_CERT_MALFORMED', `The certificate is malformed: ${message}`, undefined, cause ? { cause } : undefined);
}

/** A structural problem; parseCertificateDer turns it into QT_ERR_CERT_MALFORMED, parseCsr into its own code. */
function fail(message: string): never {
  throw new QtError('QT_ERR_DER_MALFORMED', message);
}

function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) fail(t ? `the ${what} has the wrong type` : `the ${what} is missing`);
  return t;
}

function algorithm(der: Bytes, t: Tlv, what: string): AlgorithmFields {
  const [id, params, extra] = childrenOf(der, t);
  if (extra) fail(`the ${what} has more than an OID and parameters`);
  if (params) assertWellFormedValues(der, params);
  const isNull = params?.tag === TAG.null && params.end === params.contentStart;
  return { oid: readOid(der, expect(id, TAG.oid, what)), parameters: params && !isNull ? elementOf(der, params).slice() : undefined };
}

function time(der: Bytes, t: Tlv | undefined, what: string): TimeField {
  if (!t) fail(`${what} is missing`);
  return { date: readTime(der, t), generalized: t.tag === TAG.generalizedTime };
}

/** A small two's-complement INTEGER (the version); anything longer than 4 octets is no version. */
function smallInteger(der: Bytes, t: Tlv): number {
  const length = t.end - t.contentStart;
  if (length < 1 || length > 4) fail('the version is not a small INTEGER');
  let v = 0;
  for (let i = t.contentStart; i < t.end; i++) v = v * 256 + (der[i] as number);
  return (der[t.contentStart] as number) & 0x80 ? v - 2 ** (8 * length) : v;
}

/** Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function extension(der: Bytes, t: Tlv): RawExtension {
  const parts = childrenOf(der, expect(t, TAG.sequence, 'extension'));
  const id = expect(parts[0], TAG.oid, 'extension OID');
  const flag = parts[1]?.tag === TAG.boolean ? parts[1] : undefined;
  const value = expect(parts[flag ? 2 : 1], TAG.octetString, 'extension value');
  if (parts.length > (flag ? 3 : 2)) fail('an extension has extra fields');
  if (flag && flag.end - flag.contentStart !== 1) fail('an extension criticality is not a BOOLEAN');
  return { oid: readOid(der, id), critical: !!flag && der[flag.contentStart] !== 0, value: der.slice(value.contentStart, value.end) };
}

/** Extensions ::= SEQUENCE OF Extension (a certificate's, or a CSR's extensionRequest value). */
export function readExtensionList(der: Bytes, list: Tlv): RawExtension[] {
  return childrenOf(der, list).map((e) => extension(der, e));
}

function structure(der: Bytes): ParsedCertificate {
  const [tbsTlv, algTlv, sigTlv, extra] = childrenOf(der, readWhole(der, TAG.sequence, 'Certificate'));
  expect(tbsTlv, TAG.sequence, 'TBSCertificate');
  expect(algTlv, TAG.sequence, 'signature algorithm');
  expect(sigTlv, TAG.bitString, 'signature');
  if (extra) fail('there is more after the signature');
  const fields = childrenOf(der, tbsTlv!);
  let at = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const [v, more] = childrenOf(der, fields[0]);
    if (more) fail('the version field holds more than an INTEGER');
    version = smallInteger(der, expect(v, TAG.integer, 'version')) + 1;
    at = 1;
  }
  const serial = expect(fields[at++], TAG.integer, 'serial number');
  if (serial.end === serial.contentStart) fail('the serial number is an empty INTEGER');
  const inner = expect(fields[at++], TAG.sequence, 'TBS signature algorithm');
  const issuer = expect(fields[at++], TAG.sequence, 'issuer name');
  const [notBefore, notAfter, moreTimes] = childrenOf(der, expect(fields[at++], TAG.sequence, 'validity'));
  if (moreTimes) fail('the validity holds more than two times');
  const subject = expect(fields[at++], TAG.sequence, 'subject name');
  const spki = expect(fields[at++], TAG.sequence, 'subject public key info');
  // issuerUniqueID [1] and subjectUniqueID [2] (IMPLICIT BIT STRING) are read past; extensions [3] EXPLICIT.
  if (fields[at]?.tag === 0x81) at++;
  if (fields[at]?.tag === 0x82) at++;
  const extensions: RawExtension[] = [];
  if (fields[at]?.tag === 0xa3) {
    const [list, more] = childrenOf(der, fields[at++]!);
    if (more) fail('the extensions field holds more than one list');
    extensions.push(...readExtensionList(der, expect(list, TAG.sequence, 'extension list')));
  }
  if (at !== fields.length) fail('the TBSCertificate has unexpected fields');
  const sig = sigTlv!;
  if (sig.end === sig.contentStart || (der[sig.contentStart] as number) > 7) fail('the signature is not a BIT STRING value');
  return {
    der,
    tbs: elementOf(der, tbsTlv!).slice(),
    version,
    serial: der.slice(serial.contentStart, serial.end),
    innerAlgorithm: algorithm(der, inner, 'TBS signature algorithm'),
    signatureAlgorithm: algorithm(der, algTlv!, 'signature algorithm'),
    issuer: elementOf(der, issuer).slice(),
    subject: elementOf(der, subject).slice(),
    notBefore: time(der, notBefore, 'notBefore'),
    notAfter: time(der, notAfter, 'notAfter'),
    spki: elementOf(der, spki).slice(),
    extensions,
    signature: der.slice(sig.contentStart + 1, sig.end),
  };
}

export function parseCertificateDer(input: DerInput): ParsedCertificate {
  const der = readDer(input, {
    code: 'QT_ERR_CERT_MALFORMED',
    what: 'certificate',
    pemLabels: ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'],
    maxBytes: MAX_CERTIFICATE_BYTES,
  });
  try {
    return structure(der);
  } catch (e) {
    throw malformed((e as Error).message, e);
  }
}
