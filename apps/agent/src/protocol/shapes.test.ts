/**
 * The shapes real sites rely on, replayed from the captured NCALayer exchanges: every request that NCALayer
 * answered with a signature is sent to the agent as captured (the token storage read as key files), the
 * consent page is answered, and the reply must have NCALayer's shape — the envelope's fields, a string or an
 * array as NCALayer gave, base64 DER (commonUtils) or PEM (basics) CMS, attached or detached as asked, and the
 * XML signature laid out line for line as NCALayer's (CRLF for commonUtils, LF for basics; the digest over
 * `<tag>data</tag>` is the same bytes). OpenSSL checks every CMS.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { derFrom, oid, parseCms, SignedDataEditor } from '@qoltanba/pki';
import { fixturePath } from '../../../../test/support/fixtures.ts';
import { connectRaw, type RawAgentConnection } from '../testing/agent-client.ts';
import { ConsentAtHttp } from '../testing/consent-http.ts';
import { makeKeyFile, type TestKeyFile } from '../testing/key-files.ts';
import { createOpensslCa, type OpensslCa } from '../testing/openssl-ca.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';
import { startTestTsa, type TestTsa } from '../testing/tsa.ts';
import { opensslCmsVerify } from '../testing/verifiers.ts';

interface Exchange {
  request: string;
  response: string;
}
const exchanges = JSON.parse(await readFile(fixturePath('ncalayer', 'captured-exchanges.json'), 'utf8')) as Exchange[];
const SITE = 'https://portal.example.kz';
const PASSWORD = 'Shapes2025pass';

/** NCALayer's XML with what differs per key and signature replaced, so the layouts can be compared. */
function xmlSkeleton(xml: string): string {
  return xml
    .replace(/<ds:SignatureValue>[\s\S]*?<\/ds:SignatureValue>/, '<ds:SignatureValue>…</ds:SignatureValue>')
    .replace(/<ds:X509Certificate>[\s\S]*?<\/ds:X509Certificate>/, '<ds:X509Certificate>…</ds:X509Certificate>');
}

/** How many signature time-stamps the (only) signer carries. */
function stampCount(cms: Uint8Array | string): number {
  const editor = SignedDataEditor.open(typeof cms === 'string' ? derFrom(cms, 'CMS') : cms);
  return editor.unsignedAttributes(0).filter((a) => a.type === oid.attrTimeStampToken).length;
}

/** Reads the captured request as a site would send it to our agent: the token storage becomes key files. */
function replayed(index: number): { frame: Record<string, unknown>; module: string; method: string; args: unknown } {
  const frame = JSON.parse((exchanges[index] as Exchange).request) as { module: string; method: string; args: unknown };
  if (Array.isArray(frame.args)) frame.args = frame.args.map((a, i) => (i === 0 ? 'PKCS12' : a));
  else if (frame.args && typeof frame.args === 'object') {
    const a = frame.args as Record<string, unknown>;
    if (a.allowedStorages !== null) a.allowedStorages = ['PKCS12'];
  }
  return { frame: frame as unknown as Record<string, unknown>, ...frame };
}

