/**
 * Creating the AUTH and SIGN key pairs for (re)issuance and their PKCS#10 requests, signed by the new keys.
 * RSA-2048, or GOST 34.10-2015 (512) as NCA issues today (key files only: a token would need the Kazakh
 * GOST mechanisms of its vendor's PKCS#11 library, which SoftHSM and generic tokens lack).
 * In a key file's case the private keys are sealed under the user's new password at once; on a token they are
 * generated there and never leave it.
 *
 * Key-file pairs may be made ahead (`prepareFileKeys`) while the person reads the page and types the new
 * password, so that after the click only the sealing and the CSRs remain; pairs that end up unused (a token was
 * chosen, the request was cancelled) are wiped.
 */
import {
  createCsr,
  generateGostKeyPair,
  generateRsaKeyPair,
  getCrypto,
  gostSigner,
  KZ_GOST_2015_512,
  QtError,
  toBase64,
  webCryptoSigner,
  type Bytes,
  type Signer,
} from '@qoltanba/pki';
import type { Pkcs11Tokens } from '../keystores/pkcs11-source.ts';
import type { KeySource } from '../keystores/types.ts';
import { PendingKeyStore, type PendingKey, type PendingKeyType, type PendingRequest } from './pending-store.ts';
import { deriveSealingKey, sealWith } from './seal.ts';

export const KEY_ALGORITHMS = ['RSA-2048', 'GOST-2015-512'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** Algorithms a token can generate here (see the header). */
export const TOKEN_KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['RSA-2048'];

/** A new key pair in memory: its signer (for the CSR) and its PKCS#8 (to be sealed at once). */
type FileKey = { signer: Signer; pkcs8: Bytes };

/** Key pairs made ahead for a request's key files; `wipe` clears every private key that was not used. */
export interface PreparedFileKeys {
  readonly algorithm: KeyAlgorithm;
  /** The pairs, the first time only: a second generation (after a failed attempt) makes new ones. */
  take(): Promise<FileKey[]> | undefined;
  wipe(): Promise<void>;
}

export function prepareFileKeys(algorithm: KeyAlgorithm, count: number): PreparedFileKeys {
  const keys = Promise.all(Array.from({ length: count }, () => newFileKey(algorithm)));
  keys.catch(() => {}); // a failure is reported when the keys are used, never as an unhandled rejection
  let taken = false;
  return {
    algorithm,
    take() {
      if (taken) return undefined;
      taken = true;
      return keys;
    },
    async wipe() {
      for (const k of await keys.catch(() => [] as FileKey[])) k.pkcs8.fill(0);
    },
  };
}

async function newFileKey(algorithm: KeyAlgorithm): Promise<{ signer: Signer; pkcs8: Bytes }> {
  if (algorithm === 'GOST-2015-512') {
    const pair = generateGostKeyPair(KZ_GOST_2015_512);
    return { signer: gostSigner(pair.privateKey, { publicKey: pair.publicKey }), pkcs8: pair.privateKey };
  }
  const pair = await generateRsaKeyPair(2048);
  const signer = await webCryptoSigner(pair.privateKey, pair.publicKey);
  return { signer, pkcs8: new Uint8Array(await getCrypto().subtle.exportKey('pkcs8', pair.privateKey)) };
}

export type GenerationTarget =
  | { kind: 'file'; password: string }
  | { kind: 'token'; source: KeySource; pin: string };

export interface GenerationRequest {
  origin: string;
  keyTypes: readonly PendingKeyType[];
  algorithm: KeyAlgorithm;
  /** DER subject for the CSRs as the site proposes it (the CA takes the certificate's subject from the RA anyway). */
  subject?: Uint8Array;
  /** Key-file pairs made ahead (one per key type); used once, for a key-file target only. */
  prepared?: PreparedFileKeys;
}

/** The sealing context binds a sealed key to its request and purpose. */
export function sealContext(requestId: string, keyType: PendingKeyType): string {
  return `qoltanba-pending-key:${requestId}:${keyType}`;
}

async function csrPem(signer: Signer, subject: GenerationRequest['subject']): Promise<string> {
  return (await createCsr(signer, subject)).pem;
}

export async function generateKeys(request: GenerationRequest, target: GenerationTarget, tokens: Pkcs11Tokens): Promise<PendingRequest> {
  const requestId = PendingKeyStore.newRequestId();
  const keys: PendingKey[] = [];
  if (target.kind === 'file') {
    // The key pairs and the sealing key's scrypt run at once (each on a thread of its own); see seal.ts for why
    // one derivation seals the keys of a request.
    const ahead = request.prepared?.algorithm === request.algorithm ? request.prepared.take() : undefined;
    const [pairs, sealing] = await Promise.all([ahead ?? Promise.all(request.keyTypes.map(() => newFileKey(request.algorithm))), deriveSealingKey(target.password)]);
    try {
      for (const [i, keyType] of request.keyTypes.entries()) {
        const { signer, pkcs8 } = pairs[i] as Awaited<ReturnType<typeof newFileKey>>;
        keys.push({
          keyType,
          publicKey: toBase64(signer.publicKey),
          csr: await csrPem(signer, request.subject),
          sealed: sealWith(sealing, pkcs8, sealContext(requestId, keyType)),
        });
        pkcs8.fill(0);
      }
    } finally {
      sealing.wipe();
    }
    return { requestId, createdAt: new Date().toISOString(), origin: request.origin, storage: 'PKCS12', keys };
  }
  if (!TOKEN_KEY_ALGORITHMS.includes(request.algorithm)) {
    throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `${request.algorithm} keys can be created in key files only, not on a token`);
  }
  const store = await tokens.openStore(target.source, target.pin);
  const token = tokens.source(target.source.id);
  try {
    for (const keyType of request.keyTypes) {
      const keyLabel = `${keyType === 'AUTHENTICATION' ? 'AUTH' : 'SIGN'}_${requestId}`;
      const signer = await store.createKey(`pkcs11:object=${encodeURIComponent(keyLabel)}`, { algorithm: 'RSA', bits: 2048 });
      keys.push({ keyType, publicKey: toBase64(signer.publicKey), csr: await csrPem(signer, request.subject), onToken: { keyLabel } });
    }
  } finally {
    await store.close();
  }
  return {
    requestId,
    createdAt: new Date().toISOString(),
    origin: request.origin,
    storage: target.source.storage,
    token: { library: token?.library ?? '', label: store.token.label ?? '', serial: store.token.serial },
    keys,
  };
}
