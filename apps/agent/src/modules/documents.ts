/** Turning the data a site sends into bytes to sign, refusing what cannot be signed before the user is asked. */
import { fromBase64, QtError, utf8 } from '@qoltanba/pki';

/** Digest lengths a key we can use may sign (SHA-256, SHA-384, SHA-512/Streebog-512). */
const DIGEST_LENGTHS: Readonly<Record<number, string>> = { 32: 'SHA-256', 48: 'SHA-384', 64: 'SHA-512' };

export function decodeDocument(data: string, decode: boolean, what = 'data'): Uint8Array {
  const bytes = decode ? fromBase64Strict(data, what) : utf8(data);
  if (bytes.length === 0) throw new QtError('QT_ERR_AGENT_PARAMS_INVALID', `The ${what} is empty: there is nothing to sign`);
  return bytes;
}

function fromBase64Strict(data: string, what: string): Uint8Array {
  try {
    return fromBase64(data);
  } catch {
    throw new QtError('QT_ERR_BASE64_MALFORMED', `The ${what} is not valid base64`);
  }
}

/** A hash to sign, with the algorithm its length implies (shown to the user; the key's own digest is checked when signing). */
export function decodeDigest(data: string): { digest: Uint8Array; algorithm: string } {
  const digest = fromBase64Strict(data, 'hash');
  const algorithm = DIGEST_LENGTHS[digest.length];
  if (!algorithm) {
    throw new QtError('QT_ERR_AGENT_PARAMS_INVALID', `The hash is ${digest.length} bytes long; a SHA-256 hash is 32 bytes`);
  }
  return { digest, algorithm };
}
