import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixturePath, nca, readFixture } from '../../../../test/support/fixtures.ts';
import { isQtError, type QtErrorCode } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { run, SIGN_KEY_TIME, type FixtureSigner, type ScratchDir, useFixtureSigner } from '../cms/testing/helpers.ts';
import { C14N, C14N_WITH_COMMENTS, ENVELOPED_SIGNATURE, EXC_C14N } from './algorithms.ts';
import { signXml } from './sign.ts';
import { verifyXml } from './verify.ts';

let key: FixtureSigner;
let tmp: ScratchDir;
useFixtureSigner((k, t) => ([key, tmp] = [k, t]));

function rejectsWith(code: QtErrorCode, reason?: string) {
  return (e: unknown) => {
    assert.ok(isQtError(e, code), `expected ${code}, got ${String((e as { code?: string }).code)}: ${(e as Error).message}`);
    if (reason) assert.equal(e.details?.reason, reason);
    return true;
  };
}

/** Signs a template with xmlsec1 (an independent XMLDSig implementation) and the fixture key. */
function xmlsecSign(name: string, template: string, extra: string[] = []): string {
  const result = run('xmlsec1', [
    '--sign', '--privkey-pem', `${tmp.path('signer.key')},${tmp.path('signer.pem')}`, ...extra,
    '--output', tmp.path(`${name}.signed.xml`), tmp.write(`${name}.xml`, template),
  ]);
  assert.equal(result.status, 0, result.stderr);
  return readFileSync(tmp.path(`${name}.signed.xml`), 'utf8');
}

const DS = 'http://www.w3.org/2000/09/xmldsig#';

test('an enveloped signature made by xmlsec1 (default-namespace Signature, plain c14n) verifies with ours', async () => {
  const signed = xmlsecSign(
    'plain',
    `<?xml version="1.0" encoding="UTF-8"?>
<doc xmlns:x="urn:x"><x:item a="1">Мәтін &amp; деректер</x:item><!-- a comment -->
<Signature xmlns="${DS}"><SignedInfo><CanonicalizationMethod Algorithm="${C14N}"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<Reference URI=""><Transforms><Transform Algorithm="${ENVELOPED_SIGNATURE}"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo>
<SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature></doc>`,
  );
  const result = await verifyXml(signed, { at: SIGN_KEY_TIME });
  assert.deepEqual(result.certificate, key.certificate);
  assert.deepEqual(result.signatureAlgorithm, { oid: oid.sha256WithRsa, name: 'RSA/SHA-256' });
  assert.deepEqual(result.references[0]?.covers, { document: true });
  await assert.rejects(verifyXml(signed.replace('Мәтін', 'Матін')), rejectsWith('QT_ERR_XML_SIGNATURE_INVALID', 'digest'));
});

test('an xmlsec1 signature with exclusive c14n, InclusiveNamespaces, RSA/SHA-1 and an "#Id" reference verifies with ours', async () => {
  const signed = xmlsecSign(
    'exclusive',
    `<env:Envelope xmlns:env="urn:env" xmlns:unused="urn:unused"><env:Body Id="body-1" xmlns:p="urn:p"><p:data>42</p:data></env:Body>
<ds:Signature xmlns:ds="${DS}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"><ec:InclusiveNamespaces xmlns:ec="${EXC_C14N}" PrefixList="env"/></ds:CanonicalizationMethod>
<ds:SignatureMethod Algorithm="${DS}rsa-sha1"/><ds:Reference URI="#body-1"><ds:Transforms><ds:Transform Algorithm="${EXC_C14N}"/></ds:Transforms>
<ds:DigestMethod Algorithm="${DS}sha1"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature></env:Envelope>`,
    ['--id-attr:Id', 'urn:env:Body'],
  );
  const result = await verifyXml(signed);
  assert.equal(result.canonicalizationMethod, EXC_C14N);
  assert.deepEqual(result.references[0]?.covers, { element: 'env:Body', id: 'body-1' });
  assert.equal(result.references[0]?.digestMethod.name, 'SHA-1');
  await assert.rejects(verifyXml(signed.replace('>42<', '>43<')), rejectsWith('QT_ERR_XML_SIGNATURE_INVALID', 'digest'));
});

test('an xmlsec1 signature over #xpointer(/) with comments covers the comments', async () => {
  const signed = xmlsecSign(
    'comments',
    `<doc><!-- signed comment --><v>1</v><Signature xmlns="${DS}"><SignedInfo><CanonicalizationMethod Algorithm="${C14N_WITH_COMMENTS}"/>
<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI="#xpointer(/)"><Transforms><Transform Algorithm="${ENVELOPED_SIGNATURE}"/><Transform Algorithm="${C14N_WITH_COMMENTS}"/></Transforms>
<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature></doc>`,
  );
  await verifyXml(signed);
  await assert.rejects(verifyXml(signed.replace('signed comment', 'edited comment')), rejectsWith('QT_ERR_XML_SIGNATURE_INVALID', 'digest'));
});

interface Exchange {
  request: string;
  response: string;
}

/** NCALayer's replies keep their reference digests and signature values; certificates are stripped. */
function capturedSignedXml(): string[] {
  const exchanges = JSON.parse(readFileSync(fixturePath('ncalayer', 'captured-exchanges.json'), 'utf8')) as Exchange[];
  return exchanges.flatMap((e) => {
    const response = JSON.parse(e.response) as { responseObject?: unknown; body?: { result?: unknown } };
    const result = response.responseObject ?? response.body?.result;
    return (Array.isArray(result) ? result : [result]).filter((x): x is string => typeof x === 'string' && x.includes('<ds:Signature'));
  });
}

