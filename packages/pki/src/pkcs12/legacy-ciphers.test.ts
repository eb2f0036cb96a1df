import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../encoding.ts';
import { legacyCbcDecrypt, legacyCbcEncrypt, type LegacyCipher } from './legacy-ciphers.ts';
import { mustRun, scratch } from './testing/openssl.ts';

// RC2 lives in OpenSSL 3's legacy provider; DES-EDE3 in the default one.
const providers = ['-provider', 'legacy', '-provider', 'default'];

function opensslEncrypt(cipher: string, keyHex: string, ivHex: string, plaintext: Uint8Array, extra: string[] = []): string {
  const s = scratch();
  try {
    const input = s.write('in.bin', plaintext);
    mustRun('openssl', ['enc', `-${cipher}`, '-K', keyHex, '-iv', ivHex, '-in', input, '-out', s.path('out.bin'), ...providers, ...extra]);
    return toHex(s.read('out.bin'));
  } finally {
    s.remove();
  }
}

const cases: { cipher: LegacyCipher; openssl: string; key: string }[] = [
  { cipher: { name: 'DES-EDE3-CBC' }, openssl: 'des-ede3-cbc', key: '0123456789abcdeffedcba987654321089abcdef01234567' },
  { cipher: { name: 'RC2-CBC', effectiveBits: 40 }, openssl: 'rc2-40-cbc', key: 'a1b2c3d4e5' },
  { cipher: { name: 'RC2-CBC', effectiveBits: 128 }, openssl: 'rc2-cbc', key: '00112233445566778899aabbccddeeff' },
];

test('Triple-DES, RC2-40 and RC2-128 in CBC mode encrypt exactly as openssl enc and decrypt back', () => {
  const iv = '0706050403020100';
  for (const plaintext of [new Uint8Array(0), new TextEncoder().encode('NCA key bag'), new Uint8Array(64).map((_, i) => i)]) {
    for (const c of cases) {
      const ours = legacyCbcEncrypt(c.cipher, fromHex(c.key), fromHex(iv), plaintext);
      assert.equal(toHex(ours), opensslEncrypt(c.openssl, c.key, iv, plaintext), `${c.openssl}, ${plaintext.length} bytes`);
      assert.deepEqual(legacyCbcDecrypt(c.cipher, fromHex(c.key), fromHex(iv), ours), plaintext);
    }
  }
});

test('decryption answers undefined, not garbage, when the padding is wrong or the length is not whole blocks', () => {
  const iv = '0000000000000000';
  for (const c of cases) {
    // A block ending in 0x00 is never valid PKCS#7 padding.
    const unpadded = fromHex(opensslEncrypt(c.openssl, c.key, iv, new Uint8Array(8), ['-nopad']));
    assert.equal(legacyCbcDecrypt(c.cipher, fromHex(c.key), fromHex(iv), unpadded), undefined, c.openssl);
    assert.equal(legacyCbcDecrypt(c.cipher, fromHex(c.key), fromHex(iv), new Uint8Array(12)), undefined, c.openssl);
    assert.equal(legacyCbcDecrypt(c.cipher, fromHex(c.key), fromHex(iv), new Uint8Array(0)), undefined, c.openssl);
  }
});
