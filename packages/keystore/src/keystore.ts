/**
 * Key custody behind one small interface (smallstep's KeyManager idea): a store creates keys and hands
 * out Signers for them; keys are named by URI so configuration can point at a file key or an HSM key
 * without code changes. Abilities only some stores have (listing, certificates on a token, deleting)
 * are separate small interfaces a caller checks for, instead of methods that throw "not supported".
 */
import type { Bytes, Signer } from '@qoltanba/pki';

export type RsaKeyBits = 2048 | 3072 | 4096;

/**
 * What key to create: RSA, or GOST 34.10-2015 (512) — NCA's current GOST, on the tc26 paramSetA curve
 * with NCA's OIDs (soft keys only: tokens would need a Kazakh-GOST PKCS#11 mechanism).
 */
export type KeySpec = { algorithm: 'RSA'; bits: RsaKeyBits } | { algorithm: 'GOST-2015-512' };

export const rsaKeyBits: readonly RsaKeyBits[] = [2048, 3072, 4096];

export interface KeyStore {
  /** `soft` or `pkcs11`: the URI scheme this store answers. */
  readonly scheme: string;
  /** Creates a key at `uri` (refusing to replace one) and returns its Signer (RSA/SHA-256, or GOST). */
  createKey(uri: string, spec: KeySpec): Promise<Signer>;
  /** A Signer for an existing key. The private key never leaves the store's custody. */
  signer(uri: string): Promise<Signer>;
  /** DER SubjectPublicKeyInfo of an existing key. */
  publicKey(uri: string): Promise<Bytes>;
  exists(uri: string): Promise<boolean>;
  /** Releases sessions and modules; Signers handed out stop working. Safe to call twice. */
  close(): Promise<void>;
}

export interface KeyListing {
  /** A URI that names this key in the same store. */
  uri: string;
  label: string;
  /** PKCS#11 CKA_ID, lowercase hex (by our convention the SHA-1 key identifier, as in the certificate's SKI). */
  id?: string;
  /** DER SPKI, where the store can tell it without unlocking the key. */
  publicKey?: Bytes;
  /** DER certificate stored next to the key (same CKA_ID), if any. */
  certificate?: Bytes;
}

export interface KeyLister {
  listKeys(): Promise<KeyListing[]>;
}

export interface KeyDeleter {
  /** Deletes the key (and, on a token, its public key object); certificates are left alone. */
  deleteKey(uri: string): Promise<void>;
}

export interface CertificateHolder {
  /** Stores a DER certificate next to the key at `keyUri`; refuses a certificate for another key. */
  storeCertificate(keyUri: string, certificate: Uint8Array, options?: { label?: string }): Promise<void>;
  /** The DER certificate stored next to the key, if any. */
  certificate(keyUri: string): Promise<Bytes | undefined>;
}

export function canListKeys<T extends KeyStore>(store: T): store is T & KeyLister {
  return typeof (store as Partial<KeyLister>).listKeys === 'function';
}

export function canDeleteKeys<T extends KeyStore>(store: T): store is T & KeyDeleter {
  return typeof (store as Partial<KeyDeleter>).deleteKey === 'function';
}

export function canHoldCertificates<T extends KeyStore>(store: T): store is T & CertificateHolder {
  return typeof (store as Partial<CertificateHolder>).storeCertificate === 'function';
}
