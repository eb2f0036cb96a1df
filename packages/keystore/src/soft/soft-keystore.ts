/**
 * Keys in files: RSA keys made by node:crypto, kept only as passphrase-encrypted PKCS#8 (mode 0600 in
 * a 0700 directory), unlocked into non-extractable WebCrypto keys that sign in memory. GOST 34.10-2015
 * (512) keys (a GOST CA) live in the same envelope, in NCA's PKCS#8 layout, and unlock into the pki
 * GOST signer, since WebCrypto has no GOST. The passphrase is read from its source each time it is
 * needed and is never stored or put in a message.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateGostKeyPair, gostSigner, kzGostByKeyOid, KZ_GOST_2015_512, QtError, webCryptoSigner, type Bytes, type Signer } from '@qoltanba/pki';
import { rsaKeyBits, type KeyDeleter, type KeyLister, type KeyListing, type KeySpec, type KeyStore } from '../keystore.ts';
import { readSecret, type SecretSource } from '../secrets.ts';
import { decryptPkcs8Der, decryptPkcs8Pem, encryptPkcs8, pkcs8AlgorithmOid } from './encrypted-pkcs8.ts';
import { isSoftKeyName, KEY_FILE_SUFFIX, parseSoftUri, softUri } from './soft-uri.ts';

export interface SoftKeyStoreOptions {
  /** Directory of the key files; created 0700 when missing. */
  dir: string;
  /** A file holding the passphrase (`--passphrase-file`); wins over `passphraseEnv`. */
  passphraseFile?: string;
  /** Environment variable holding the passphrase; default QOLTANBA_PASSPHRASE. */
  passphraseEnv?: string;
}

/** Shorter passphrases are refused when a key is created; a CA key outlives many guesses. */
export const MIN_PASSPHRASE_LENGTH = 12;
const generateKeyPairAsync = promisify(generateKeyPair);
const checksPermissions = process.platform !== 'win32';

export interface UnlockedSoftKey {
  /** Non-extractable RSASSA-PKCS1-v1_5/SHA-256 signing key. */
  privateKey: CryptoKey;
  /** DER SubjectPublicKeyInfo. */
  publicKey: Bytes;
}

/** Turns a decrypted key into a non-extractable WebCrypto key; the plaintext DER is wiped after import. */
export async function unlockSoftKey(key: KeyObject): Promise<UnlockedSoftKey> {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `Soft keys of type ${key.asymmetricKeyType} cannot sign here`);
  }
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  try {
    const privateKey = await globalThis.crypto.subtle.importKey(
      'pkcs8',
      pkcs8,
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const publicKey = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
    return { privateKey, publicKey };
  } finally {
    pkcs8.fill(0);
  }
}

export class SoftKeyStore implements KeyStore, KeyLister, KeyDeleter {
  readonly scheme = 'soft';
  readonly #options: SoftKeyStoreOptions;
  #closed = false;

  constructor(options: SoftKeyStoreOptions) {
    if (!options.dir) throw new QtError('QT_ERR_KEYSTORE_CONFIG', 'A soft key store needs a directory');
    this.#options = options;
  }

