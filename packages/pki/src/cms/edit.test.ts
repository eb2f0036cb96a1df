/**
 * The SignedData editor keeps what was signed byte for byte: other signers, the content, certificates already
 * present. OpenSSL (`openssl cms -verify`, `-cmsout -print`) is the referee of every edited CMS.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { nca, readFixture } from '../../../../test/support/fixtures.ts';
import { isQtError } from '@qoltanba/errors';
import { bytesEqual, utf8 } from '../encoding.ts';
import { makeCert, makeHierarchy, leafOptions, type TestCert } from '../path/testing/ca.ts';
import { openssl, opensslResult, tempDir, type TempDir } from '../path/testing/openssl.ts';
import { objectIdentifier, octetString } from '../der/write.ts';
import { addCmsSigner, signCms } from './sign.ts';
import { verifyCms } from './verify.ts';
import { SignedDataEditor } from './edit.ts';

const data = utf8('Екі адам қол қояды / Two people sign\n');
let root: TestCert;
let ca: TestCert;
let alice: TestCert;
let bob: TestCert;
let tmp: TempDir;

before(async () => {
  ({ root, ca } = await makeHierarchy());
  alice = await makeCert(leafOptions(ca, 'CN=ALICE, C=KZ'));
  bob = await makeCert(leafOptions(ca, 'CN=BOB, C=KZ'));
  tmp = tempDir();
  tmp.file('root.pem', root.pem);
  tmp.file('ca.pem', ca.pem);
});
after(() => tmp.remove());

function opensslVerify(name: string, cms: Uint8Array) {
  return opensslResult(['cms', '-verify', '-inform', 'DER', '-in', tmp.file(name, cms), '-binary', '-CAfile', tmp.path('root.pem'), '-purpose', 'any', '-out', tmp.path(`${name}.out`)]);
}

async function twoSigners(): Promise<Uint8Array> {
  const one = await signCms({ content: data, signer: alice.signer, certificate: alice.der, chain: [ca.der] });
  return addCmsSigner(one, { signer: bob.signer, certificate: bob.der });
}

test("an unsigned attribute on signer 2 leaves signer 1's SignerInfo and signer 2's signed fields byte for byte; both still verify", async () => {
  const before = await twoSigners();
  const editor = SignedDataEditor.open(before);
  const original = [editor.signerInfoDer(0), editor.signer(1)];
  const value = octetString(utf8('a stamp would go here'));
  editor.addUnsignedAttribute(1, '1.2.840.113549.1.9.16.2.14', value);
  const after = editor.toDer();

  const reread = SignedDataEditor.open(after);
  assert.deepEqual(reread.signerInfoDer(0), original[0]);
  const { unsignedAttrs, ...signed } = reread.signer(1);
  const { unsignedAttrs: none, ...signedBefore } = original[1] as ReturnType<SignedDataEditor['signer']>;
  assert.deepEqual(signed, signedBefore);
  assert.deepEqual(none, []);
  assert.deepEqual(unsignedAttrs, [{ type: '1.2.840.113549.1.9.16.2.14', values: [value] }]);
  assert.equal((await verifyCms(after)).signers.length, 2);
  const referee = opensslVerify('two.p7s', after);
  assert.equal(referee.status, 0, referee.output);
  assert.match(openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', tmp.path('two.p7s')]), /unsignedAttrs:\s+object: id-smime-aa-timeStampToken/);
});

test('a second attribute is added after the first, never in its place', async () => {
  const editor = SignedDataEditor.open(await twoSigners());
  editor.addUnsignedAttribute(0, '1.2.840.113549.1.9.16.2.14', octetString(utf8('first')));
  const once = SignedDataEditor.open(editor.toDer());
  once.addUnsignedAttribute(0, '1.2.840.113549.1.9.16.2.14', octetString(utf8('second')));
  const twice = SignedDataEditor.open(once.toDer());
  assert.deepEqual(twice.unsignedAttributes(0).map((a) => a.values[0]), [octetString(utf8('first')), octetString(utf8('second'))]);
  assert.deepEqual(twice.unsignedAttributes(1), []);
});

test('certificates, a CRL and an OCSP response (RevocationInfoChoice other, SignedData v5) are added once; openssl still verifies', async () => {
  const cms = await twoSigners();
  const editor = SignedDataEditor.open(cms);
  assert.equal(editor.addCertificates([root.der, ca.der]), 1, 'the CA certificate was already there');
  assert.equal(editor.addCrls([readFixture(...nca.rsaCrl)]), 1);
  assert.equal(editor.addOcspResponses([readFixture(...nca.ocspIndividualSign2004)]), 1);
  assert.equal(editor.addOcspResponses([readFixture(...nca.ocspIndividualSign2004)]), 0);
  const out = editor.toDer();
  const reread = SignedDataEditor.open(out);
  assert.equal(reread.certificates().length, 4);
  assert.equal(reread.revocationInfo().length, 2);
  assert.ok(bytesEqual(reread.revocationInfo()[0] as Uint8Array, readFixture(...nca.rsaCrl)));
  const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', tmp.file('evidence.p7s', out)]);
  assert.match(printed, /version: 5/);
  assert.match(printed, /d\.other:\s+otherRevInfoFormat: .*\(1\.3\.6\.1\.5\.5\.7\.16\.2\)\s+otherRevInfo: SEQUENCE/);
  assert.match(printed, /crls:\s+d\.crl:/);
  const referee = opensslVerify('evidence.p7s', out);
  assert.equal(referee.status, 0, referee.output);
  assert.equal((await verifyCms(out)).signers.length, 2);
});

test('a streamed (BER, indefinite-length) CMS from openssl opens, takes an attribute and still verifies', async () => {
  tmp.file('alice.pem', alice.pem);
  const key = new Uint8Array(await globalThis.crypto.subtle.exportKey('pkcs8', alice.keys.privateKey));
  tmp.file('alice.key', `-----BEGIN PRIVATE KEY-----\n${Buffer.from(key).toString('base64')}\n-----END PRIVATE KEY-----\n`);
  openssl(['cms', '-sign', '-stream', '-nodetach', '-binary', '-md', 'sha256', '-in', tmp.file('data.txt', data), '-signer', tmp.path('alice.pem'), '-inkey', tmp.path('alice.key'), '-certfile', tmp.path('ca.pem'), '-outform', 'DER', '-out', tmp.path('streamed.p7s')]);
  const streamed = tmp.read('streamed.p7s');
  assert.equal(streamed[1], 0x80, 'openssl wrote an indefinite length');
  const editor = SignedDataEditor.open(streamed);
  const signedAttrs = editor.signer(0).signedAttrs;
  editor.addUnsignedAttribute(0, objectIdentifierText, octetString(utf8('x')));
  const out = editor.toDer();
  assert.deepEqual(SignedDataEditor.open(out).signer(0).signedAttrs, signedAttrs);
  assert.deepEqual((await verifyCms(out)).content, data);
  const referee = opensslVerify('streamed-edited.p7s', out);
  assert.equal(referee.status, 0, referee.output);
});
const objectIdentifierText = '1.2.840.113549.1.9.16.2.14';

test('an unknown signer index is QT_ERR_INPUT_INVALID; garbage is QT_ERR_CMS_MALFORMED', async () => {
  const editor = SignedDataEditor.open(await twoSigners());
  assert.throws(() => editor.addUnsignedAttribute(2, objectIdentifierText, objectIdentifier('1.2.3')), (e) => isQtError(e, 'QT_ERR_INPUT_INVALID'));
  assert.throws(() => SignedDataEditor.open(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])), (e) => isQtError(e, 'QT_ERR_CMS_MALFORMED'));
});
