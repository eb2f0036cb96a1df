import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openKeyStore } from './open.ts';
import { SoftKeyStore } from './soft/soft-keystore.ts';

describe('openKeyStore', () => {
  test('soft: URIs open the configured soft store, with or without a key name', async () => {
    const config = { soft: { dir: '/nonexistent/keys' } };
    assert.ok((await openKeyStore('soft:', config)) instanceof SoftKeyStore);
    assert.equal((await openKeyStore('soft:issuing-ca', config)).scheme, 'soft');
  });

  test('a soft: URI without a key directory configured is QT_ERR_KEYSTORE_CONFIG', async () => {
    await assert.rejects(openKeyStore('soft:issuing-ca'), { code: 'QT_ERR_KEYSTORE_CONFIG' });
  });

  test('unknown or missing schemes are QT_ERR_KEY_URI_SCHEME', async () => {
    await assert.rejects(openKeyStore('file:/etc/keys/ca.pem'), { code: 'QT_ERR_KEY_URI_SCHEME', message: /"file:"/ });
    await assert.rejects(openKeyStore('awskms:key-id=abc'), { code: 'QT_ERR_KEY_URI_SCHEME' });
    await assert.rejects(openKeyStore('issuing-ca'), { code: 'QT_ERR_KEY_URI_SCHEME' });
    await assert.rejects(openKeyStore(''), { code: 'QT_ERR_KEY_URI_SCHEME' });
  });

  test('pkcs11: URIs go to the PKCS#11 store, which reports a missing module', async () => {
    await assert.rejects(openKeyStore('pkcs11:token=T?module-path=/nonexistent/libpkcs11.so'), { code: 'QT_ERR_PKCS11_MODULE' });
  });
});
