/**
 * PKCS#8 `ENCRYPTED PRIVATE KEY` files: PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC (RFC 8018).
 *
 * We write the envelope ourselves because Node's `KeyObject.export({ cipher, passphrase })` uses
 * OpenSSL's default of 2,048 PBKDF2 iterations, far below today's advice for a CA key (OWASP 2023:
 * 600,000 for PBKDF2-HMAC-SHA256). Reading stays with OpenSSL (`createPrivateKey`), which takes
 * the iteration count from the file, so `openssl pkey -passin …` reads our files too.
 */
import { createCipheriv, createPrivateKey, pbkdf2, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { oid, parsePemBlocks, QtError, toPem, type PemBlock } from '@qoltanba/pki';
import { derNull, integer, objectIdentifier, octetString, readElement, sequence } from '../der.ts';

export const PBKDF2_ITERATIONS = 600_000;
const PEM_LABEL = 'ENCRYPTED PRIVATE KEY';
const pbkdf2Async = promisify(pbkdf2);

/** Encrypts a plaintext PKCS#8 DER under `passphrase` and returns the PEM text. */
export async function encryptPkcs8(pkcs8: Uint8Array, passphrase: string): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  // Async PBKDF2 runs on libuv's pool, so a server creating a key keeps answering meanwhile.
  const key = await pbkdf2Async(passphrase, salt, PBKDF2_ITERATIONS, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  key.fill(0);
  const algorithm = sequence(
    objectIdentifier(oid.pbes2),
    sequence(
      sequence(
        objectIdentifier(oid.pbkdf2),
        sequence(octetString(salt), integer(PBKDF2_ITERATIONS), sequence(objectIdentifier(oid.hmacSha256), derNull())),
      ),
      sequence(objectIdentifier(oid.aes256Cbc), octetString(iv)),
    ),
  );
  return toPem(PEM_LABEL, sequence(algorithm, octetString(encrypted)));
}

/**
 * Decrypts a key file's text. A file that is not an encrypted PKCS#8 PEM is QT_ERR_KEY_FILE_MALFORMED;
 * one that does not decrypt is QT_ERR_KEY_PASSPHRASE (CBC cannot tell a wrong passphrase from damage).
 */
export function decryptPkcs8Pem(pem: string, passphrase: string): KeyObject {
  let blocks: PemBlock[];
  try {
    blocks = parsePemBlocks(pem);
  } catch {
    blocks = [];
  }
  const block = blocks.length === 1 ? blocks[0] : undefined;
  if (!block || block.label !== PEM_LABEL) {
    throw new QtError('QT_ERR_KEY_FILE_MALFORMED', `The key file must hold exactly one "${PEM_LABEL}" PEM block`);
  }
  try {
    if (readElement(block.der).der.length !== block.der.length) throw new Error('trailing data');
  } catch (e) {
    throw new QtError('QT_ERR_KEY_FILE_MALFORMED', 'The encrypted key is not well-formed DER', undefined, { cause: e });
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch {
    // OpenSSL's own message is dropped on purpose: it adds nothing a user can act on.
    throw new QtError('QT_ERR_KEY_PASSPHRASE');
  }
}
