/** The few certificate facts signed documents need: who issued it, its serial, key, SKI and validity. */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { bytesEqual, derFrom, toArrayBuffer, type Bytes } from '../encoding.ts';

export interface CertificateFacts {
  der: Bytes;
  parsed: Certificate;
  /** DER of the issuer Name. */
  issuer: Bytes;
  /** Serial number INTEGER contents, minimal (no leading zero bytes). */
  serial: Bytes;
  spki: Bytes;
  subjectKeyIdentifier: Bytes | undefined;
  notBefore: Date;
  notAfter: Date;
}

export function readCertificate(input: Uint8Array | string): CertificateFacts {
  let der: Bytes;
  let parsed: Certificate;
  try {
    der = derFrom(input);
    parsed = AsnConvert.parse(toArrayBuffer(der), Certificate);
  } catch (e) {
    throw new QtError('QT_ERR_CERT_MALFORMED', `The certificate cannot be read: ${(e as Error).message}`, undefined, { cause: e });
  }
  return factsOf(der, parsed);
}

/**
 * The facts of a certificate a tree parser already read (a SignedData's certificates field), with `der` its
 * encoding: the second parse readCertificate would make of the same bytes cost ≈ 1 ms per certificate of
 * every CMS verified (profile of bench/reissue.ts).
 */
export function readParsedCertificate(der: Bytes, parsed: Certificate): CertificateFacts {
  return factsOf(der, parsed);
}

function factsOf(der: Bytes, parsed: Certificate): CertificateFacts {
  const tbs = parsed.tbsCertificate;
  const skiExt = tbs.extensions?.find((x) => x.extnID === oid.subjectKeyIdentifier);
  return {
    der,
    parsed,
    issuer: new Uint8Array(AsnConvert.serialize(tbs.issuer)),
    serial: minimalInteger(new Uint8Array(tbs.serialNumber)),
    spki: new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)),
    subjectKeyIdentifier: skiExt
      ? new Uint8Array(AsnConvert.parse(skiExt.extnValue.buffer, SubjectKeyIdentifier).buffer)
      : undefined,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
  };
}

export function minimalInteger(bytes: Uint8Array): Bytes {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.slice(i);
}

export function sameSerial(a: Uint8Array, b: Uint8Array): boolean {
  return bytesEqual(minimalInteger(a), minimalInteger(b));
}

/** Throws when `at` falls outside the certificate's validity (chain and revocation are path/'s job). */
export function assertValidAt(cert: CertificateFacts, at: Date): void {
  if (at.getTime() < cert.notBefore.getTime()) {
    throw new QtError('QT_ERR_CERT_NOT_YET_VALID', `The signer certificate is valid only from ${cert.notBefore.toISOString()}`, {
      notBefore: cert.notBefore.toISOString(),
      at: at.toISOString(),
    });
  }
  if (at.getTime() > cert.notAfter.getTime()) {
    throw new QtError('QT_ERR_CERT_EXPIRED', `The signer certificate expired on ${cert.notAfter.toISOString()}`, {
      notAfter: cert.notAfter.toISOString(),
      at: at.toISOString(),
    });
  }
}
