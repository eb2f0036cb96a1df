/**
 * Installing issued certificates next to their pending keys. Every certificate must carry the public key of one
 * pending key of the request and be of its kind (AUTH for the authentication key, SIGN for the signing key);
 * only then are key files written — `AUTH_RSA256_<ski>.p12` / `RSA256_<ski>.p12`, `GOST512_<ski>.p12` for GOST
 * 34.10-2015 keys, friendlyName = localKeyID = hex SKI as NCA writes them (the certificate's own SKI, whatever
 * method its CA used) — or the certificates stored on the token. The pending request is deleted afterwards.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesEqual, fromBase64, keyFileName, QtError, spkiAlgorithm, writePkcs12, type Bytes } from '@qoltanba/pki';
import { describeCertificate, publicKeyOfCertificate } from '../keystores/describe.ts';
import type { Pkcs11Tokens } from '../keystores/pkcs11-source.ts';
import type { KeyDescription } from '../keystores/types.ts';
import type { PendingKey, PendingKeyStore, PendingRequest } from './pending-store.ts';
import { OpenedKeys, openSealedKey } from './seal.ts';
import { sealContext } from './generator.ts';

export interface MatchedCertificate {
  key: PendingKey;
  certificate: Bytes;
  description: KeyDescription;
}

export interface InstalledKey {
  keyType: PendingKey['keyType'];
  subjectKeyId: string;
  /** Key files only: the file's name (never its full path, which names the user's folders). */
  fileName?: string;
}

/** Pairs each certificate with its pending key; refuses strangers, wrong kinds, duplicates and gaps. */
export function matchCertificates(request: PendingRequest, certificates: readonly Bytes[]): MatchedCertificate[] {
  const matched: MatchedCertificate[] = [];
  for (const certificate of certificates) {
    const spki = publicKeyOfCertificate(certificate);
    const key = request.keys.find((k) => bytesEqual(fromBase64(k.publicKey), spki));
    if (!key) throw new QtError('QT_ERR_AGENT_CERT_NOT_PENDING', 'A certificate carries a public key this request did not create');
    const description = describeCertificate(certificate);
    const kind = key.keyType === 'AUTHENTICATION' ? 'AUTH' : 'SIGN';
    if (description.kind !== kind) {
      throw new QtError('QT_ERR_AGENT_CERT_NOT_PENDING', `The certificate for the ${key.keyType} key is a ${description.kind} certificate`);
    }
    if (matched.some((m) => m.key === key)) throw new QtError('QT_ERR_AGENT_CERT_NOT_PENDING', 'Two certificates are for the same key');
    matched.push({ key, certificate, description });
  }
  if (matched.length !== request.keys.length) {
    throw new QtError('QT_ERR_AGENT_CERT_NOT_PENDING', `The request has ${request.keys.length} keys; send a certificate for each`);
  }
  return matched;
}

export interface KeyInstallerOptions {
  /** Folder the new key files go to. */
  keysDir: string;
  /** NCA's legacy PKCS#12 encryption instead of PBES2/AES-256, for consumers that know nothing newer. */
  legacyKeyFiles?: boolean;
  tokens: Pkcs11Tokens;
  pending: PendingKeyStore;
}

export class KeyInstaller {
  constructor(private readonly options: KeyInstallerOptions) {}

  /** `secret` is the key-file password chosen at generation, or the token PIN. */
  async install(request: PendingRequest, matched: readonly MatchedCertificate[], chain: readonly Bytes[], secret: string): Promise<InstalledKey[]> {
    const installed = request.storage === 'PKCS12' ? await this.writeKeyFiles(request, matched, chain, secret) : await this.storeOnToken(request, matched, secret);
    await this.options.pending.remove(request.requestId);
    return installed;
  }

  private async writeKeyFiles(request: PendingRequest, matched: readonly MatchedCertificate[], chain: readonly Bytes[], password: string): Promise<InstalledKey[]> {
    // Open every sealed key first: a wrong password must not leave half the files written.
    const files: { name: string; bytes: Uint8Array; m: MatchedCertificate }[] = [];
    // The keys of one request share one derivation (seal.ts): it is made once, then wiped.
    const opened = new OpenedKeys();
    try {
      for (const m of matched) {
        if (!m.key.sealed) throw new QtError('QT_ERR_AGENT_PENDING_UNKNOWN', 'The pending key is not a key-file key');
        const pkcs8 = await openSealedKey(m.key.sealed, password, sealContext(request.requestId, m.key.keyType), opened);
        const ski = m.description.subjectKeyId;
        if (!ski) throw new QtError('QT_ERR_CERT_MALFORMED', 'The certificate has no subject key identifier to name its key file by');
        const bytes = await writePkcs12({ privateKey: pkcs8, certificate: m.certificate, chain, password, legacy: this.options.legacyKeyFiles });
        pkcs8.fill(0);
        const keyOid = spkiAlgorithm(publicKeyOfCertificate(m.certificate)).oid;
        files.push({ name: keyFileName(m.description.kind === 'AUTH' ? 'AUTH' : 'SIGN', keyOid, ski), bytes, m });
      }
    } finally {
      await opened.wipe();
    }
    await mkdir(this.options.keysDir, { recursive: true, mode: 0o700 });
    const written: string[] = [];
    try {
      for (const f of files) {
        const path = join(this.options.keysDir, f.name);
        await writeFile(path, f.bytes, { mode: 0o600, flag: 'wx' }); // never overwrite an existing key file
        written.push(path);
      }
    } catch (e) {
      for (const path of written) await rm(path, { force: true });
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new QtError('QT_ERR_KEY_EXISTS', 'A key file with this name already exists');
      throw e;
    }
    return files.map((f) => ({ keyType: f.m.key.keyType, subjectKeyId: f.m.description.subjectKeyId ?? '', fileName: f.name }));
  }

  private async storeOnToken(request: PendingRequest, matched: readonly MatchedCertificate[], pin: string): Promise<InstalledKey[]> {
    const ref = request.token;
    const source = ref ? await this.options.tokens.find(ref.label, ref.serial, ref.library) : undefined;
    if (!source) throw new QtError('QT_ERR_AGENT_STORAGE_UNAVAILABLE', 'Plug in the token the keys were created on');
    const store = await this.options.tokens.openStore(source, pin);
    try {
      for (const m of matched) {
        if (!m.key.onToken) throw new QtError('QT_ERR_AGENT_PENDING_UNKNOWN', 'The pending key is not a token key');
        await store.storeCertificate(`pkcs11:object=${encodeURIComponent(m.key.onToken.keyLabel)}`, m.certificate);
      }
    } finally {
      await store.close();
    }
    return matched.map((m) => ({ keyType: m.key.keyType, subjectKeyId: m.description.subjectKeyId ?? '' }));
  }
}
