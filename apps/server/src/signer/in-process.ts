/**
 * The signer running inside this process: CA and OCSP keys are opened from the keystore (soft files or a
 * PKCS#11 token) on first use and kept open. Only this module and the signer role touch keys.
 */
import { isQtError, QtError, type Signer } from '@qoltanba/pki';
import { formatPkcs11Uri, openKeyStore, parsePkcs11Uri, type KeyStore, type KeyStoreConfig } from '@qoltanba/keystore';
import type { SignerProvider, SigningPurpose } from './provider.ts';
import { guardSigner } from './purpose-guard.ts';

export class InProcessSignerProvider implements SignerProvider {
  private readonly stores = new Map<string, Promise<KeyStore>>();
  private readonly signers = new Map<string, Promise<Signer>>();

  constructor(private readonly config: KeyStoreConfig) {}

  signerFor(keyUri: string, purpose: SigningPurpose): Promise<Signer> {
    const cacheKey = `${purpose} ${keyUri}`;
    let signer = this.signers.get(cacheKey);
    if (!signer) {
      signer = this.storeFor(keyUri)
        .then((store) => store.signer(keyUri))
        .then((s) => guardSigner(s, purpose), (e: unknown) => {
          throw caKeyError(e, keyUri);
        });
      // A failed open (wrong passphrase, token missing) must not be cached: the next call tries again.
      signer.catch(() => this.signers.delete(cacheKey));
      this.signers.set(cacheKey, signer);
    }
    return signer;
  }

  private storeFor(keyUri: string): Promise<KeyStore> {
    const storeKey = storeKeyOf(keyUri);
    let store = this.stores.get(storeKey);
    if (!store) {
      store = openKeyStore(keyUri, this.config);
      store.catch(() => this.stores.delete(storeKey));
      this.stores.set(storeKey, store);
    }
    return store;
  }

  async close(): Promise<void> {
    const stores = [...this.stores.values()];
    this.stores.clear();
    this.signers.clear();
    await Promise.all(stores.map(async (s) => (await s.catch(() => undefined))?.close()));
  }
}

/** One soft store serves every soft: key; each PKCS#11 token (whatever object the URI names) gets one session. */
function storeKeyOf(keyUri: string): string {
  if (!keyUri.startsWith('pkcs11:')) return keyUri.split(':')[0] + ':';
  const { object: _object, id: _id, type: _type, ...token } = parsePkcs11Uri(keyUri);
  return formatPkcs11Uri(token);
}

/**
 * The keystore says "this key's passphrase is wrong"; for a CA key that is the operator's CA passphrase, a
 * fault to fix in the configuration — not "the signer is unavailable, try again later".
 */
export function caKeyError(e: unknown, keyUri: string): unknown {
  if (!isQtError(e, 'QT_ERR_KEY_PASSPHRASE')) return e;
  return new QtError(
    'QT_ERR_CA_PASSPHRASE_WRONG',
    `The CA key passphrase is wrong: it does not open ${keyUri} (the passphrase comes from --passphrase-file or QOLTANBA_PASSPHRASE; a damaged key file looks the same)`,
    { keyUri },
    { cause: e },
  );
}
