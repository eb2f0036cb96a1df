import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFixture, nca } from '../../../test/support/fixtures.ts';
import { ContentMemo } from './memo.ts';
import { derFrom } from './encoding.ts';
import { digest } from './crypto/index.ts';
import { readCertificate, readCertificateMemo } from './path/certificate.ts';
import { computeIssuerHashes } from './ocsp/cert-id.ts';

/** FNV-1a as memo.ts keys by it, to find two inputs the memo files under the same key. */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

function collidingPair(): [Uint8Array, Uint8Array] {
  const seen = new Map<number, Uint8Array>();
  for (let i = 0; ; i++) {
    const bytes = new Uint8Array(new Float64Array([i * 0.618033988749895]).buffer);
    const h = fnv1a(bytes);
    const other = seen.get(h);
    if (other && Buffer.compare(other, bytes) !== 0) return [other, bytes];
    seen.set(h, bytes);
  }
}

test('two different inputs under the same hash key each get their own value, never the other one', () => {
  const [a, b] = collidingPair();
  assert.equal(fnv1a(a), fnv1a(b), 'the pair collides');
  const memo = new ContentMemo<string>(8);
  const value = (x: unknown) => Buffer.from(x as Uint8Array).toString('hex');
  assert.equal(memo.get(a, value), value(a));
  assert.equal(memo.get(b, value), value(b));
  assert.equal(memo.get(a, value), value(a));
});

test('bytes changed by their owner after a lookup are looked up as the new bytes', () => {
  const memo = new ContentMemo<string>(8);
  const buf = new Uint8Array([1, 2, 3]);
  const value = (x: unknown) => Buffer.from(x as Uint8Array).toString('hex');
  assert.equal(memo.get(buf, value), '010203');
  buf[0] = 9;
  assert.equal(memo.get(buf, value), '090203');
});

test('the certificate memo gives the same facts for equal bytes in another buffer, other facts for another certificate', () => {
  const ca = readFixture(...nca.rsaCa);
  const leaf = readFixture(...nca.signCert);
  const first = readCertificateMemo(ca);
  assert.equal(readCertificateMemo(Uint8Array.from(ca)), first);
  const other = readCertificateMemo(leaf);
  assert.notEqual(other, first);
  assert.deepEqual(other.der, readCertificate(leaf).der);
  assert.equal(other.subject, readCertificate(leaf).subject);
});

test('issuer hashes are remembered per certificate: each CA gets the hashes of its own name and key', async () => {
  const rsa = readFixture(...nca.rsaCa);
  const gost = readFixture(...nca.gostCa);
  for (const der of [rsa, gost, Uint8Array.from(rsa)]) {
    const facts = readCertificate(der);
    const hashes = await computeIssuerHashes(der);
    assert.deepEqual(hashes['SHA-1']?.nameHash, await digest('SHA-1', facts.subjectDer));
    assert.deepEqual(hashes['SHA-256']?.keyHash, await digest('SHA-256', facts.publicKeyBits));
  }
  assert.notDeepEqual((await computeIssuerHashes(rsa))['SHA-1'], (await computeIssuerHashes(gost))['SHA-1']);
  assert.deepEqual(Object.keys(await computeIssuerHashes(rsa, ['SHA-1'])), ['SHA-1'], 'another list of hashes is another entry');
});

test('a certificate tree handed over by the CMS reader serves only the bytes it was made of', async () => {
  const { AsnConvert } = await import('@peculiar/asn1-schema');
  const { Certificate } = await import('@peculiar/asn1-x509');
  const { offerCertificateTree } = await import('./path/certificate.ts');
  const ca = derFrom(readFixture(...nca.rsaCa));
  const leaf = derFrom(readFixture(...nca.signCert));
  offerCertificateTree(ca, AsnConvert.parse(Uint8Array.from(ca).buffer, Certificate));
  // Another certificate read now is read from its own bytes.
  assert.equal(readCertificate(leaf).subject, readCertificate(Uint8Array.from(leaf)).subject);
  const fromTree = readCertificate(Uint8Array.from(ca));
  const fromBytes = readCertificate(ca);
  assert.deepEqual({ ...fromTree, subjectName: undefined, issuerName: undefined }, { ...fromBytes, subjectName: undefined, issuerName: undefined });
});
