/**
 * Tokens (PKCS#11): every initialized token that is plugged in, under the NCALayer storage name configured for
 * its module (KAZTOKEN's is "AKKaztokenStore"; SoftHSM2 in tests is mapped to it). Keys stay on the token; the
 * agent only ever holds a logged-in session, closed when the consent ends.
 */
import { formatPkcs11Uri, listTokens, Pkcs11KeyStore, type TokenInfo } from '@qoltanba/keystore';
import { QtError } from '@qoltanba/pki';
import { describeCertificate } from './describe.ts';
import type { KeySource, UnlockedSource, UsableKey } from './types.ts';

export interface TokenModuleConfig {
  /** Path of the PKCS#11 library (e.g. /usr/lib/softhsm/libsofthsm2.so, the KAZTOKEN library). */
  library: string;
  /** NCALayer storage name its tokens are shown under (default "AKKaztokenStore"). */
  storage?: string;
}

export const DEFAULT_TOKEN_STORAGE = 'AKKaztokenStore';

export interface TokenSource extends KeySource {
  readonly library: string;
  readonly token: TokenInfo;
}

/** The token URI with the PIN the user typed. It lives only in memory for the length of one open call. */
function uriWithPin(source: TokenSource, pin: string): string {
  const base = formatPkcs11Uri({ token: source.token.label, serial: source.token.serial, modulePath: source.library });
  return `${base}${base.includes('?') ? '&' : '?'}pin-value=${encodeURIComponent(pin)}`;
}

export class Pkcs11Tokens {
  private readonly sources = new Map<string, TokenSource>();

  constructor(private readonly modules: readonly TokenModuleConfig[]) {}

  async list(): Promise<KeySource[]> {
    const found: TokenSource[] = [];
    for (const [index, module] of this.modules.entries()) {
      let tokens: TokenInfo[];
      try {
        tokens = await listTokens(module.library);
      } catch {
        continue; // a module that cannot load (driver not installed) means no tokens of that kind
      }
      for (const token of tokens) {
        if (!token.present || !token.initialized) continue;
        const source: TokenSource = {
          id: `token:${index}:${token.serial ?? token.slotId}`,
          storage: module.storage ?? DEFAULT_TOKEN_STORAGE,
          kind: 'token',
          label: token.label ?? '',
          detail: [token.manufacturer, token.model, token.serial].filter(Boolean).join(' · '),
          library: module.library,
          token,
        };
        this.sources.set(source.id, source);
        found.push(source);
      }
    }
    return found;
  }

  async activeStorages(): Promise<string[]> {
    return [...new Set((await this.list()).map((s) => s.storage))];
  }

  /** The token source behind an id of the last listing. */
  source(id: string): TokenSource | undefined {
    return this.sources.get(id);
  }

  /** The present token with this label and serial (a pending key request remembers its token so). */
  async find(label: string, serial: string | undefined, library: string): Promise<TokenSource | undefined> {
    await this.list();
    return [...this.sources.values()].find((s) => s.library === library && s.token.label === label && s.token.serial === serial);
  }

  /**
   * A logged-in session on the token. The keystore takes the PIN only inside a URI (pin-value, which it
   * allows on request); the URI is built here, in memory, and never logged or stored.
   */
  async openStore(source: KeySource, pin: string): Promise<Pkcs11KeyStore> {
    const token = this.sources.get(source.id);
    if (!token) throw new QtError('QT_ERR_AGENT_STORAGE_UNAVAILABLE', 'The token is no longer plugged in');
    return Pkcs11KeyStore.open(uriWithPin(token, pin), { allowPinValue: true });
  }

  async unlock(source: KeySource, pin: string): Promise<UnlockedSource> {
    const store = await this.openStore(source, pin);
    try {
      const keys: UsableKey[] = [];
      for (const listing of await store.listKeys()) {
        if (!listing.certificate) continue; // a key without its certificate (e.g. awaiting issuance) cannot sign for a site
        keys.push({
          source,
          alias: listing.label,
          certificate: listing.certificate,
          chain: [],
          description: describeCertificate(listing.certificate),
          signer: await store.signer(listing.uri),
        });
      }
      return { keys, close: () => store.close() };
    } catch (e) {
      await store.close();
      throw e;
    }
  }
}
