/**
 * Key requests waiting for their certificates, one JSON file each in the agent's data folder (mode 0600 in a
 * 0700 folder). For key files the private keys inside are sealed (seal.ts); for tokens only the key's place on
 * the token is recorded — the key itself never left it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QtError } from '@qoltanba/pki';
import type { SealedKey } from './seal.ts';

export type PendingKeyType = 'AUTHENTICATION' | 'SIGNATURE';

export interface PendingKey {
  keyType: PendingKeyType;
  /** Base64 DER SubjectPublicKeyInfo: how an issued certificate is matched to its key. */
  publicKey: string;
  /** The PKCS#10 request handed to the site, PEM. */
  csr: string;
  /** Key files: the sealed PKCS#8. */
  sealed?: SealedKey;
  /** Tokens: where the key is (its label on the token; its CKA_ID is the SHA-1 key identifier). */
  onToken?: { keyLabel: string };
}

export interface PendingRequest {
  requestId: string;
  createdAt: string;
  /** The site that asked; only it may install the certificates. */
  origin: string;
  /** NCALayer storage name: "PKCS12" or a token storage. */
  storage: string;
  /** For tokens: which token (module library, label, serial) holds the keys. */
  token?: { library: string; label: string; serial?: string };
  keys: PendingKey[];
}

const ID = /^[A-Za-z0-9_-]{22}$/;

export class PendingKeyStore {
  constructor(private readonly dir: string) {}

  static newRequestId(): string {
    return randomBytes(16).toString('base64url');
  }

  private path(requestId: string): string {
    if (!ID.test(requestId)) throw new QtError('QT_ERR_AGENT_PENDING_UNKNOWN', 'The request id is malformed');
    return join(this.dir, `${requestId}.json`);
  }

  async save(request: PendingRequest): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(this.path(request.requestId), JSON.stringify(request, null, 1), { mode: 0o600, flag: 'wx' });
  }

  async load(requestId: string): Promise<PendingRequest> {
    let text: string;
    try {
      text = await readFile(this.path(requestId), 'utf8');
    } catch {
      throw new QtError('QT_ERR_AGENT_PENDING_UNKNOWN', `No pending key request ${requestId}`);
    }
    return JSON.parse(text) as PendingRequest;
  }

  async list(): Promise<PendingRequest[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: PendingRequest[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      try {
        out.push(await this.load(n.slice(0, -5)));
      } catch {
        // a damaged or foreign file is not a pending request
      }
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async remove(requestId: string): Promise<void> {
    await rm(this.path(requestId), { force: true });
  }
}
