/**
 * What kind of object a file holds. PEM labels and XML say it outright; for DER the outer structure does:
 * Certificate and CertificateList are both SEQUENCE{SEQUENCE, SEQUENCE, BIT STRING} and differ in the first
 * field of the TBS ([0] version for certificates), OCSPResponse starts with an ENUMERATED status, CMS
 * ContentInfo with an OBJECT IDENTIFIER.
 */
import { derFrom, fromUtf8, isPem, parsePemBlocks, type Bytes } from '../encoding.ts';

/** What `qoltanba verify` and verifyDocument recognise. */
export type VerifiableKind = 'certificate' | 'crl' | 'ocsp' | 'cms' | 'xml';

const pemKinds: Record<string, VerifiableKind> = {
  CERTIFICATE: 'certificate',
  'X509 CRL': 'crl',
  CMS: 'cms',
  PKCS7: 'cms',
  'OCSP RESPONSE': 'ocsp',
};

export function detectKind(data: Bytes): VerifiableKind | undefined {
  const head = fromUtf8(data.subarray(0, 512)).trimStart();
  if (head.startsWith('<')) return 'xml';
  if (isPem(data)) {
    const first = parsePemBlocks(fromUtf8(data))[0];
    return first ? pemKinds[first.label] : undefined;
  }
  let der: Bytes;
  try {
    der = derFrom(data);
  } catch {
    return undefined;
  }
  return detectDer(der);
}

function detectDer(der: Bytes): VerifiableKind | undefined {
  if (der[0] !== 0x30) return undefined;
  const inner = skipHeader(der, 0);
  if (inner === undefined) return undefined;
  const firstTag = der[inner];
  if (firstTag === 0x0a) return 'ocsp';
  if (firstTag === 0x06) return 'cms';
  if (firstTag !== 0x30) return undefined;
  const tbsContent = skipHeader(der, inner);
  if (tbsContent === undefined) return undefined;
  return der[tbsContent] === 0xa0 ? 'certificate' : 'crl';
}

/** Offset of an element's content, or undefined when the header is unreadable. */
function skipHeader(der: Bytes, at: number): number | undefined {
  const len = der[at + 1];
  if (len === undefined) return undefined;
  if (len < 0x80) return at + 2;
  const n = len & 0x7f;
  return n >= 1 && n <= 4 ? at + 2 + n : undefined;
}
