import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex, utf8 } from '../encoding.ts';
import { scratch, type Scratch } from '../pkcs12/testing/openssl.ts';
import { Streebog, streebog256, streebog512 } from './streebog.ts';
import { engineAvailable, engineDigest } from './testing/openssl-gost.ts';

let s: Scratch;
before(() => {
  s = scratch();
});
after(() => s.remove());

// RFC 6986 §10 examples. The RFC prints messages and digests as numbers (last byte first); these are
// the same values in memory order: M1 is the ASCII text below, M2 the CP1251 bytes of a Russian phrase.
const M1 = utf8('012345678901234567890123456789012345678901234567890123456789012');
const M2 = fromHex(
  'd1e520e2e5f2f0e82c20d1f2f0e8e1eee6e820e2edf3f6e82c20e2e5fef2fa20f120eceef0ff20f1f2f0e5ebe0ece820ede020f5f0e0e1f0fbff20efebfaeafb20c8e3eef0e5e2fb',
);

test('Streebog-512 gives the RFC 6986 digests of M1 (63 bytes) and M2 (72 bytes)', () => {
  assert.equal(
    toHex(streebog512(M1)),
    '1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48',
  );
  assert.equal(
    toHex(streebog512(M2)),
    '1e88e62226bfca6f9994f1f2d51569e0daf8475a3b0fe61a5300eee46d961376035fe83549ada2b8620fcd7c496ce5b33f0cb9dddc2b6460143b03dabac9fb28',
  );
});

test('Streebog-256 gives the RFC 6986 digests of M1 and M2', () => {
  assert.equal(toHex(streebog256(M1)), '9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500');
  assert.equal(toHex(streebog256(M2)), '9dd2fe4e90409e5da87f53976d7405b0c0cac628fc669a741d50063c557e8f50');
});

test('feeding the message in pieces gives the digest of the whole, wherever it is cut', () => {
  const message = new Uint8Array(200).map((_, i) => (i * 37 + 11) & 0xff);
  const whole = streebog512(message);
  for (let cut = 0; cut <= message.length; cut += 7) {
    const h = new Streebog(512).update(message.subarray(0, cut)).update(new Uint8Array(0)).update(message.subarray(cut));
    assert.deepEqual(h.digest(), whole, `cut at ${cut}`);
  }
  const h = new Streebog(512);
  for (const b of message) h.update(new Uint8Array([b]));
  assert.deepEqual(h.digest(), whole);
  assert.throws(() => h.digest(), /twice/);
});

test('Streebog agrees with the OpenSSL GOST engine on every block-boundary length and on random data', () => {
  engineAvailable();
  const lengths = [0, 1, 31, 32, 63, 64, 65, 127, 128, 129, 1000, 65536 + 17];
  for (const n of lengths) {
    const data = randomBytes(n);
    assert.deepEqual(streebog512(data), engineDigest(s, 'md_gost12_512', data), `512, ${n} bytes`);
    assert.deepEqual(streebog256(data), engineDigest(s, 'md_gost12_256', data), `256, ${n} bytes`);
  }
  // All-ones input drives every carry of the 512-bit additions.
  const ones = new Uint8Array(64 * 3).fill(0xff);
  assert.deepEqual(streebog512(ones), engineDigest(s, 'md_gost12_512', ones));
});
