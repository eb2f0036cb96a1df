/**
 * Time-stamps as NCALayer makes them: createCMSSignatureFrom… and basics.sign with a tsaProfile carry a
 * signatureTimeStampToken over the signature value; createCAdESFrom… do not; applyCAdEST adds one. The TSA is
 * `openssl ts -reply` behind HTTP; `openssl cms -verify` and `openssl ts -verify` judge the results. A TSA that
 * is down, answers garbage, or stamps other data makes the request fail clearly — nothing comes back as if
 * signed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { oid, SignedDataEditor, derFrom } from '@qoltanba/pki';
import { connectRaw, type RawAgentConnection } from '../testing/agent-client.ts';
import { ConsentAtHttp } from '../testing/consent-http.ts';
import { makeKeyFile, type TestKeyFile } from '../testing/key-files.ts';
import { createOpensslCa, type OpensslCa } from '../testing/openssl-ca.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';
import { opensslTsVerify, startGarbageTsa, startTestTsa, startWrongImprintTsa, type TestTsa } from '../testing/tsa.ts';
import { opensslCmsVerify } from '../testing/verifiers.ts';

const SITE = 'https://portal.example.kz';
const PASSWORD = 'Stamps2025pass';
const DOC = Buffer.from('Келісімшарт № 7: 1 000 000 теңге');
const common = (method: string, args: unknown[]) => ({ module: 'kz.gov.pki.knca.commonUtils', method, args });
const basics = (data: string | string[], signingParams: Record<string, unknown>) => ({
  module: 'kz.gov.pki.knca.basics',
  method: 'sign',
  args: { allowedStorages: ['PKCS12'], format: 'cms', data, signingParams, signerParams: { extKeyUsageOids: [] }, locale: 'ru' },
});

/** The signer's signature time-stamp tokens (DER) and its signature value. */
function stampsOf(cms: Uint8Array | string, signer = 0): { tokens: Uint8Array[]; signature: Uint8Array } {
  const editor = SignedDataEditor.open(typeof cms === 'string' ? derFrom(cms, 'CMS') : cms);
  const tokens = editor.unsignedAttributes(signer).filter((a) => a.type === oid.attrTimeStampToken).flatMap((a) => a.values);
  return { tokens, signature: editor.signatureValue(signer) };
}

/** A TSA address where nothing listens (a port that was free a moment ago). */
async function closedPort(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return { url: `http://127.0.0.1:${port}/tsp`, close: async () => {} };
}