describe('replies have the shapes of the captured NCALayer exchanges', () => {
  let ca: OpensslCa;
  let keyDir: string;
  let agent: TestAgent;
  let tsa: TestTsa;
  let c: RawAgentConnection;
  let sign: TestKeyFile;
  let auth: TestKeyFile;
  const opened: string[] = [];

  before(async () => {
    ca = await createOpensslCa();
    keyDir = await mkdtemp(join(tmpdir(), 'qt-shapes-keys-'));
    sign = await makeKeyFile(ca, keyDir, { kind: 'SIGN', name: 'ТЕСТОВ ТЕСТ', iin: '123456789011', password: PASSWORD });
    auth = await makeKeyFile(ca, keyDir, { kind: 'AUTH', name: 'ТЕСТОВ ТЕСТ', iin: '123456789011', password: PASSWORD });
    tsa = await startTestTsa();
    agent = await startTestAgent({ allowedOrigins: [SITE], keyDirs: [keyDir], tsaUrl: tsa.url, openConsent: (url) => void opened.push(url) });
    c = await connectRaw(agent.url, { Origin: SITE });
  });
  after(async () => {
    c?.close();
    await agent?.dispose();
    await ca?.dispose();
    await tsa?.close();
    await rm(keyDir, { recursive: true, force: true });
  });

  /** Sends the captured request, answers the consent with the key a person would pick, returns our reply. */
  async function replay(index: number): Promise<{ ours: Record<string, unknown>; captured: Record<string, unknown>; args: unknown; method: string }> {
    const { frame, args, method } = replayed(index);
    const before = opened.length;
    const reply = c.call(frame);
    while (opened.length === before) await new Promise((r) => setTimeout(r, 10));
    const keyType = Array.isArray(args) ? args[1] : undefined;
    const page = new ConsentAtHttp(opened[opened.length - 1] as string);
    await page.unlockAndConfirm(keyType === 'AUTHENTICATION' ? auth.fileName : sign.fileName, PASSWORD);
    return { ours: await reply, captured: JSON.parse((exchanges[index] as Exchange).response) as Record<string, unknown>, args, method };
  }

  const sameEnvelope = (ours: Record<string, unknown>, captured: Record<string, unknown>) => {
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(captured).sort());
    if ('code' in captured) assert.equal(ours.code, captured.code);
    if ('status' in captured) assert.equal(ours.status, captured.status);
  };

  for (const index of [8, 9, 10, 11, 17, 18, 19, 20]) {
    test(`commonUtils CMS (exchange ${index}): {code:"200", responseObject: base64 DER}, attached as asked, time-stamped by createCMSSignature… only`, async () => {
      const { ours, captured, args, method } = await replay(index);
      sameEnvelope(ours, captured);
      const b64 = ours.responseObject as string;
      assert.match(b64, /^[A-Za-z0-9+/]+=*$/, 'base64 without PEM armour or line breaks');
      const attached = (args as unknown[])[3] === true;
      const der = Buffer.from(b64, 'base64');
      assert.equal(parseCms(der).attached, attached);
      const content = await opensslCmsVerify({ cms: der, caFile: ca.certificateFile, at: new Date(), content: attached ? undefined : Buffer.from('11\n') });
      assert.equal(content.toString(), '11\n');
      assert.equal(stampCount(der), method === 'createCMSSignatureFromBase64' ? 1 : 0);
    });
  }

  test('getKeyInfo (exchange 5): responseObject with NCALayer\'s fields, dates as strings of epoch milliseconds', async () => {
    const { ours, captured } = await replay(5);
    sameEnvelope(ours, captured);
    const info = ours.responseObject as Record<string, string>;
    assert.equal(typeof info.certNotBefore, 'string');
    assert.match(info.certNotBefore as string, /^\d+$/);
  });

  for (const index of [23, 24, 25]) {
    test(`commonUtils signXml (exchange ${index}): one string, NCALayer's layout line for line with CRLF`, async () => {
      const { ours, captured } = await replay(index);
      sameEnvelope(ours, captured);
      assert.equal(xmlSkeleton(ours.responseObject as string), xmlSkeleton(captured.responseObject as string));
    });
  }

  for (const index of [27, 28, 29]) {
    test(`commonUtils signXmls (exchange ${index}): an array, one signed document each, same layout`, async () => {
      const { ours, captured } = await replay(index);
      sameEnvelope(ours, captured);
      const mine = ours.responseObject as string[];
      const theirs = captured.responseObject as string[];
      assert.equal(mine.length, theirs.length);
      mine.forEach((x, i) => assert.equal(xmlSkeleton(x), xmlSkeleton(theirs[i] as string)));
    });
  }

  for (const index of [35, 38, 40, 41]) {
    test(`basics.sign cms (exchange ${index}): {status:true, body:{result}} with one PEM string for one document, stamped when it names a tsaProfile`, async () => {
      const { ours, captured, args } = await replay(index);
      sameEnvelope(ours, captured);
      const result = (ours.body as { result: unknown }).result;
      assert.equal(typeof result, typeof (captured.body as { result: unknown }).result);
      assert.match(result as string, /^-----BEGIN CMS-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CMS-----\n$/);
      const p = (args as { signingParams: Record<string, boolean>; data: string }).signingParams;
      const report = parseCms(result as string);
      assert.equal(stampCount(result as string), 'tsaProfile' in p ? 1 : 0, 'a tsaProfile asks for a time-stamp');
      assert.equal(report.attached, p.encapsulate !== false && p.digested !== true);
      if (p.digested) assert.deepEqual(Buffer.from(report.signers[0]?.messageDigest as Uint8Array), Buffer.from((args as { data: string }).data, 'base64'));
      else await opensslCmsVerify({ cms: result as string, caFile: ca.certificateFile, at: new Date(), content: report.attached ? undefined : Buffer.from('11\n') });
    });
  }

  test('basics.sign cms over an array (exchange 49): an array of PEM strings, one per document', async () => {
    const { ours, captured } = await replay(49);
    sameEnvelope(ours, captured);
    const result = (ours.body as { result: string[] }).result;
    assert.ok(Array.isArray(result) && result.length === 3);
    for (const pem of result) assert.equal((await opensslCmsVerify({ cms: pem, caFile: ca.certificateFile, at: new Date() })).toString(), '11\n');
  });

  test('basics.sign xml (exchange 48): an array even for one document, NCALayer\'s layout with LF', async () => {
    const { ours, captured } = await replay(48);
    sameEnvelope(ours, captured);
    const result = (ours.body as { result: string[] }).result;
    assert.ok(Array.isArray(result) && result.length === 1);
    assert.equal(xmlSkeleton(result[0] as string), xmlSkeleton((captured.body as { result: string[] }).result[0] as string));
  });

  test('where the agent deliberately differs: a "hash" that is no hash (exchanges 13, 39) is refused in the family\'s error shape', async () => {
    const common = await c.call(replayed(13).frame);
    assert.equal(common.code, '500');
    assert.match(String(common.message), /a SHA-256 hash is 32 bytes/);
    const basics = await c.call(replayed(39).frame);
    assert.deepEqual([basics.status, basics.code], [false, 'INVALID_SIGNING_PARAMS']);
  });
});