  async createKey(uri: string, spec: KeySpec): Promise<Signer> {
    this.#assertOpen();
    const name = parseSoftUri(uri);
    if (spec.algorithm !== 'GOST-2015-512' && (spec.algorithm !== 'RSA' || !rsaKeyBits.includes(spec.bits))) {
      throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `Soft keys are RSA of ${rsaKeyBits.join(', ')} bits or GOST-2015-512`);
    }
    const passphrase = this.#passphrase();
    if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
      throw new QtError('QT_ERR_PASSPHRASE_WEAK', `The key passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`);
    }
    await this.#prepareDirectory();
    if (await this.exists(uri)) throw new QtError('QT_ERR_KEY_EXISTS', `The key ${uri} already exists`);
    if (spec.algorithm === 'GOST-2015-512') return this.#createGostKey(name, passphrase);
    const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: spec.bits, publicExponent: 0x10001 });
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
    let pem: string;
    try {
      pem = await encryptPkcs8(pkcs8, passphrase);
    } finally {
      pkcs8.fill(0);
    }
    // Prove the file opens with this passphrase before it exists: a CA key that cannot be read back is lost.
    decryptPkcs8Pem(pem, passphrase);
    await this.#writeNewFile(name, pem);
    return this.#signer(await unlockSoftKey(privateKey));
  }

  async #createGostKey(name: string, passphrase: string): Promise<Signer> {
    const pair = generateGostKeyPair(KZ_GOST_2015_512);
    let pem: string;
    try {
      pem = await encryptPkcs8(pair.privateKey, passphrase);
    } finally {
      pair.privateKey.fill(0);
    }
    // As for RSA: the file must open with this passphrase before it exists.
    const reopened = await decryptPkcs8Der(pem, passphrase);
    try {
      await this.#writeNewFile(name, pem);
      return this.#wrap(gostSigner(reopened, { publicKey: pair.publicKey }));
    } finally {
      reopened.fill(0);
    }
  }

  async signer(uri: string): Promise<Signer> {
    return this.#open(uri);
  }

  async publicKey(uri: string): Promise<Bytes> {
    return (await this.#open(uri)).publicKey;
  }

  async exists(uri: string): Promise<boolean> {
    this.#assertOpen();
    try {
      await stat(this.#path(parseSoftUri(uri)));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  async listKeys(): Promise<KeyListing[]> {
    this.#assertOpen();
    let entries: string[];
    try {
      entries = await readdir(this.#options.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return entries
      .filter((file) => file.endsWith(KEY_FILE_SUFFIX))
      .map((file) => file.slice(0, -KEY_FILE_SUFFIX.length))
      .filter(isSoftKeyName)
      .sort()
      .map((name) => ({ uri: softUri(name), label: name }));
  }

  async deleteKey(uri: string): Promise<void> {
    this.#assertOpen();
    try {
      await unlink(this.#path(parseSoftUri(uri)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new QtError('QT_ERR_KEY_NOT_FOUND', `No key at ${uri}`);
      throw e;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new QtError('QT_ERR_KEYSTORE_CLOSED');
  }

  #path(name: string): string {
    return join(this.#options.dir, name + KEY_FILE_SUFFIX);
  }

  #passphrase(): string {
    const source: SecretSource = this.#options.passphraseFile
      ? `file:${this.#options.passphraseFile}`
      : `env:${this.#options.passphraseEnv ?? 'QOLTANBA_PASSPHRASE'}`;
    return readSecret(source, 'passphrase');
  }

  async #readKeyFile(uri: string): Promise<string> {
    this.#assertOpen();
    const path = this.#path(parseSoftUri(uri));
    let pem: string;
    try {
      const info = await stat(path);
      if (checksPermissions && info.mode & 0o077) {
        throw new QtError(
          'QT_ERR_KEYSTORE_CONFIG',
          `The key file ${path} is open to other users (mode ${(info.mode & 0o777).toString(8)}); make it 600`,
        );
      }
      pem = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new QtError('QT_ERR_KEY_NOT_FOUND', `No key at ${uri}`);
      throw e;
    }
    return pem;
  }

  /** Decrypts a key file once and returns a Signer for whatever key it holds (RSA or GOST). */
  async #open(uri: string): Promise<Signer> {
    const pkcs8 = await decryptPkcs8Der(await this.#readKeyFile(uri), this.#passphrase());
    try {
      if (kzGostByKeyOid(pkcs8AlgorithmOid(pkcs8))) return this.#wrap(gostSigner(pkcs8));
      return this.#signer(await unlockSoftKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })));
    } finally {
      pkcs8.fill(0);
    }
  }

  async #signer(key: UnlockedSoftKey): Promise<Signer> {
    return this.#wrap(await webCryptoSigner(key.privateKey, key.publicKey, { crypto: globalThis.crypto, hash: 'SHA-256' }));
  }

  /** A Signer that stops working once the store is closed. */
  #wrap(inner: Signer): Signer {
    return {
      publicKey: inner.publicKey,
      algorithm: inner.algorithm,
      sign: async (data) => {
        this.#assertOpen();
        return inner.sign(data);
      },
    };
  }

  /** Creates the directory 0700; refuses one other users can enter, since new secrets would land there. */
  async #prepareDirectory(): Promise<void> {
    const dir = this.#options.dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const info = await stat(dir);
    if (checksPermissions && info.mode & 0o077) {
      throw new QtError(
        'QT_ERR_KEYSTORE_CONFIG',
        `The key directory ${dir} is open to other users (mode ${(info.mode & 0o777).toString(8)}); make it 700`,
      );
    }
  }

  /**
   * Writes through a temporary file and hard-links it into place: a reader never sees half a key, and
   * link() fails if another process created the same key meanwhile instead of overwriting it.
   */
  async #writeNewFile(name: string, pem: string): Promise<void> {
    const temporary = join(this.#options.dir, `.${name}.${randomUUID()}.tmp`);
    const file = await open(temporary, 'wx', 0o600);
    try {
      try {
        await file.writeFile(pem);
        await file.sync();
      } finally {
        await file.close();
      }
      await link(temporary, this.#path(name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new QtError('QT_ERR_KEY_EXISTS', `The key soft:${name} already exists`);
      throw e;
    } finally {
      await unlink(temporary).catch(() => undefined);
    }
  }
}
