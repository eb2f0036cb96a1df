/** What the consent page and the signing code know about keys, whatever storage holds them. */
import type { Bytes, Signer } from '@qoltanba/pki';

/** NCALayer's name for the file storage; tokens have their own names (AKKaztokenStore, …). */
export const PKCS12_STORAGE = 'PKCS12';

/** A place the user can take keys from, as listed on the consent page. */
export interface KeySource {
  /** Stable for the agent's lifetime; what the consent form posts back. */
  readonly id: string;
  /** NCALayer storage name ("PKCS12", "AKKaztokenStore", …). */
  readonly storage: string;
  readonly kind: 'file' | 'upload' | 'token';
  /** File name or token label, shown to the user. */
  readonly label: string;
  /** Where the file lies, or the token's manufacturer/model; shown in smaller print. */
  readonly detail?: string;
}

/** A certificate as the user and the filters see it. */
export interface KeyDescription {
  kind: 'AUTH' | 'SIGN' | 'OTHER';
  subjectCn: string;
  subjectDn: string;
  iin?: string;
  bin?: string;
  organisation?: string;
  issuerCn: string;
  issuerDn: string;
  /** Lower-case hex, as NCALayer prints it. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  extKeyUsage: string[];
  /** e.g. "RSA", "ECDSA", "GOST"; NCALayer's getKeyInfo `algorithm`. */
  keyAlgorithm: string;
  /** Lower-case hex SubjectKeyIdentifier / AuthorityKeyIdentifier when present. */
  subjectKeyId?: string;
  authorityKeyId?: string;
}

/** One unlocked key with its certificate, ready to sign. */
export interface UsableKey {
  readonly source: KeySource;
  /** NCALayer's alias: the PKCS#12 friendlyName or the token object's label/id. */
  readonly alias: string;
  readonly certificate: Bytes;
  /** Issuer first, as far as the storage holds it (NCA key files carry none; tokens may). */
  readonly chain: readonly Bytes[];
  readonly description: KeyDescription;
  readonly signer: Signer;
}

/** A storage opened with the user's password or PIN; `close` forgets keys and logs out of tokens. */
export interface UnlockedSource {
  readonly keys: readonly UsableKey[];
  close(): Promise<void>;
}

export interface KeySources {
  /** The sources available now (files in the key folders, the upload slot, tokens that are plugged in). */
  list(): Promise<KeySource[]>;
  /**
   * Opens a source. A wrong password/PIN throws QT_ERR_PKCS12_PASSWORD or QT_ERR_PIN_INCORRECT, which the consent
   * page counts as a failed attempt; `upload` carries the bytes of a file the user chose in the page.
   */
  unlock(source: KeySource, secret: string, upload?: Uint8Array): Promise<UnlockedSource>;
  /** Storage names of tokens really present now (getActiveTokens). */
  activeTokenStorages(): Promise<string[]>;
}
