import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, utf8 } from '../encoding.ts';
import { scratch, type Scratch } from '../pkcs12/testing/openssl.ts';
import { CRYPTOPRO_SBOX } from './gost28147.ts';
import { Gost341194, gost34311 } from './gost341194.ts';
import { engineAvailable, engineDigest } from './testing/openssl-gost.ts';

let s: Scratch;
before(() => {
  s = scratch();
});
after(() => s.remove());

const cryptoPro = (data: Uint8Array) => new Gost341194(CRYPTOPRO_SBOX).update(data).digest();

test('GOST R 34.11-94 with the test S-box (Kazakh GOST 34.311-95) gives the standard’s and RFC 5831’s example digests', () => {
  // GOST R 34.11-94 appendix A / RFC 5831 §7.3, and the published test-parameter vectors.
  const vectors: [string, string][] = [
    ['This is message, length=32 bytes', 'b1c466d37519b82e8319819ff32595e047a28cb6f83eff1c6916a815a637fffa'],
    ['Suppose the original message has length = 50 bytes', '471aba57a60a770d3a76130635c1fbea4ef14de51f78b4ae57dd893b62f55208'],
    ['', 'ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d'],
    ['a', 'd42c539e367c66e9c88a801f6649349c21871b4344c6a573f849fdce62f314dd'],
    ['abc', 'f3134348c44fb1b2a277729e2285ebb5cb5e0f29c975bc753b70497c06a4d51d'],
    ['message digest', 'ad4434ecb18f2c99b60cbe59ec3d2469582b65273f48de72db2fde16a4889a4d'],
    ['The quick brown fox jumps over the lazy dog', '77b7fa410c9ac58a25f49bca7d0468c9296529315eaca76bd1a10f376d1f4294'],
    ['U'.repeat(128), '53a3a3ed25180cef0c1d85a074273e551c25660a87062a52d926a9e8fe5733a4'],
  ];
  for (const [message, digest] of vectors) assert.equal(toHex(gost34311(utf8(message))), digest, JSON.stringify(message.slice(0, 20)));
});

test('a million "a"s hash to the published test-S-box digest, fed in uneven pieces', () => {
  const h = new Gost341194();
  const chunk = utf8('a'.repeat(999));
  let left = 1_000_000;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    h.update(chunk.subarray(0, n));
    left -= n;
  }
  assert.equal(toHex(h.digest()), '5c00ccc2734cdd3332d3d4749576e3c1a7dbaf0e7ea74e9fa602413c90a129fa');
});

test('with the CryptoPro S-box the same code gives RFC 5831’s CryptoPro digests', () => {
  assert.equal(toHex(cryptoPro(utf8('This is message, length=32 bytes'))), '2cefc2f7b7bdc514e18ea57fa74ff357e7fa17d652c75f69cb1be7893ede48eb');
  assert.equal(toHex(cryptoPro(utf8('Suppose the original message has length = 50 bytes'))), 'c3730c5cbccacf915ac292676f21e8bd4ef75331d9405e5f1a61dc3130a65011');
  assert.equal(toHex(cryptoPro(new Uint8Array(0))), '981e5f3ca30c841487830f84fb433e13ac1101569b9c13584ac483234cd656c0');
});

test('the construction agrees with the OpenSSL GOST engine (CryptoPro S-box; the engine has no test S-box)', () => {
  engineAvailable();
  for (const n of [1, 31, 32, 33, 64, 100, 4096 + 5]) {
    const data = randomBytes(n);
    assert.deepEqual(cryptoPro(data), engineDigest(s, 'md_gost94', data), `${n} bytes`);
  }
  // The one place the engine departs from the standard: for an empty message it hashes one extra
  // zero block (3f25bc1f…) where the published vector (981e5f3c…, above) hashes none.
  assert.equal(toHex(engineDigest(s, 'md_gost94', new Uint8Array(0))), '3f25bc1fbbce27ca10fb1958f319473ae7e17482c3b53ecf47a7e2de8aabe4c8');
});
