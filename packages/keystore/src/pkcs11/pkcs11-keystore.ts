/**
 * Keys on a PKCS#11 token (an HSM in production, SoftHSM2 in tests). Keys are generated on the token
 * as sensitive and never extractable, and every signature is computed by the token (CKM_SHA256_RSA_PKCS);
 * this process only ever sees public keys.
 *
 * A store is one logged-in session on one token. Cryptoki allows one operation at a time per session,
 * so all calls go through a queue; a store that needs more throughput opens more stores (sessions).
 */
import { randomBytes } from 'node:crypto';
import { bytesEqual, oid, QtError, type Bytes, type Signer } from '@qoltanba/pki';
import {
  rsaKeyBits,
  type CertificateHolder,
  type KeyDeleter,
  type KeyLister,
  type KeyListing,
  type KeySpec,
  type KeyStore,
} from '../keystore.ts';
import { isSecretSource, readSecret, type SecretSource } from '../secrets.ts';
import { assertCertificateForKey, certificateFields } from './certificate-fields.ts';
import { acquireModule, defaultModulePath, fromPkcs11Error, p11, type Pkcs11Api, type Pkcs11Module } from './module.ts';
import {
  findObjects,
  findPrivateKey,
  isRsaKey,
  keyIdentifier,
  privateKeyTemplate,
  readAttribute,
  rsaPublicKeyOf,
} from './objects.ts';
import { formatPkcs11Uri, parsePkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.ts';
import { selectToken, tokenMatches, tokenSelector, type TokenInfo } from './tokens.ts';

export interface Pkcs11KeyStoreOptions {
  /** The library when the URI has no module-path; default: SoftHSM2 where the distribution puts it. */
  modulePath?: string;
  /** Where the PIN comes from when the URI has no pin-source. */
  pinSource?: SecretSource;
  /** Accept `pin-value=` in URIs. For tests only: a PIN in a URI ends up in configs, shell history and logs. */
  allowPinValue?: boolean;
}

type Handle = Buffer;
const DER_NULL = new Uint8Array([0x05, 0x00]);
const RSA_F4 = Buffer.from([0x01, 0x00, 0x01]);

function pinFor(uri: Pkcs11Uri, options: Pkcs11KeyStoreOptions): string {
  if (uri.pinValue !== undefined) return uri.pinValue;
  const source = uri.pinSource ?? options.pinSource;
  if (source === undefined) {
    throw new QtError('QT_ERR_SECRET_MISSING', 'No PIN: add pin-source=env:NAME or pin-source=file:PATH to the token URI');
  }
  if (!isSecretSource(source)) throw new QtError('QT_ERR_KEY_URI_MALFORMED', 'PKCS#11 URI: pin-source must be env:NAME or file:PATH');
  return readSecret(source, 'PIN');
}

function login(api: Pkcs11Api, session: Handle, pin: string): void {
  try {
    api.C_Login(session, p11.CKU_USER, pin);
  } catch (e) {
    // Login state belongs to the application, not the session: another store of this process got there first.
    if (e instanceof p11.Pkcs11Error && e.code === p11.CKR_USER_ALREADY_LOGGED_IN) return;
    throw e;
  }
}

export class Pkcs11KeyStore implements KeyStore, KeyLister, KeyDeleter, CertificateHolder {
  readonly scheme = 'pkcs11';
  /** The token this store works on. */
  readonly token: TokenInfo;
  readonly #module: Pkcs11Module;
  readonly #api: Pkcs11Api;
  readonly #session: Handle;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(module: Pkcs11Module, session: Handle, token: TokenInfo) {
    this.#module = module;
    this.#api = module.api;
    this.#session = session;
    this.token = token;
  }

  /** Opens a session on the token the URI names (token=, serial=, slot-id=, …) and logs in with its PIN. */
  static async open(uri: string, options: Pkcs11KeyStoreOptions = {}): Promise<Pkcs11KeyStore> {
    const parsed = parsePkcs11Uri(uri);
    if (parsed.pinValue !== undefined && !options.allowPinValue) {
      throw new QtError('QT_ERR_KEYSTORE_CONFIG', 'pin-value is accepted only in tests; give pin-source=env:NAME or file:PATH');
    }
    const module = acquireModule(parsed.modulePath ?? options.modulePath ?? defaultModulePath());
    let session: Handle | undefined;
    try {
      const slot = selectToken(module.api, parsed);
      session = module.api.C_OpenSession(slot.handle, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
      if (slot.info.loginRequired) login(module.api, session, pinFor(parsed, options));
      return new Pkcs11KeyStore(module, session, slot.info);
    } catch (e) {
      try {
        if (session) module.api.C_CloseSession(session);
      } finally {
        module.release();
      }
      throw fromPkcs11Error(e, 'Opening the token');
    }
  }

  async createKey(uri: string, spec: KeySpec): Promise<Signer> {
    const key = this.#keyUri(uri);
    if (key.object === undefined) throw new QtError('QT_ERR_KEY_URI_MALFORMED', 'PKCS#11 URI: name a new key by object= (its label)');
    if (spec.algorithm !== 'RSA' || !rsaKeyBits.includes(spec.bits)) {
      throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `Token keys are RSA of ${rsaKeyBits.join(', ')} bits`);
    }
    return this.#serial('Creating a key', async () => {
      const taken = (selector: Pkcs11Uri): boolean => findObjects(this.#api, this.#session, privateKeyTemplate(selector)).length > 0;
      if (taken({ object: key.object }) || (key.id !== undefined && taken({ id: key.id }))) {
        throw new QtError('QT_ERR_KEY_EXISTS', `A key labelled "${key.object}" (or with this id) is already on the token`);
      }
      const id = Buffer.from(key.id ?? randomBytes(20));
      const naming = [
        { type: p11.CKA_TOKEN, value: true },
        { type: p11.CKA_LABEL, value: key.object },
        { type: p11.CKA_ID, value: id },
      ];
      const pair = await this.#api.C_GenerateKeyPairAsync(
        this.#session,
        { mechanism: p11.CKM_RSA_PKCS_KEY_PAIR_GEN },
        [
          { type: p11.CKA_CLASS, value: p11.CKO_PUBLIC_KEY },
          { type: p11.CKA_KEY_TYPE, value: p11.CKK_RSA },
          ...naming,
          { type: p11.CKA_PRIVATE, value: false },
          { type: p11.CKA_VERIFY, value: true },
          { type: p11.CKA_ENCRYPT, value: false },
          { type: p11.CKA_WRAP, value: false },
          { type: p11.CKA_MODULUS_BITS, value: spec.bits },
          { type: p11.CKA_PUBLIC_EXPONENT, value: RSA_F4 },
        ],
        [
          { type: p11.CKA_CLASS, value: p11.CKO_PRIVATE_KEY },
          { type: p11.CKA_KEY_TYPE, value: p11.CKK_RSA },
          ...naming,
          { type: p11.CKA_PRIVATE, value: true },
          { type: p11.CKA_SENSITIVE, value: true },
          { type: p11.CKA_EXTRACTABLE, value: false },
          // A signing key does nothing else, so a stolen session cannot turn it into a decryption oracle.
          { type: p11.CKA_SIGN, value: true },
          { type: p11.CKA_DECRYPT, value: false },
          { type: p11.CKA_UNWRAP, value: false },
          { type: p11.CKA_DERIVE, value: false },
        ],
      );
      try {
        const spki = rsaPublicKeyOf(this.#api, this.#session, pair.privateKey);
        if (key.id === undefined) {
          // The id becomes the certificate's SKI, so the key, its certificate and the NCA-style key file
          // names (lowercase hex SKI) all share one identifier.
          const ski = [{ type: p11.CKA_ID, value: keyIdentifier(spki) }];
          this.#api.C_SetAttributeValue(this.#session, pair.privateKey, ski);
          this.#api.C_SetAttributeValue(this.#session, pair.publicKey, ski);
        }
        return this.#signerFor(pair.privateKey, spki);
      } catch (e) {
        this.#api.C_DestroyObject(this.#session, pair.privateKey);
        this.#api.C_DestroyObject(this.#session, pair.publicKey);
        throw e;
      }
    });
  }

  async signer(uri: string): Promise<Signer> {
    const key = this.#keyUri(uri);
    return this.#serial('Finding the key', () => {
      const found = findPrivateKey(this.#api, this.#session, key);
      return this.#signerFor(found.handle, rsaPublicKeyOf(this.#api, this.#session, found.handle));
    });
  }

  async publicKey(uri: string): Promise<Bytes> {
    const key = this.#keyUri(uri);
    return this.#serial('Reading the public key', () =>
      rsaPublicKeyOf(this.#api, this.#session, findPrivateKey(this.#api, this.#session, key).handle),
    );
  }

  async exists(uri: string): Promise<boolean> {
    const key = this.#keyUri(uri);
    return this.#serial('Looking for the key', () => findObjects(this.#api, this.#session, privateKeyTemplate(key)).length > 0);
  }

  async listKeys(): Promise<KeyListing[]> {
    return this.#serial('Listing keys', () =>
      findObjects(this.#api, this.#session, [{ type: p11.CKA_CLASS, value: p11.CKO_PRIVATE_KEY }]).map((handle) => {
        const label = readAttribute(this.#api, this.#session, handle, p11.CKA_LABEL).toString('utf8');
        const id = readAttribute(this.#api, this.#session, handle, p11.CKA_ID);
        const listing: KeyListing = {
          uri: formatPkcs11Uri({ ...tokenSelector(this.token), object: label, id: new Uint8Array(id), type: 'private' }),
          label,
          id: id.toString('hex'),
        };
        if (isRsaKey(this.#api, this.#session, handle)) listing.publicKey = rsaPublicKeyOf(this.#api, this.#session, handle);
        const certificate = this.#certificatesFor(id)[0];
        if (certificate) listing.certificate = this.#valueOf(certificate);
        return listing;
      }),
    );
  }

  async deleteKey(uri: string): Promise<void> {
    const key = this.#keyUri(uri);
    return this.#serial('Deleting the key', () => {
      const found = findPrivateKey(this.#api, this.#session, key);
      const modulus = readAttribute(this.#api, this.#session, found.handle, p11.CKA_MODULUS);
      const publicKeys = findObjects(this.#api, this.#session, [
        { type: p11.CKA_CLASS, value: p11.CKO_PUBLIC_KEY },
        { type: p11.CKA_ID, value: found.id },
      ]).filter((h) => readAttribute(this.#api, this.#session, h, p11.CKA_MODULUS).equals(modulus));
      this.#api.C_DestroyObject(this.#session, found.handle);
      for (const handle of publicKeys) this.#api.C_DestroyObject(this.#session, handle);
    });
  }

  /**
   * Stores the certificate with the key's CKA_ID and label, as NCALayer-style software expects to find
   * it. A newer certificate for the same key (renewal) replaces the older one.
   */
  async storeCertificate(keyUri: string, certificate: Uint8Array, options: { label?: string } = {}): Promise<void> {
    const key = this.#keyUri(keyUri);
    return this.#serial('Storing the certificate', () => {
      const found = findPrivateKey(this.#api, this.#session, key);
      assertCertificateForKey(certificate, rsaPublicKeyOf(this.#api, this.#session, found.handle));
      if (found.id.length === 0) throw new QtError('QT_ERR_PKCS11', 'The key has no CKA_ID, so no certificate can be paired with it');
      const older = this.#certificatesFor(found.id);
      if (older.some((handle) => bytesEqual(this.#valueOf(handle), certificate))) return;
      const fields = certificateFields(certificate);
      this.#api.C_CreateObject(this.#session, [
        { type: p11.CKA_CLASS, value: p11.CKO_CERTIFICATE },
        { type: p11.CKA_CERTIFICATE_TYPE, value: p11.CKC_X_509 },
        { type: p11.CKA_TOKEN, value: true },
        { type: p11.CKA_PRIVATE, value: false },
        { type: p11.CKA_LABEL, value: options.label ?? found.label },
        { type: p11.CKA_ID, value: found.id },
        { type: p11.CKA_SUBJECT, value: Buffer.from(fields.subject) },
        { type: p11.CKA_ISSUER, value: Buffer.from(fields.issuer) },
        { type: p11.CKA_SERIAL_NUMBER, value: Buffer.from(fields.serialNumber) },
        { type: p11.CKA_VALUE, value: Buffer.from(certificate) },
      ]);
      for (const handle of older) this.#api.C_DestroyObject(this.#session, handle);
    });
  }

  async certificate(keyUri: string): Promise<Bytes | undefined> {
    const key = this.#keyUri(keyUri);
    return this.#serial('Reading the certificate', () => {
      const found = findPrivateKey(this.#api, this.#session, key);
      const handle = found.id.length > 0 ? this.#certificatesFor(found.id)[0] : undefined;
      return handle ? this.#valueOf(handle) : undefined;
    });
  }

  /** Lets queued operations finish, then closes the session; the last store of a module finalizes it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    try {
      this.#api.C_CloseSession(this.#session);
    } catch (e) {
      // A removed token has already dropped the session; the module must still be released.
      if (!(e instanceof p11.Pkcs11Error)) throw e;
    } finally {
      this.#module.release();
    }
  }

  /** Parses a key URI; token attributes in it, when given, must name this store's token. */
  #keyUri(uri: string): Pkcs11Uri {
    const parsed = parsePkcs11Uri(uri);
    if (!tokenMatches(this.token, parsed)) {
      throw new QtError('QT_ERR_TOKEN_NOT_FOUND', `The URI names another token than this store's ("${this.token.label}")`);
    }
    return parsed;
  }

  #serial<T>(doing: string, operation: () => T | Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new QtError('QT_ERR_KEYSTORE_CLOSED'));
    const run = this.#queue.then(operation).catch((e: unknown) => {
      throw fromPkcs11Error(e, doing);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #signerFor(key: Handle, spki: Bytes): Signer {
    const signatureLength = readAttribute(this.#api, this.#session, key, p11.CKA_MODULUS).length;
    return {
      publicKey: spki,
      algorithm: { oid: oid.sha256WithRsa, parameters: DER_NULL },
      sign: (data) =>
        this.#serial('Signing', async () => {
          this.#api.C_SignInit(this.#session, { mechanism: p11.CKM_SHA256_RSA_PKCS }, key);
          const signature = await this.#api.C_SignAsync(this.#session, Buffer.from(data), Buffer.alloc(signatureLength));
          return new Uint8Array(signature);
        }),
    };
  }

  #certificatesFor(id: Buffer): Handle[] {
    if (id.length === 0) return [];
    return findObjects(this.#api, this.#session, [
      { type: p11.CKA_CLASS, value: p11.CKO_CERTIFICATE },
      { type: p11.CKA_ID, value: id },
    ]);
  }

  #valueOf(object: Handle): Bytes {
    return new Uint8Array(readAttribute(this.#api, this.#session, object, p11.CKA_VALUE));
  }
}
