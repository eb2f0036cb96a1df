import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fixturePath, nca, readFixture } from '../../../../test/support/fixtures.ts';
import { isQtError } from '@qoltanba/errors';
import { derFrom, fromBase64, utf8 } from '../encoding.ts';
import { generateRsaKeyPair, webCryptoSigner } from '../crypto/index.ts';
import { addCmsSigner, signCms, toCmsPem } from './sign.ts';
import { verifyCms } from './verify.ts';
import { ecdsaSigner, run, SIGN_KEY_EPOCH, SIGN_KEY_TIME, type FixtureSigner, type ScratchDir, useFixtureSigner } from './testing/helpers.ts';

const caFile = fixturePath(...nca.rsaCa);
const data = utf8('Қолтаңба: the document to sign\n');
let key: FixtureSigner;
let tmp: ScratchDir;
useFixtureSigner((k, t) => ([key, tmp] = [k, t]), data);

/**
 * openssl's verdict as of the fixture key's validity. The NCA test CA is an intermediate whose root
 * is not among the fixtures, hence -partial_chain (trust the given CA itself).
 */
function opensslVerify(cmsFile: string, extra: string[] = []) {
  return run('openssl', [
    'cms', '-verify', '-inform', 'DER', '-in', cmsFile, '-binary', '-CAfile', caFile, '-partial_chain',
    '-attime', SIGN_KEY_EPOCH, '-purpose', 'any', '-out', tmp.path('out.bin'), ...extra,
  ]);
}

test('an attached CAdES-BES CMS we sign verifies with openssl cms -verify -cades and gives the content back', async () => {
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME });
  const result = opensslVerify(tmp.write('attached.p7s', cms), ['-cades']);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(tmp.read('out.bin'), data);
});

test('a detached CMS we sign verifies with openssl given the content, and fails against other content', async () => {
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate, detached: true, signingTime: SIGN_KEY_TIME });
  const file = tmp.write('detached.p7s', cms);
  const ok = opensslVerify(file, ['-content', tmp.path('data.bin'), '-cades']);
  assert.equal(ok.status, 0, ok.stderr);
  const bad = opensslVerify(file, ['-content', tmp.write('other.bin', utf8('another document\n'))]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /content verify error/);
});

test('openssl cms -print shows exactly the four CAdES-BES signed attributes, with signing-certificate-v2 naming our certificate', async () => {
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME });
  const printed = run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', tmp.write('print.p7s', cms)]).stdout;
  const signedAttrs = printed.slice(printed.indexOf('signedAttrs:'), printed.indexOf('signatureAlgorithm:', printed.indexOf('signedAttrs:')));
  const objects = [...signedAttrs.matchAll(/object: (\S+) \(([\d.]+)\)/g)].map((m) => m[1]);
  assert.deepEqual(objects.sort(), ['contentType', 'id-smime-aa-signingCertificateV2', 'messageDigest', 'signingTime']);
  assert.match(signedAttrs, /UTCTIME:Dec {2}1 00:00:00 2021 GMT/);
  const certSha256 = createHash('sha256').update(key.certificate).digest('hex').toUpperCase();
  assert.ok(signedAttrs.includes(certSha256), 'ESSCertIDv2 carries the SHA-256 of the signer certificate');
  assert.match(signedAttrs, /INTEGER\s+:4279390A141F5353A62947B61ED65E81741467D1/, 'issuerSerial names its serial');
  assert.match(printed, /d\.issuerAndSerialNumber/);
});

test('digested mode (createCAdESFromBase64Hash) makes a detached signature openssl verifies over the original data', async () => {
  const hash = createHash('sha256').update(data).digest();
  const cms = await signCms({ content: hash, digested: true, signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME });
  const result = opensslVerify(tmp.write('digested.p7s', cms), ['-content', tmp.path('data.bin'), '-cades']);
  assert.equal(result.status, 0, result.stderr);
  const ours = await verifyCms(cms, { content: data });
  assert.equal(ours.attached, false);
});

test('digested mode refuses a "hash" whose length does not fit the signature hash', async () => {
  // NCALayer's own test page sends the hex text of `sha256sum` output, base64-encoded (68 bytes).
  const notAHash = fromBase64('MjVkNGYyYTg2ZGViNWUyNTc0YmIzMjEwYjY3YmIyNGZjYzRhZmIxOWY5M2E3YjY1YTA1N2RhYTg3NGE5ZDE4ZSAgLQo=');
  await assert.rejects(
    signCms({ content: notAHash, digested: true, signer: key.signer, certificate: key.certificate }),
    (e) => isQtError(e, 'QT_ERR_INPUT_INVALID') && /68 bytes long; a SHA-256 hash is 32/.test(e.message),
  );
});

