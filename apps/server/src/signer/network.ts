/**
 * The signer as seen from the internet-facing roles when it runs as its own process (`--role signer`):
 * the same SignerProvider interface, each signature a request to the signer's internal API. The bytes to
 * sign travel raw (a million-entry CRL is ~50 MB); the signer checks them against the purpose itself.
 */
import { readFileSync } from 'node:fs';
import { QtError, errorCatalog, fromBase64, type QtErrorCode, type Signer } from '@qoltanba/pki';
import type { SignerProvider, SigningPurpose } from './provider.ts';

export interface NetworkSignerOptions {
  url: string;
  tokenFile: string;
  timeoutMs?: number;
}

export class NetworkSignerProvider implements SignerProvider {
  private readonly base: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(options: NetworkSignerOptions) {
    this.base = options.url.replace(/\/+$/, '');
    try {
      this.token = readFileSync(options.tokenFile, 'utf8').trim();
    } catch (e) {
      throw new QtError('QT_ERR_SECRET_MISSING', `The signer token file ${options.tokenFile} cannot be read: ${(e as Error).message}`);
    }
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  async signerFor(keyUri: string, purpose: SigningPurpose): Promise<Signer> {
    const query = new URLSearchParams({ uri: keyUri, purpose });
    const key = (await this.call(`/internal/v1/public-key?${query}`, { method: 'GET' })) as { publicKey: string; algorithm: { oid: string; parameters?: string } };
    const algorithm = { oid: key.algorithm.oid, parameters: key.algorithm.parameters ? fromBase64(key.algorithm.parameters) : undefined };
    return {
      publicKey: fromBase64(key.publicKey),
      algorithm,
      sign: async (data) => {
        const res = (await this.call(`/internal/v1/sign?${query}`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: data as Uint8Array<ArrayBuffer>,
        })) as { signature: string };
        return fromBase64(res.signature);
      },
    };
  }

  private async call(path: string, init: RequestInit): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new QtError('QT_ERR_SIGNER_UNAVAILABLE', `The signer at ${this.base} cannot be reached: ${(e as Error).message}`);
    }
    const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
    if (res.ok) return body;
    const code = body?.error?.code;
    if (code && isKnownCode(code)) throw new QtError(code, body?.error?.message);
    throw new QtError('QT_ERR_SIGNER_UNAVAILABLE', `The signer answered HTTP ${res.status}`);
  }

  async close(): Promise<void> {}
}

function isKnownCode(code: string): code is QtErrorCode {
  return Object.hasOwn(errorCatalog, code);
}
