/**
 * Reading a certificate's structure: the @peculiar/asn1-x509 model for the fields, plus the exact
 * bytes of the parts that are compared or hashed byte for byte (TBS, issuer, subject, public key).
 */
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { QtError } from '../errors.ts';
import { toArrayBuffer, toBytes, type Bytes } from '../encoding.ts';
import { readDer, type DerInput } from './der-input.ts';

/** Far above any real certificate (NCA's are under 2 KB), far below anything that could hurt. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

export interface ParsedCertificate {
  der: Bytes;
  cert: Certificate;
  tbs: Bytes;
  issuer: Bytes;
  subject: Bytes;
  spki: Bytes;
}

export function malformed(message: string, cause?: unknown): QtError {
  return new QtError('QT_ERR_CERT_MALFORMED', `The certificate is malformed: ${message}`, undefined, cause ? { cause } : undefined);
}

/** Raw TBS fields by position; the optional [0] version shifts the rest by one. */
function rawTbsFields(tbs: Bytes): { issuer: Bytes; subject: Bytes; spki: Bytes } {
  const seq = asn1js.fromBER(tbs).result as asn1js.Sequence;
  const fields = seq.valueBlock.value;
  const shift = fields[0]?.idBlock.tagClass === 3 && fields[0].idBlock.tagNumber === 0 ? 1 : 0;
  const raw = (i: number) => {
    const block = fields[i + shift];
    if (!block) throw malformed('the TBSCertificate has too few fields');
    return toBytes(block.valueBeforeDecodeView);
  };
  return { issuer: raw(2), subject: raw(4), spki: raw(5) };
}

export function parseCertificateDer(input: DerInput): ParsedCertificate {
  const der = readDer(input, {
    code: 'QT_ERR_CERT_MALFORMED',
    what: 'certificate',
    pemLabels: ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'],
    maxBytes: MAX_CERTIFICATE_BYTES,
  });
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(toArrayBuffer(der), Certificate);
  } catch (e) {
    throw malformed((e as Error).message, e);
  }
  if (!cert.tbsCertificateRaw) throw malformed('the TBSCertificate could not be located');
  const tbs = toBytes(cert.tbsCertificateRaw);
  return { der, cert, tbs, ...rawTbsFields(tbs) };
}
