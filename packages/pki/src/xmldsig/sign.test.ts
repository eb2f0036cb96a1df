import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixturePath } from '../../../../test/support/fixtures.ts';
import { isQtError, type QtErrorCode } from '@qoltanba/errors';
import { generateRsaKeyPair, webCryptoSigner } from '../crypto/index.ts';
import { ecdsaSigner, run, type FixtureSigner, type ScratchDir, useFixtureSigner } from '../cms/testing/helpers.ts';
import { signXml } from './sign.ts';
import { verifyXml } from './verify.ts';

let key: FixtureSigner;
let tmp: ScratchDir;
useFixtureSigner((k, t) => ([key, tmp] = [k, t]));

interface Exchange {
  request: string;
  response: string;
}
const exchanges = JSON.parse(readFileSync(fixturePath('ncalayer', 'captured-exchanges.json'), 'utf8')) as Exchange[];

/** Signed XML documents NCALayer returned, by the method that produced them. */
function capturedXml(method: string, format?: string): string[] {
  return exchanges.flatMap((e) => {
    const request = JSON.parse(e.request) as { method: string; args: unknown };
    if (request.method !== method) return [];
    if (format && (request.args as { format?: string }).format !== format) return [];
    const response = JSON.parse(e.response) as { responseObject?: unknown; body?: { result?: unknown } };
    const result = response.responseObject ?? response.body?.result;
    return (Array.isArray(result) ? result : [result]).filter((x): x is string => typeof x === 'string' && x.includes('<ds:Signature'));
  });
}

/** The capture strips certificates and key-dependent values; compare everything else byte for byte. */
function masked(xml: string): string {
  return xml
    .replace(/<ds:SignatureValue>[^<]*<\/ds:SignatureValue>/, '<ds:SignatureValue>…</ds:SignatureValue>')
    .replace(/<ds:X509Certificate>[^<]*<\/ds:X509Certificate>/, '<ds:X509Certificate>…</ds:X509Certificate>');
}

function xmlsecVerify(file: string, extra: string[] = []) {
  return run('xmlsec1', ['--verify', '--pubkey-cert-pem', tmp.path('signer.pem'), ...extra, file]);
}

function rejectsWith(code: QtErrorCode, pattern?: RegExp) {
  return (e: unknown) => {
    assert.ok(isQtError(e, code), `expected ${code}, got ${String((e as { code?: string }).code)}: ${(e as Error).message}`);
    if (pattern) assert.match((e as Error).message, pattern);
    return true;
  };
}

test("our signXml output is NCALayer's commonUtils signXml/signXmls reply byte for byte (CRLF), but for key-bound values", async () => {
  const captured = [...capturedXml('signXml'), ...capturedXml('signXmls')];
  assert.ok(captured.length >= 6, 'the capture holds commonUtils XML signatures');
  const ours = await signXml('<tag>data</tag>', { signer: key.signer, certificate: key.certificate });
  for (const theirs of captured) assert.equal(masked(ours), masked(theirs));
  // Same document, same layout: the reference digest NCALayer computed is the one we compute.
  assert.match(ours, /<ds:DigestValue>soDZFGIUsZ1x0sK\/7x1bJvtGeQsO0BKOVwAvKxC3RJY=<\/ds:DigestValue>/);
});

test("with lineEnding LF our output is NCALayer's basics.sign(format:xml) reply byte for byte, but for key-bound values", async () => {
  const [theirs] = capturedXml('sign', 'xml');
  assert.ok(theirs);
  const ours = await signXml('<tag>data</tag>', { signer: key.signer, certificate: key.certificate, lineEnding: '\n' });
  assert.equal(masked(ours), masked(theirs));
  assert.ok(!ours.includes('\r'));
});

test('base64 values are wrapped at 76 characters on their own lines, as Santuario writes them', async () => {
  const ours = await signXml('<tag>data</tag>', { signer: key.signer, certificate: key.certificate });
  const certText = /<ds:X509Certificate>([^<]*)<\/ds:X509Certificate>/.exec(ours)?.[1] ?? '';
  const lines = certText.split('\r\n');
  assert.equal(lines[0], '');
  assert.equal(lines.at(-1), '');
  assert.ok(lines.slice(1, -2).every((l) => l.length === 76));
  assert.equal(Buffer.from(lines.join(''), 'base64').equals(Buffer.from(key.certificate)), true);
});

test('xmlsec1 verifies a whole-document signature we make, and rejects it once a text byte changes', async () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<!-- заявка -->\n<Өтініш xmlns="urn:qoltanba:form" Id="f1" xml:lang="kk">\n  <Аты>Тест Тестов</Аты>\n  <note>a &amp; b &lt; c &#13; 'q'</note>\n  <empty/>\n</Өтініш>`;
  const signed = await signXml(xml, { signer: key.signer, certificate: key.certificate });
  const ok = xmlsecVerify(tmp.write('whole.xml', signed));
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout + ok.stderr, /^OK$/m);
  const tampered = signed.replace('Тест Тестов', 'Тест Тестоu');
  const bad = xmlsecVerify(tmp.write('whole-tampered.xml', tampered));
  assert.notEqual(bad.status, 0);
  await assert.rejects(verifyXml(tampered), rejectsWith('QT_ERR_XML_SIGNATURE_INVALID', /digest mismatch/));
});

