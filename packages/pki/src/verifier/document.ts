/** One entry for any signed document: what it is decides how it is judged. */
import { QtError } from '@qoltanba/errors';
import { fromUtf8, type Bytes } from '../encoding.ts';
import { verifyCertificateDocument } from './certificate.ts';
import { verifyCmsDocument } from './cms.ts';
import { detectKind } from './detect.ts';
import { verifyXmlDocument } from './xml.ts';
import type { DocumentVerdict, VerifyDocumentOptions } from './types.ts';

/**
 * Verifies a certificate, a CMS signature or a signed XML (DER, PEM, base64 or XML text) as of a time,
 * chain and revocation included. Throws a QtError when the input is not a readable document of these
 * kinds or exceeds the limits; every other outcome is a verdict.
 */
export async function verifyDocument(input: Bytes | string, options: VerifyDocumentOptions): Promise<DocumentVerdict> {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const kind = detectKind(bytes);
  switch (kind) {
    case 'certificate':
      return verifyCertificateDocument(bytes, options);
    case 'cms':
      return verifyCmsDocument(bytes, options);
    case 'xml':
      return verifyXmlDocument(typeof input === 'string' ? input : fromUtf8(bytes), options);
    default:
      throw new QtError(
        'QT_ERR_INPUT_INVALID',
        kind ? `A ${kind === 'crl' ? 'CRL' : 'OCSP response'} is evidence, not a signed document` : 'The input is not a certificate, a CMS signature or a signed XML document',
      );
  }
}
