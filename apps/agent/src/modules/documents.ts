/** Turning the data a site sends into bytes to sign, refusing what cannot be signed before the user is asked. */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fromBase64, QtError, SignedDataEditor, utf8 } from '@qoltanba/pki';

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

/** A CMS a site hands over (to stamp or co-sign): PEM ("CMS" or "PKCS7") or base64 DER; it must decode as SignedData. */
export function decodeCmsArgument(text: string, what = 'CMS'): Uint8Array {
  const trimmed = text.trim();
  let der: Uint8Array;
  if (trimmed.startsWith('-----BEGIN')) {
    const m = /^-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----$/.exec(trimmed);
    if (!m || !['CMS', 'PKCS7'].includes(m[1] as string)) throw new QtError('QT_ERR_PEM_MALFORMED', `The ${what} is not a "CMS" or "PKCS7" PEM block`);
    der = fromBase64Strict((m[2] as string).replace(/\s+/g, ''), what);
  } else {
    der = fromBase64Strict(trimmed, what);
  }
  SignedDataEditor.open(der); // throws QT_ERR_CMS_MALFORMED / QT_ERR_DER_MALFORMED for anything else
  return der;
}

/** Files larger than this are not signed from a path (a 10 MB document is the largest sites send). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/**
 * The file a site names for createCMSSignatureFromFile / createCAdESFromFile: an absolute path to a regular
 * file of bounded size. Read before the person is asked, so the page shows what will really be signed.
 */
export async function readSignableFile(path: string): Promise<{ content: Uint8Array; path: string }> {
  if (!isAbsolute(path)) throw new QtError('QT_ERR_AGENT_PARAMS_INVALID', 'The file must be named by its full (absolute) path');
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new QtError('QT_ERR_AGENT_PARAMS_INVALID', `There is no file ${path}`);
  }
  if (!info.isFile()) throw new QtError('QT_ERR_AGENT_PARAMS_INVALID', `${path} is not a regular file`);
  if (info.size > MAX_FILE_BYTES) throw new QtError('QT_ERR_TOO_LARGE', `${path} is larger than ${MAX_FILE_BYTES} bytes`);
  const content = new Uint8Array(await readFile(path));
  if (content.length === 0) throw new QtError('QT_ERR_AGENT_PARAMS_INVALID', `${path} is empty: there is nothing to sign`);
  return { content, path: resolve(path) };
}