test('signing refuses a certificate that does not hold the signing key, and a hash the key does not use', async () => {
  const other = await generateRsaKeyPair(2048);
  const stranger = await webCryptoSigner(other.privateKey, other.publicKey);
  await assert.rejects(signCms({ content: data, signer: stranger, certificate: key.certificate }), (e) => isQtError(e, 'QT_ERR_KEY_MISMATCH'));
  await assert.rejects(
    signCms({ content: data, signer: key.signer, certificate: key.certificate, hash: 'SHA-512' }),
    (e) => isQtError(e, 'QT_ERR_ALGORITHM_UNSUPPORTED') && /SHA-256/.test(e.message),
  );
  await assert.rejects(signCms({ content: data, signer: key.signer, certificate: utf8('not a certificate') }), (e) =>
    isQtError(e, 'QT_ERR_CERT_MALFORMED'),
  );
});

test('the CA chain given to signCms travels in the CMS after the signer certificate', async () => {
  const ca = derFrom(readFixture(...nca.rsaCa));
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificatePem, chain: [ca], signingTime: SIGN_KEY_TIME });
  const result = await verifyCms(cms);
  assert.deepEqual(result.certificates, [key.certificate, ca]);
});

test('a co-signature added to a CMS made by openssl verifies for both signers, in our code and in openssl', async () => {
  const signed = run('openssl', [
    'cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-signer', tmp.path('signer.pem'), '-inkey', tmp.path('signer.key'),
    '-in', tmp.path('data.bin'), '-outform', 'DER', '-out', tmp.path('first.p7s'),
  ]);
  assert.equal(signed.status, 0, signed.stderr);
  const first = tmp.read('first.p7s');
  const cosigned = await addCmsSigner(first, { signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME });
  const ours = await verifyCms(cosigned);
  assert.equal(ours.signers.length, 2);
  assert.equal(ours.signers[1]?.signingCertificateV2Matches, true);
  assert.equal(ours.certificates.length, 1, 'the shared certificate is not duplicated');
  const theirs = opensslVerify(tmp.write('cosigned.p7s', cosigned));
  assert.equal(theirs.status, 0, theirs.stderr);
});

test('a co-signature on a detached CMS needs the content', async () => {
  const detached = await signCms({ content: data, signer: key.signer, certificate: key.certificate, detached: true });
  await assert.rejects(addCmsSigner(detached, { signer: key.signer, certificate: key.certificate }), (e) => isQtError(e, 'QT_ERR_CMS_NO_CONTENT'));
  const cosigned = await addCmsSigner(detached, { signer: key.signer, certificate: key.certificate, content: data });
  assert.equal((await verifyCms(cosigned, { content: data })).signers.length, 2);
});

test('toCmsPem gives the armour NCALayer basics.sign answers with, which openssl reads as PEM', async () => {
  const cms = await signCms({ content: data, signer: key.signer, certificate: key.certificate, signingTime: SIGN_KEY_TIME });
  const pem = toCmsPem(cms);
  assert.match(pem, /^-----BEGIN CMS-----\n[A-Za-z0-9+/=\n]+-----END CMS-----\n$/);
  const result = run('openssl', [
    'cms', '-verify', '-inform', 'PEM', '-in', tmp.write('armoured.pem', pem), '-binary', '-CAfile', caFile, '-partial_chain',
    '-attime', SIGN_KEY_EPOCH, '-purpose', 'any', '-out', tmp.path('out.bin'),
  ]);
  assert.equal(result.status, 0, result.stderr);
});

test('an ECDSA P-256 signer makes a CAdES-BES CMS that openssl verifies against its certificate', async () => {
  const ec = await ecdsaSigner(tmp);
  const cms = await signCms({ content: data, signer: ec.signer, certificate: ec.certificate });
  const result = run('openssl', [
    'cms', '-verify', '-cades', '-inform', 'DER', '-in', tmp.write('ec.p7s', cms), '-binary', '-CAfile', tmp.path('ec-cert.pem'),
    '-purpose', 'any', '-out', tmp.path('out.bin'),
  ]);
  assert.equal(result.status, 0, result.stderr);
});
