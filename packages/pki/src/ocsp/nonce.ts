/** The OCSP nonce extension (RFC 6960 §4.4.1, RFC 8954): 1 to 32 bytes wrapped in an OCTET STRING. */
import { OctetString } from '@peculiar/asn1-schema';
import { Extension } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { toArrayBuffer, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { octetString } from '../der/write.ts';
import { readTlv, TAG } from '../der/read.ts';

export const MAX_NONCE_BYTES = 32;

export function nonceExtension(nonce: Uint8Array): Extension {
  if (nonce.length < 1 || nonce.length > MAX_NONCE_BYTES) {
    throw new QtError('QT_ERR_INPUT_INVALID', `An OCSP nonce must be 1 to ${MAX_NONCE_BYTES} bytes (RFC 8954)`);
  }
  return new Extension({ extnID: oid.ocspNonce, critical: false, extnValue: new OctetString(toArrayBuffer(octetString(nonce))) });
}

/**
 * The nonce value, or undefined when the extension is absent. Some old clients put the bare bytes in
 * extnValue instead of an OCTET STRING; both are accepted, so the echoed value compares equal either way.
 */
export function readNonce(extensions: readonly Extension[] | undefined): Bytes | undefined {
  const ext = extensions?.find((e) => e.extnID === oid.ocspNonce);
  if (!ext) return undefined;
  const value = new Uint8Array(ext.extnValue.buffer);
  try {
    const t = readTlv(value, 0);
    if (t.tag === TAG.octetString && t.end === value.length) return value.slice(t.contentStart);
  } catch {
    // not wrapped: fall through to the bare value
  }
  return value;
}