test('xmlsec1 verifies a tbsXPath signature (Reference "#Id") placed under parentXPath in a namespaced document', async () => {
  const xml = '<r:root xmlns="urn:d" xmlns:r="urn:r"><doc Id="part-1">Қолтаңба<!-- not signed: #id drops comments --></doc><other>x</other><sigs/></r:root>';
  const signed = await signXml(xml, {
    signer: key.signer,
    certificate: key.certificate,
    tbsXPath: "//*[@Id='part-1']",
    parentXPath: '/r:root/*[3]',
  });
  assert.match(signed, /<ds:Reference URI="#part-1">/);
  assert.match(signed, /<sigs><ds:Signature [^>]*>[\s\S]*<\/ds:Signature><\/sigs><\/r:root>$/);
  const result = xmlsecVerify(tmp.write('tbs.xml', signed), ['--id-attr:Id', 'urn:d:doc']);
  assert.equal(result.status, 0, result.stderr);
  const ours = await verifyXml(signed);
  assert.deepEqual(ours.references[0]?.covers, { element: 'doc', id: 'part-1' });
  // Outside the signed element nothing is protected; inside, everything is.
  await verifyXml(signed.replace('<other>x</other>', '<other>y</other>'));
  await assert.rejects(verifyXml(signed.replace('Қолтаңба', 'Колтанба')), rejectsWith('QT_ERR_XML_SIGNATURE_INVALID'));
});

test("the caller's document text is kept byte for byte; only NCALayer's XML declaration replaces theirs", async () => {
  const body = "<a  b='1'   c=\"&#x9;\">\r\n  line&#13;<![CDATA[<raw>]]><e></e>\n</a>";
  const signed = await signXml(`<?xml version='1.0' encoding='windows-1251'?>\n${body}`, { signer: key.signer, certificate: key.certificate });
  const withoutSignature = signed.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
  assert.equal(withoutSignature, `<?xml version="1.0" encoding="UTF-8" standalone="no"?>${body}`);
  await verifyXml(signed);
  assert.equal(xmlsecVerify(tmp.write('kept.xml', signed)).status, 0);
});

test('an empty-element root <root/> receives the signature as its content', async () => {
  const signed = await signXml('<root attr="v"/>', { signer: key.signer, certificate: key.certificate });
  assert.match(signed, /^<\?xml[^>]*\?><root attr="v"><ds:Signature [\s\S]*<\/ds:Signature><\/root>$/);
  assert.equal(xmlsecVerify(tmp.write('empty.xml', signed)).status, 0);
});

test('malformed XML is QT_ERR_XML_MALFORMED with the position NCALayer reports (line 1, column 25)', async () => {
  await assert.rejects(signXml('<this>is not a valid XML', { signer: key.signer, certificate: key.certificate }), (e) => {
    assert.ok(isQtError(e, 'QT_ERR_XML_MALFORMED'));
    assert.deepEqual({ line: e.details?.line, column: e.details?.column }, { line: 1, column: 25 });
    assert.match(e.message, /line 1, column 25/);
    return true;
  });
  // A mismatched end tag is reported where the element left open starts.
  await assert.rejects(signXml('<a>\n<b>\n</a>', { signer: key.signer, certificate: key.certificate }), (e) =>
    isQtError(e, 'QT_ERR_XML_MALFORMED') && e.details?.line === 2 && /tag mismatch/.test(e.message),
  );
  for (const bad of ['', 'plain text', '<a x=1/>', '<a/><b/>', '<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>']) {
    await assert.rejects(signXml(bad, { signer: key.signer, certificate: key.certificate }), rejectsWith('QT_ERR_XML_MALFORMED'), bad);
  }
});

test('XPath problems: no match, an invalid expression, and a tbs element without an Id each get a precise error', async () => {
  const base = { signer: key.signer, certificate: key.certificate };
  await assert.rejects(signXml('<a><b/></a>', { ...base, parentXPath: '/a/c' }), rejectsWith('QT_ERR_XML_XPATH_NOT_FOUND', /parentXPath/));
  await assert.rejects(signXml('<a><b/></a>', { ...base, tbsXPath: '/a/[' }), rejectsWith('QT_ERR_INPUT_INVALID', /not valid XPath/));
  await assert.rejects(signXml('<a><b/></a>', { ...base, tbsXPath: '/a/b' }), rejectsWith('QT_ERR_INPUT_INVALID', /no Id attribute/));
});

test('signing refuses a certificate that does not hold the signing key', async () => {
  const pair = await generateRsaKeyPair(2048);
  const stranger = await webCryptoSigner(pair.privateKey, pair.publicKey);
  await assert.rejects(signXml('<a/>', { signer: stranger, certificate: key.certificate }), rejectsWith('QT_ERR_KEY_MISMATCH'));
});

test('an ECDSA P-256 signer gets an ecdsa-sha256 signature (r‖s value) that xmlsec1 verifies', async () => {
  const ec = await ecdsaSigner(tmp);
  const signed = await signXml('<a>ECDSA</a>', { signer: ec.signer, certificate: ec.certificate });
  assert.match(signed, /Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#ecdsa-sha256"/);
  const value = /<ds:SignatureValue>([^<]*)</.exec(signed)?.[1] ?? '';
  assert.equal(Buffer.from(value, 'base64').length, 64);
  const result = run('xmlsec1', ['--verify', '--pubkey-cert-pem', tmp.path('ec-cert.pem'), tmp.write('ec.xml', signed)]);
  assert.equal(result.status, 0, result.stderr);
  assert.equal((await verifyXml(signed)).signatureAlgorithm.name, 'ECDSA/SHA-256');
});
