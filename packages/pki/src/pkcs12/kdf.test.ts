import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../encoding.ts';
import { isQtError } from '@qoltanba/errors';
import { bmpPassword, kdfPurpose, MAX_PKCS12_KDF_ITERATIONS, pkcs12Kdf } from './kdf.ts';
import { mustRun } from './testing/openssl.ts';

/** OpenSSL's PKCS12KDF takes the password already encoded; this encodes it independently of bmpPassword. */
function opensslKdf(hash: string, password: string, saltHex: string, iterations: number, id: number, length: number): string {
  const utf16be = Buffer.from(`${password}\0`, 'utf16le').swap16().toString('hex');
  const out = mustRun('openssl', [
    'kdf', '-keylen', String(length), '-kdfopt', `digest:${hash}`, '-kdfopt', `hexpass:${utf16be}`,
    '-kdfopt', `hexsalt:${saltHex}`, '-kdfopt', `iter:${iterations}`, '-kdfopt', `id:${id}`, 'PKCS12KDF',
  ]).stdout;
  return out.trim().replace(/:/g, '').toLowerCase();
}

test('the PKCS#12 KDF derives what OpenSSL derives, for every digest, purpose and multi-block length', async () => {
  const cases = [
    { hash: 'SHA-1', ossl: 'SHA1', password: 'Qwerty12', salt: '71c89ed3ba0438ce4732bdc4f1ffe2cbe8a04134', iterations: 1024, purpose: kdfPurpose.key, length: 24 },
    { hash: 'SHA-1', ossl: 'SHA1', password: 'Qwerty12', salt: '71c89ed3ba0438ce4732bdc4f1ffe2cbe8a04134', iterations: 1024, purpose: kdfPurpose.iv, length: 8 },
    { hash: 'SHA-1', ossl: 'SHA1', password: 'Aa123456', salt: '25d733ad9b4f5eac62be40bf8a5cd24f81733e93', iterations: 7, purpose: kdfPurpose.mac, length: 20 },
    { hash: 'SHA-256', ossl: 'SHA256', password: 'Жеке куәлік', salt: '0102030405060708', iterations: 2048, purpose: kdfPurpose.mac, length: 32 },
    { hash: 'SHA-256', ossl: 'SHA256', password: '', salt: 'ff', iterations: 3, purpose: kdfPurpose.key, length: 70 },
    { hash: 'SHA-512', ossl: 'SHA512', password: 'x'.repeat(70), salt: '00'.repeat(130), iterations: 5, purpose: kdfPurpose.key, length: 150 },
  ] as const;
  for (const c of cases) {
    const ours = await pkcs12Kdf({ hash: c.hash, password: bmpPassword(c.password), salt: fromHex(c.salt), iterations: c.iterations, purpose: c.purpose, length: c.length });
    assert.equal(toHex(ours), opensslKdf(c.ossl, c.password, c.salt, c.iterations, c.purpose, c.length), `${c.hash} purpose ${c.purpose}`);
  }
});

test('passwords are hashed as big-endian UTF-16 with a two-byte zero terminator', () => {
  assert.equal(toHex(bmpPassword('Aa1')), '004100610031' + '0000');
  assert.equal(toHex(bmpPassword('Ә')), '04d8' + '0000');
  assert.equal(toHex(bmpPassword('')), '0000');
});

test('iteration counts that are not positive or beyond the limit are refused before any work', async () => {
  const input = { hash: 'SHA-1' as const, password: bmpPassword('a'), salt: new Uint8Array(8), purpose: kdfPurpose.key, length: 8 };
  await assert.rejects(pkcs12Kdf({ ...input, iterations: 0 }), (e) => isQtError(e, 'QT_ERR_PKCS12_MALFORMED'));
  await assert.rejects(pkcs12Kdf({ ...input, iterations: -5 }), (e) => isQtError(e, 'QT_ERR_PKCS12_MALFORMED'));
  await assert.rejects(pkcs12Kdf({ ...input, iterations: MAX_PKCS12_KDF_ITERATIONS + 1 }), (e) => isQtError(e, 'QT_ERR_TOO_LARGE'));
});
