/**
 * Interop with an independent GOST implementation: Debian's OpenSSL GOST engine. What the test maps,
 * and why (the two only differences between NCA's GOST and the Russian profile the engine speaks):
 * - OIDs: NCA's 1.2.398.3.10.1.1.2.2 key / 1.2.398.3.10.1.1.2.2.1 curve become id-tc26-gost3410-12-512
 *   (1.2.643.7.1.1.1.2) / paramSetA (1.2.643.7.1.2.1.2.1), and the 256-bit 1.2.398.3.10.1.1.2.1 /
 *   1.2.398.3.10.1.1.2.1.1 become id-tc26-gost3410-12-256 (1.2.643.7.1.1.1.1) / paramSetA (1.2.643.7.1.2.1.1.1,
 *   the engine's "TCA"); the key bytes are unchanged;
 * - signature bytes: NCA writes r‖s little-endian, the engine (RFC 4491) s‖r big-endian — the same
 *   bytes in reverse order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GOST2015_KEY_PASSWORD, nca, readFixture } from '../../../../test/support/fixtures.ts';
import { derFrom, utf8 } from '../encoding.ts';
import { oid } from '../oids.ts';
import { verifySignature } from '../crypto/index.ts';
import { importPkcs12Key } from '../pkcs12/import-key.ts';
import { mustRun, scratch, type Scratch } from '../pkcs12/testing/openssl.ts';
import { KZ_GOST_2015_256, KZ_GOST_2015_512 } from './kz-algorithms.ts';
import { generateGostKeyPair, gostSigner } from './signer.ts';
import {
  engineAvailable,
  engineSign,
  engineVerifies,
  kazakhPkcs8FromRussian,
  russianPrivateKeyPem,
  russianPublicKeyPem,
} from './testing/openssl-gost.ts';

let s: Scratch;
before(() => {
  engineAvailable();
  s = scratch();
});
after(() => s.remove());

const reversed = (b: Uint8Array) => new Uint8Array(b).reverse();
const documentBytes = utf8('Осы құжатқа ЭЦҚ қойылды — Qoltanba GOST interop');

test('a signature made with KEY_INDIVIDUAL_VALID_2015.p12 verifies with our verifier and, reversed, with the OpenSSL GOST engine', async () => {
  const key = await importPkcs12Key(readFixture(...nca.valid2015Key), GOST2015_KEY_PASSWORD);
  assert.equal(key.signer.algorithm.oid, oid.kzGost2015_512Sign);
  const signature = await key.signer.sign(documentBytes);
  assert.equal(signature.length, 128);
  assert.equal(await verifySignature(oid.kzGost2015_512Sign, { spki: key.publicKey, data: documentBytes, signature }), true);

  const publicPem = russianPublicKeyPem(key.publicKey);
  assert.equal(engineVerifies(s, 'md_gost12_512', publicPem, documentBytes, reversed(signature)), true, 'engine accepts the reversed signature');
  // The difference is real: unreversed bytes, or another document, do not verify in the engine.
  assert.equal(engineVerifies(s, 'md_gost12_512', publicPem, documentBytes, signature), false);
  assert.equal(engineVerifies(s, 'md_gost12_512', publicPem, documentBytes.subarray(1), reversed(signature)), false);
});

test('the engine signs with the same fixture key (its d re-labelled with Russian OIDs) and our verifier accepts the reversed signature', async () => {
  const key = await importPkcs12Key(readFixture(...nca.valid2015Key), GOST2015_KEY_PASSWORD);
  const keyPem = russianPrivateKeyPem(key.key.pkcs8);
  // The engine derives the same public key from the private key we hand it.
  s.write('fixture-ru.pem', keyPem);
  const derived = mustRun('openssl', ['pkey', '-engine', 'gost', '-in', s.path('fixture-ru.pem'), '-pubout']).stdout;
  const ours = derFrom(russianPublicKeyPem(key.publicKey), 'PUBLIC KEY');
  assert.deepEqual(derFrom(derived, 'PUBLIC KEY').subarray(-128), ours.subarray(-128), 'same x‖y');
  for (let i = 0; i < 3; i++) {
    const theirs = engineSign(s, 'md_gost12_512', keyPem, documentBytes);
    assert.equal(await verifySignature(oid.kzGost2015_512Sign, { spki: key.publicKey, data: documentBytes, signature: reversed(theirs) }), true);
    assert.equal(await verifySignature(oid.kzGost2015_512Sign, { spki: key.publicKey, data: documentBytes, signature: theirs }), false);
  }
});

test('a key the engine generated works with our signer, and a key we generated works in the engine', async () => {
  const genPath = s.path('engine-gen.pem');
  mustRun('openssl', ['genpkey', '-engine', 'gost', '-algorithm', 'gost2012_512', '-pkeyopt', 'paramset:A', '-out', genPath]);
  const kzPkcs8 = kazakhPkcs8FromRussian(derFrom(s.read('engine-gen.pem'), 'PRIVATE KEY'));
  const signer = gostSigner(kzPkcs8);
  const signature = await signer.sign(documentBytes);
  const enginePub = mustRun('openssl', ['pkey', '-engine', 'gost', '-in', genPath, '-pubout']).stdout;
  assert.equal(engineVerifies(s, 'md_gost12_512', enginePub, documentBytes, reversed(signature)), true);

  const ours = generateGostKeyPair(KZ_GOST_2015_512);
  const theirs = engineSign(s, 'md_gost12_512', russianPrivateKeyPem(ours.privateKey), documentBytes);
  assert.equal(await verifySignature(oid.kzGost2015_512Sign, { spki: ours.publicKey, data: documentBytes, signature: reversed(theirs) }), true);
  const mine = await gostSigner(ours.privateKey).sign(documentBytes);
  assert.equal(engineVerifies(s, 'md_gost12_512', russianPublicKeyPem(ours.publicKey), documentBytes, reversed(mine)), true);
});

test('GOST 34.10-2015 (256) on the TC26 curve A: engine keys sign with our signer and ours in the engine, each verified by the other', async () => {
  const genPath = s.path('engine-gen-256.pem');
  mustRun('openssl', ['genpkey', '-engine', 'gost', '-algorithm', 'gost2012_256', '-pkeyopt', 'paramset:TCA', '-out', genPath]);
  const kzPkcs8 = kazakhPkcs8FromRussian(derFrom(s.read('engine-gen-256.pem'), 'PRIVATE KEY'));
  const signer = gostSigner(kzPkcs8);
  assert.equal(signer.algorithm.oid, oid.kzGost2015_256Sign);
  const signature = await signer.sign(documentBytes);
  assert.equal(signature.length, 64);
  const enginePub = mustRun('openssl', ['pkey', '-engine', 'gost', '-in', genPath, '-pubout']).stdout;
  assert.equal(engineVerifies(s, 'md_gost12_256', enginePub, documentBytes, reversed(signature)), true, 'engine accepts our reversed signature');
  assert.equal(engineVerifies(s, 'md_gost12_256', enginePub, documentBytes, signature), false);
  // The engine derives our public key from the same d (x‖y little-endian, the same 64 bytes).
  assert.deepEqual(derFrom(enginePub, 'PUBLIC KEY').subarray(-64), derFrom(russianPublicKeyPem(signer.publicKey), 'PUBLIC KEY').subarray(-64));

  const ours = generateGostKeyPair(KZ_GOST_2015_256);
  for (let i = 0; i < 3; i++) {
    const theirs = engineSign(s, 'md_gost12_256', russianPrivateKeyPem(ours.privateKey), documentBytes);
    assert.equal(await verifySignature(oid.kzGost2015_256Sign, { spki: ours.publicKey, data: documentBytes, signature: reversed(theirs) }), true);
    assert.equal(await verifySignature(oid.kzGost2015_256Sign, { spki: ours.publicKey, data: documentBytes.subarray(1), signature: reversed(theirs) }), false);
  }
  const mine = await gostSigner(ours.privateKey).sign(documentBytes);
  assert.equal(engineVerifies(s, 'md_gost12_256', russianPublicKeyPem(ours.publicKey), documentBytes, reversed(mine)), true);
});