describe('time-stamps as NCALayer makes them', () => {
  let ca: OpensslCa;
  let tsa: TestTsa;
  let keyDir: string;
  let key: TestKeyFile;

  before(async () => {
    ca = await createOpensslCa();
    tsa = await startTestTsa();
    keyDir = await mkdtemp(join(tmpdir(), 'qt-stamp-keys-'));
    key = await makeKeyFile(ca, keyDir, { kind: 'SIGN', name: 'АХМЕТОВА АЙГЕРІМ', iin: '900101400123', password: PASSWORD });
  });
  after(async () => {
    await tsa?.close();
    await ca?.dispose();
    await rm(keyDir, { recursive: true, force: true });
  });

  type Call = (frame: unknown) => Promise<{ reply: Record<string, unknown>; page?: string }>;
  /**
   * An agent with this TSA and a connection. `confirm` sends a request and answers its consent page like a
   * person; `direct` sends one that must be answered without any page (it fails if a page opened).
   */
  async function withAgent<T>(tsaUrl: string | undefined, fn: (confirm: Call, direct: Call, c: RawAgentConnection) => Promise<T>): Promise<T> {
    const opened: string[] = [];
    const agent: TestAgent = await startTestAgent({ allowedOrigins: [SITE], keyDirs: [keyDir], tsaUrl, openConsent: (u) => void opened.push(u) });
    const c = await connectRaw(agent.url, { Origin: SITE });
    const confirm: Call = async (frame) => {
      const count = opened.length;
      const pending = c.call(frame);
      while (opened.length === count) await new Promise((r) => setTimeout(r, 10));
      const page = await new ConsentAtHttp(opened[opened.length - 1] as string).unlockAndConfirm(key.fileName, PASSWORD);
      return { reply: await pending, page };
    };
    const direct: Call = async (frame) => {
      const count = opened.length;
      const reply = await c.call(frame);
      assert.equal(opened.length, count, 'no page may open for this request');
      return { reply };
    };
    try {
      return await fn(confirm, direct, c);
    } finally {
      c.close();
      await agent.dispose();
    }
  }

  test('createCMSSignatureFromBase64 carries a signatureTimeStampToken over the signature value; createCAdESFromBase64 and …Hash do not', async () => {
    await withAgent(tsa.url, async (call) => {
      const stamped = await call(common('createCMSSignatureFromBase64', ['PKCS12', 'SIGNATURE', DOC.toString('base64'), true]));
      assert.equal(stamped.reply.code, '200', JSON.stringify(stamped.reply));
      const der = Buffer.from(stamped.reply.responseObject as string, 'base64');
      assert.deepEqual(await opensslCmsVerify({ cms: der, caFile: ca.certificateFile, at: new Date() }), DOC);
      const { tokens, signature } = stampsOf(der);
      assert.equal(tokens.length, 1);
      assert.match(await opensslTsVerify(tokens[0] as Uint8Array, signature, tsa), /Verification: OK/);

      const plain = await call(common('createCAdESFromBase64', ['PKCS12', 'SIGNATURE', DOC.toString('base64'), true]));
      assert.equal(stampsOf(Buffer.from(plain.reply.responseObject as string, 'base64')).tokens.length, 0);
      const hash = await call(common('createCAdESFromBase64Hash', ['PKCS12', 'SIGNATURE', Buffer.alloc(32, 9).toString('base64')]));
      assert.equal(stampsOf(Buffer.from(hash.reply.responseObject as string, 'base64')).tokens.length, 0);
    });
  });

  test('basics.sign with a tsaProfile stamps every CMS it returns; without one it stamps none', async () => {
    await withAgent(tsa.url, async (call) => {
      const docs = ['first', 'second'].map((d) => Buffer.from(d).toString('base64'));
      const stamped = await call(basics(docs, { decode: true, encapsulate: false, digested: false, tsaProfile: {} }));
      const pems = (stamped.reply.body as { result: string[] }).result;
      assert.equal(pems.length, 2);
      for (const [i, pem] of pems.entries()) {
        await opensslCmsVerify({ cms: pem, caFile: ca.certificateFile, at: new Date(), content: Buffer.from(docs[i] as string, 'base64') });
        const { tokens, signature } = stampsOf(pem);
        assert.equal(tokens.length, 1);
        assert.match(await opensslTsVerify(tokens[0] as Uint8Array, signature, tsa), /Verification: OK/);
      }
      const plain = await call(basics(DOC.toString('base64'), { decode: true, encapsulate: true, digested: false }));
      assert.equal(stampsOf((plain.reply.body as { result: string }).result).tokens.length, 0);
    });
  });

  test('applyCAdEST adds a stamp to a given CMS and leaves its signature as it was; createCMSSignatureFromFile signs the named file, stamped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qt-sign-file-'));
    try {
      await withAgent(tsa.url, async (call, direct) => {
        const bes = Buffer.from((await call(common('createCAdESFromBase64', ['PKCS12', 'SIGNATURE', DOC.toString('base64'), false]))).reply.responseObject as string, 'base64');
        // Stamping asks nothing: no key is used.
        const applied = await direct(common('applyCAdEST', ['PKCS12', 'SIGNATURE', bes.toString('base64')]));
        const t = Buffer.from(applied.reply.responseObject as string, 'base64');
        assert.deepEqual(SignedDataEditor.open(t).signer(0).signedAttrs, SignedDataEditor.open(bes).signer(0).signedAttrs);
        const { tokens, signature } = stampsOf(t);
        assert.equal(tokens.length, 1);
        assert.match(await opensslTsVerify(tokens[0] as Uint8Array, signature, tsa), /Verification: OK/);
        await opensslCmsVerify({ cms: t, caFile: ca.certificateFile, at: new Date(), content: DOC });

        const path = join(dir, 'Шарт №7.txt');
        await writeFile(path, DOC);
        const fromFile = await call(common('createCMSSignatureFromFile', ['PKCS12', 'SIGNATURE', path, false]));
        assert.match(fromFile.page as string, /подпись передана сайту/);
        const der = Buffer.from(fromFile.reply.responseObject as string, 'base64');
        await opensslCmsVerify({ cms: der, caFile: ca.certificateFile, at: new Date(), content: DOC });
        assert.equal(stampsOf(der).tokens.length, 1);
        const relative = await direct(common('createCMSSignatureFromFile', ['PKCS12', 'SIGNATURE', 'Шарт.txt', false]));
        assert.deepEqual(relative.reply, { code: '500', message: 'The file must be named by its full (absolute) path' });
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('no TSA configured: a request that needs a stamp is refused before anyone is asked; one that needs none is signed', async () => {
    await withAgent(undefined, async (call, direct) => {
      const cms = await direct(common('createCMSSignatureFromBase64', ['PKCS12', 'SIGNATURE', DOC.toString('base64'), false]));
      assert.equal(cms.reply.code, '500');
      assert.match(String(cms.reply.message), /no time-stamping authority is configured \(qoltanba agent install --ca/);
      const b = await direct(basics(DOC.toString('base64'), { tsaProfile: {} }));
      assert.deepEqual([b.reply.status, b.reply.code, b.reply.details], [false, 'SIGNING_FAILURE', 'QT_ERR_TSA_UNAVAILABLE']);
      const bes = await call(common('createCAdESFromBase64', ['PKCS12', 'SIGNATURE', DOC.toString('base64'), false]));
      assert.equal(bes.reply.code, '200');
    });
  });

  const brokenTsas: [string, () => Promise<{ url: string; close(): Promise<void> }>, string, RegExp][] = [
    ['down', closedPort, 'QT_ERR_TSA_UNAVAILABLE', /cannot be reached \(ECONNREFUSED\)/],
    ['answering garbage', startGarbageTsa, 'QT_ERR_TSP_MALFORMED', /answered with no usable time-stamp: The time-stamp response is malformed/],
    ['stamping other data', () => startWrongImprintTsa(tsa), 'QT_ERR_TSP_IMPRINT_MISMATCH', /answered with no usable time-stamp/],
  ];
  for (const [what, start, code, message] of brokenTsas) {
    test(`a TSA ${what} is a clear error in both families, shown in the agent's page; no signature is returned`, async () => {
      const broken = await start();
      try {
        await withAgent(broken.url, async (call, _direct, c) => {
          const frames: string[] = [];
          c.socket.on('message', (d) => frames.push(String(d)));
          const b = await call(basics(DOC.toString('base64'), { tsaProfile: {} }));
          assert.deepEqual([b.reply.status, b.reply.code, b.reply.details], [false, 'SIGNING_FAILURE', code]);
          assert.match(String(b.reply.message), message);
          assert.match(String(b.reply.message), /No signature was returned/);
          assert.match(b.page as string, /Не удалось:/);
          const cm = await call(common('createCMSSignatureFromBase64', ['PKCS12', 'SIGNATURE', DOC.toString('base64'), true]));
          assert.equal(cm.reply.code, '500');
          assert.match(String(cm.reply.message), message);
          for (const f of frames) assert.doesNotMatch(f, /BEGIN CMS|MII/, 'a signature reached the site');
        });
      } finally {
        await broken.close();
      }
    });
  }
});
