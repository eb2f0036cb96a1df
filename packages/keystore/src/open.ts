/**
 * One entry point from a URI to a store: the scheme picks the kind of custody, so a deployment moves a
 * CA key from a file to an HSM by changing configuration, not code.
 */
import { QtError } from '@qoltanba/pki';
import type { KeyStore } from './keystore.ts';
import { Pkcs11KeyStore, type Pkcs11KeyStoreOptions } from './pkcs11/pkcs11-keystore.ts';
import { SoftKeyStore, type SoftKeyStoreOptions } from './soft/soft-keystore.ts';

export interface KeyStoreConfig {
  /** Needed for `soft:` URIs: where key files live and where the passphrase comes from. */
  soft?: SoftKeyStoreOptions;
  /** Defaults for `pkcs11:` URIs (module, PIN source) when the URI does not say. */
  pkcs11?: Pkcs11KeyStoreOptions;
}

/**
 * Opens the store a URI belongs to: `soft:` (any key name, or none) opens the soft store configured in
 * `config.soft`; `pkcs11:…` opens a session on the token the URI names. A key URI works as a store URI,
 * so `const store = await openKeyStore(keyUri, config); await store.signer(keyUri)` is enough.
 */
export async function openKeyStore(uri: string, config: KeyStoreConfig = {}): Promise<KeyStore> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'soft':
      if (!config.soft) throw new QtError('QT_ERR_KEYSTORE_CONFIG', 'soft: keys need a key directory (config.soft.dir)');
      return new SoftKeyStore(config.soft);
    case 'pkcs11':
      return Pkcs11KeyStore.open(uri, config.pkcs11);
    default:
      throw new QtError(
        'QT_ERR_KEY_URI_SCHEME',
        scheme ? `Key URIs of scheme "${scheme}:" are not supported; use soft: or pkcs11:` : 'A key URI starts with soft: or pkcs11:',
      );
  }
}
