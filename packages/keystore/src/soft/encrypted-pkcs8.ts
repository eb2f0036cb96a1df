/**
 * PKCS#8 `ENCRYPTED PRIVATE KEY` files: PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC (RFC 8018).
 *
 * We write the envelope ourselves because Node's `KeyObject.export({ cipher, passphrase })` uses
 * OpenSSL's default of 2,048 PBKDF2 iterations, far below today's advice for a CA key (OWASP 2023:
 * 600,000 for PBKDF2-HMAC-SHA256). The envelope is standard, so `openssl pkey -passin …` reads our
 * RSA files. GOST keys (NCA's Kazakh OIDs) are in the same envelope, but OpenSSL cannot parse what is
 * inside, so `decryptPkcs8Der` opens the envelope itself and hands back the plaintext PKCS#8.
 */
import { createCipheriv, createDecipheriv, createPrivateKey, pbkdf2, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { oid, parsePemBlocks, QtError, toPem, type PemBlock } from '@qoltanba/pki';
import { childrenOf, integer, objectIdentifier, octetString, readOid, readTlv, readUnsigned, sequence, TAG, tlv, type Tlv } from '@qoltanba/pki/der';

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
        sequence(octetString(salt), integer(PBKDF2_ITERATIONS), sequence(objectIdentifier(oid.hmacSha256), tlv(TAG.null))),
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
    if (readTlv(block.der, 0).end !== block.der.length) throw new Error('trailing data');
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

/** The PBKDF2 PRFs and ciphers our envelope may name (what encryptPkcs8 and OpenSSL 3 write). */
const prfs: Readonly<Record<string, 'sha1' | 'sha256'>> = { [oid.hmacSha1]: 'sha1', [oid.hmacSha256]: 'sha256' };
const ciphers: Readonly<Record<string, { name: 'aes-128-cbc' | 'aes-256-cbc'; keyLength: number }>> = {
  [oid.aes128Cbc]: { name: 'aes-128-cbc', keyLength: 16 },
  [oid.aes256Cbc]: { name: 'aes-256-cbc', keyLength: 32 },
};

/**
 * Opens a key file's PBES2 envelope (PBKDF2 + AES-CBC) and returns the plaintext PKCS#8 DER, whatever
 * key it holds. The caller wipes it after use. A file that is not such an envelope is
 * QT_ERR_KEY_FILE_MALFORMED; one that does not decrypt to DER is QT_ERR_KEY_PASSPHRASE.
 */
export async function decryptPkcs8Der(pem: string, passphrase: string): Promise<Buffer> {
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
  let salt: Uint8Array, iterations: number, prf: 'sha1' | 'sha256', cipher: { name: 'aes-128-cbc' | 'aes-256-cbc'; keyLength: number };
  let iv: Uint8Array, ciphertext: Uint8Array;
  try {
    const der = block.der;
    const top = readTlv(der, 0);
    if (top.end !== der.length) throw new Error('trailing data');
    const kids = (t: Tlv | undefined): Tlv[] => childrenOf(der, t!);
    const content = (t: Tlv): Uint8Array => der.subarray(t.contentStart, t.end);
    const [algorithm, encrypted] = kids(top);
    const [schemeOid, schemeParams] = kids(algorithm);
    if (schemeOid?.tag !== TAG.oid || readOid(der, schemeOid) !== oid.pbes2) throw new Error('not PBES2');
    const [kdf, enc] = kids(schemeParams);
    const [kdfOid, kdfParams] = kids(kdf);
    if (readOid(der, kdfOid!) !== oid.pbkdf2) throw new Error('not PBKDF2');
    const [saltEl, iterEl, ...rest] = kids(kdfParams);
    const prfEl = rest.find((e) => e.tag === TAG.sequence);
    const prfName = prfEl ? prfs[readOid(der, kids(prfEl)[0]!)] : 'sha1';
    const [encOid, ivEl] = kids(enc);
    const cipherSpec = ciphers[readOid(der, encOid!)];
    if (!prfName || !cipherSpec || !ivEl || !encrypted) throw new Error('unsupported PBES2 parameters');
    [salt, iterations, prf, cipher, iv, ciphertext] = [content(saltEl!), Number(readUnsigned(der, iterEl!)), prfName, cipherSpec, content(ivEl), content(encrypted)];
  } catch (e) {
    throw new QtError('QT_ERR_KEY_FILE_MALFORMED', 'The encrypted key is not a PBES2 (PBKDF2, AES-CBC) envelope', undefined, { cause: e });
  }
  const key = await pbkdf2Async(passphrase, salt, iterations, cipher.keyLength, prf);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv(cipher.name, key, iv);
    plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new QtError('QT_ERR_KEY_PASSPHRASE');
  } finally {
    key.fill(0);
  }
  try {
    // CBC padding alone passes for about one wrong passphrase in 256; the DER check catches those.
    if (readTlv(plain, 0).end !== plain.length) throw new Error('trailing data');
  } catch {
    plain.fill(0);
    throw new QtError('QT_ERR_KEY_PASSPHRASE');
  }
  return plain;
}

/** The algorithm OID of a plaintext PKCS#8 PrivateKeyInfo. */
export function pkcs8AlgorithmOid(pkcs8: Uint8Array): string {
  try {
    const [, algorithm] = childrenOf(pkcs8, readTlv(pkcs8, 0));
    return readOid(pkcs8, childrenOf(pkcs8, algorithm!)[0]!);
  } catch (e) {
    throw new QtError('QT_ERR_KEY_FILE_MALFORMED', 'The decrypted key is not a PKCS#8 PrivateKeyInfo', undefined, { cause: e });
  }
}
