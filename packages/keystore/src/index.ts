/**
 * @qoltanba/keystore — key custody behind one small interface, keys addressed by URI: `soft:<name>`
 * (passphrase-encrypted PKCS#8 files) and RFC 7512 `pkcs11:` (keys generated and used on a token).
 * The throwaway SoftHSM2 token for tests is in `@qoltanba/keystore/testing`.
 */
export * from './keystore.ts';
export { openKeyStore, type KeyStoreConfig } from './open.ts';
export { readSecret, isSecretSource, type SecretSource } from './secrets.ts';
export { SoftKeyStore, MIN_PASSPHRASE_LENGTH, type SoftKeyStoreOptions } from './soft/soft-keystore.ts';
export { PBKDF2_ITERATIONS } from './soft/encrypted-pkcs8.ts';
export { parseSoftUri, softUri } from './soft/soft-uri.ts';
export { Pkcs11KeyStore, type Pkcs11KeyStoreOptions } from './pkcs11/pkcs11-keystore.ts';
export { parsePkcs11Uri, formatPkcs11Uri, describePkcs11Uri, type Pkcs11Uri, type Pkcs11ObjectType } from './pkcs11/pkcs11-uri.ts';
export { listTokens, type TokenInfo } from './pkcs11/tokens.ts';
export { defaultModulePath, softHsmModuleCandidates } from './pkcs11/module.ts';