test("NCALayer's captured XML signatures pass the reference check, and stop only where the capture stripped the certificate", async () => {
  const captured = capturedSignedXml();
  assert.equal(captured.length, 10);
  for (const xml of captured) {
    const stripped = /<ds:X509Certificate>([^<]*)</.exec(xml)?.[1];
    // Digests are checked before the certificate is needed: reaching these errors means they matched.
    if (stripped === '') await assert.rejects(verifyXml(xml), rejectsWith('QT_ERR_XML_SIGNER_NOT_FOUND'));
    else await assert.rejects(verifyXml(xml), rejectsWith('QT_ERR_CERT_MALFORMED'));
    // With a certificate supplied, the (intact) RSA-2048 signature value is checked — against our key it fails.
    await assert.rejects(verifyXml(xml, { certificate: key.certificate }), rejectsWith('QT_ERR_XML_SIGNATURE_INVALID', 'signature'));
    await assert.rejects(verifyXml(xml.replace('>data<', '>date<'), { certificate: key.certificate }), rejectsWith('QT_ERR_XML_SIGNATURE_INVALID', 'digest'));
    const value = /<ds:SignatureValue>([^<]*)</.exec(xml)?.[1] ?? '';
    assert.equal(Buffer.from(value.replace(/\s/g, ''), 'base64').length, 256);
  }
});

test('our own signatures verify, report what they cover, and fail on a changed signature value', async () => {
  const signed = await signXml('<a><b Id="x">1</b><c Id="y">2</c></a>', {
    signer: key.signer,
    certificate: key.certificate,
    tbsXPath: "//*[@Id='x']",
    parentXPath: '/a/b',
  });
  const result = await verifyXml(signed, { at: SIGN_KEY_TIME });
  assert.deepEqual(result.certificates, [key.certificate]);
  assert.equal(result.signatures.length, 1);
  assert.deepEqual(result.references[0]?.transforms, [ENVELOPED_SIGNATURE, C14N_WITH_COMMENTS]);
  const value = /<ds:SignatureValue>\r\n(.)/.exec(signed)?.[1] as string;
  const broken = signed.replace(`<ds:SignatureValue>\r\n${value}`, `<ds:SignatureValue>\r\n${value === 'A' ? 'B' : 'A'}`);
  await assert.rejects(verifyXml(broken), rejectsWith('QT_ERR_XML_SIGNATURE_INVALID', 'signature'));
});

test('two signatures over different elements both verify and are both reported', async () => {
  const once = await signXml('<a><b Id="x">1</b><c Id="y">2</c></a>', { signer: key.signer, certificate: key.certificate, tbsXPath: "//*[@Id='x']", parentXPath: '/a/b' });
  const twice = await signXml(once, { signer: key.signer, certificate: key.certificate, tbsXPath: "//*[@Id='y']", parentXPath: '/a/c' });
  const result = await verifyXml(twice);
  assert.deepEqual(
    result.signatures.map((s) => s.references[0]?.uri),
    ['#x', '#y'],
  );
});

test('a duplicated Id (signature wrapping) is QT_ERR_XML_SIGNATURE_INVALID, not a guess', async () => {
  const signed = await signXml('<a><b Id="x">1</b></a>', { signer: key.signer, certificate: key.certificate, tbsXPath: "//*[@Id='x']" });
  const wrapped = signed.replace('<a>', '<a><b Id="x">evil</b>');
  await assert.rejects(verifyXml(wrapped), rejectsWith('QT_ERR_XML_SIGNATURE_INVALID', 'reference'));
});

test('unsigned, malformed, unsupported-algorithm, wrong-key, expired and oversize inputs each get their own error', async () => {
  await assert.rejects(verifyXml('<a>no signature here</a>'), rejectsWith('QT_ERR_XML_NO_SIGNATURE'));
  await assert.rejects(verifyXml('<this>is not a valid XML'), (e) => isQtError(e, 'QT_ERR_XML_MALFORMED') && e.details?.column === 25);
  const signed = await signXml('<a>1</a>', { signer: key.signer, certificate: key.certificate });
  const md5 = signed.replace('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2001/04/xmldsig-more#rsa-md5');
  await assert.rejects(verifyXml(md5), rejectsWith('QT_ERR_ALGORITHM_UNSUPPORTED'));
  // Kalkan's GOST URI is known now; an RSA key cannot have made such a signature.
  const gost = signed.replace(
    'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512',
  );
  await assert.rejects(verifyXml(gost), rejectsWith('QT_ERR_SIGNATURE_INVALID'));
  await assert.rejects(verifyXml(signed, { at: new Date('2022-03-01T00:00:00Z') }), rejectsWith('QT_ERR_CERT_EXPIRED'));
  await assert.rejects(verifyXml(signed, { maxChars: 100 }), rejectsWith('QT_ERR_TOO_LARGE'));
});

test('a caller-supplied certificate overrides KeyInfo: another key makes the signature invalid', async () => {
  const signed = await signXml('<a>1</a>', { signer: key.signer, certificate: key.certificate });
  await assert.rejects(verifyXml(signed, { certificate: readFixture(...nca.signCert) }), rejectsWith('QT_ERR_XML_SIGNATURE_INVALID', 'signature'));
});
