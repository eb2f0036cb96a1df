/**
 * The certificate fields PKCS#11 wants as attributes of a CKO_CERTIFICATE object (CKA_SUBJECT is
 * required; CKA_ISSUER and CKA_SERIAL_NUMBER let other software find the certificate by them), and a
 * check that the certificate belongs to the key it is stored next to.
 */
import { X509Certificate } from 'node:crypto';
import { bytesEqual, QtError } from '@qoltanba/pki';
import { childrenOf, readTlv, TAG } from '@qoltanba/pki/der';

export interface CertificateFields {
  /** DER of the subject Name. */
  subject: Uint8Array;
  /** DER of the issuer Name. */
  issuer: Uint8Array;
  /** DER of the serialNumber INTEGER (tag and length included, as PKCS#11 specifies). */
  serialNumber: Uint8Array;
}

export function certificateFields(der: Uint8Array): CertificateFields {
  try {
    const [tbs] = childrenOf(der, readTlv(der, 0));
    if (!tbs) throw new Error('no TBSCertificate');
    const fields = childrenOf(der, tbs);
    // version is an optional [0] EXPLICIT field in front of the serial number.
    const rest = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
    const [serialNumber, , issuer, , subject] = rest;
    if (!serialNumber || serialNumber.tag !== TAG.integer || !issuer || !subject) throw new Error('missing TBSCertificate fields');
    const whole = (t: { start: number; end: number }): Uint8Array => der.subarray(t.start, t.end);
    return { subject: whole(subject), issuer: whole(issuer), serialNumber: whole(serialNumber) };
  } catch (e) {
    throw new QtError('QT_ERR_CERT_MALFORMED', 'The certificate to store is malformed', undefined, { cause: e });
  }
}

/** Throws QT_ERR_KEY_MISMATCH unless the certificate's public key is `spki`. */
export function assertCertificateForKey(der: Uint8Array, spki: Uint8Array): void {
  let certificateKey: Uint8Array;
  try {
    const certificate = new X509Certificate(der);
    certificateKey = certificate.publicKey.export({ type: 'spki', format: 'der' });
  } catch (e) {
    throw new QtError('QT_ERR_CERT_MALFORMED', 'The certificate to store cannot be read', undefined, { cause: e });
  }
  if (!bytesEqual(certificateKey, spki)) {
    throw new QtError('QT_ERR_KEY_MISMATCH', 'The certificate is for another key; it was not stored');
  }
}
