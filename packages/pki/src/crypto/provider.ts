/**
 * The WebCrypto implementation the pki package computes with. It defaults to the platform's
 * `globalThis.crypto`; callers (the server, the agent, a PKCS#11 provider) may pass another one in.
 * Nothing here imports `node:` modules, so the package runs in browsers too.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the reflect polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';
import type { Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { QtError } from '@qoltanba/errors';

let current: Crypto = globalThis.crypto;
syncLibraries(current);

function syncLibraries(c: Crypto): void {
  x509.cryptoProvider.set(c);
  pkijs.setEngine('qoltanba', new pkijs.CryptoEngine({ name: 'qoltanba', crypto: c }));
}

export function setCrypto(c: Crypto): void {
  current = c;
  syncLibraries(c);
}

export function getCrypto(): Crypto {
  return current;
}

export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export const hashOids: Readonly<Record<HashName, string>> = {
  'SHA-1': oid.sha1,
  'SHA-256': oid.sha256,
  'SHA-384': oid.sha384,
  'SHA-512': oid.sha512,
};

export function hashNameFromOid(hashOid: string): HashName {
  for (const [name, o] of Object.entries(hashOids)) if (o === hashOid) return name as HashName;
  throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The digest algorithm ${hashOid} is not supported`, { oid: hashOid });
}

export async function digest(hash: HashName, data: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await current.subtle.digest(hash, data as Uint8Array<ArrayBuffer>));
}

export function randomBytes(n: number): Bytes {
  const out = new Uint8Array(n);
  current.getRandomValues(out);
  return out;
}
