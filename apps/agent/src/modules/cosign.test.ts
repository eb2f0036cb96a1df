/**
 * Co-signing (kz.qoltanba.cms.addSigner): a second person's signature added to a CMS the first person signed
 * and time-stamped. Both signatures and both stamps verify with OpenSSL and with `qoltanba verify`, and the
 * first signer's SignerInfo — signed attributes, signature, stamp — is byte for byte what it was.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { derFrom, oid, SignedDataEditor } from '@qoltanba/pki';
import { repoRoot } from '../../../../test/support/fixtures.ts';
import { connectRaw, type RawAgentConnection } from '../testing/agent-client.ts';
import { ConsentAtHttp } from '../testing/consent-http.ts';
import { makeKeyFile, type TestKeyFile } from '../testing/key-files.ts';
import { createOpensslCa, type OpensslCa } from '../testing/openssl-ca.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';
import { opensslTsVerify, startTestTsa, type TestTsa } from '../testing/tsa.ts';
import { opensslCmsVerify } from '../testing/verifiers.ts';

const run = promisify(execFile);
const SITE = 'https://edo.example.kz';
const PASSWORD = 'Cosign2025pass';
const DOC = Buffer.from('Акт сверки № 12 между ТОО «Алма» и ТОО «Береке»');

describe('a document signed by two people (kz.qoltanba.cms.addSigner)', () => {
  let ca: OpensslCa;
  let tsa: TestTsa;
  let keyDir: string;
  let first: TestKeyFile;
  let second: TestKeyFile;
  let agent: TestAgent;
  let c: RawAgentConnection;
  const opened: string[] = [];

  before(async () => {
    ca = await createOpensslCa();
    tsa = await startTestTsa();
    keyDir = await mkdtemp(join(tmpdir(), 'qt-cosign-keys-'));
    first = await makeKeyFile(ca, keyDir, { kind: 'SIGN', name: 'АХМЕТОВА АЙГЕРІМ', iin: '900101400123', password: PASSWORD });
    second = await makeKeyFile(ca, keyDir, { kind: 'SIGN', name: 'СЕРІКОВ ДАНИЯР', iin: '850505300456', password: PASSWORD });
    agent = await startTestAgent({ allowedOrigins: [SITE], keyDirs: [keyDir], tsaUrl: tsa.url, openConsent: (u) => void opened.push(u) });
    c = await connectRaw(agent.url, { Origin: SITE });
  });
  after(async () => {
    c?.close();
    await agent?.dispose();
    await tsa?.close();
    await ca?.dispose();
    await rm(keyDir, { recursive: true, force: true });
  });

  async function confirmed(frame: unknown, key: TestKeyFile): Promise<{ reply: Record<string, unknown>; page: string }> {
    const count = opened.length;
    const pending = c.call(frame);
    while (opened.length === count) await new Promise((r) => setTimeout(r, 10));
    const consent = new ConsentAtHttp(opened[opened.length - 1] as string);
    const before = (await consent.page()).body;
    await consent.unlockAndConfirm(key.fileName, PASSWORD);
    return { reply: await pending, page: before };
  }
  const addSigner = (cms: string, extra: Record<string, unknown> = {}) => ({
    module: 'kz.qoltanba.cms',
    method: 'addSigner',
    args: { cms, allowedStorages: ['PKCS12'], signerParams: { extKeyUsageOids: ['1.3.6.1.5.5.7.3.4'] }, signingParams: { tsaProfile: {} }, locale: 'ru', ...extra },
  });

  test('the second signature goes beside the first: OpenSSL verifies both signers and both stamps, qoltanba verify names both', async () => {
    const one = await confirmed({ module: 'kz.gov.pki.knca.commonUtils', method: 'createCMSSignatureFromBase64', args: ['PKCS12', 'SIGNATURE', DOC.toString('base64'), true] }, first);
    const firstDer = Buffer.from(one.reply.responseObject as string, 'base64');

    const two = await confirmed(addSigner(firstDer.toString('base64')), second);
    assert.match(two.page, /Документ уже подписали: АХМЕТОВА АЙГЕРІМ \(900101400123\)/);
    assert.equal(two.reply.status, true, JSON.stringify(two.reply));
    const pem = (two.reply.body as { result: string }).result;
    assert.match(pem, /^-----BEGIN CMS-----\n/);
    const der = derFrom(pem, 'CMS');

    const before = SignedDataEditor.open(firstDer);
    const after = SignedDataEditor.open(der);
    assert.equal(after.signerCount, 2);
    assert.deepEqual(after.signerInfoDer(0), before.signerInfoDer(0), 'the first signer (and its stamp) must be unchanged');
    // OpenSSL's cms -verify checks every signer.
    assert.deepEqual(await opensslCmsVerify({ cms: der, caFile: ca.certificateFile, at: new Date() }), DOC);
    for (const i of [0, 1]) {
      const tokens = after.unsignedAttributes(i).filter((a) => a.type === oid.attrTimeStampToken).flatMap((a) => a.values);
      assert.equal(tokens.length, 1, `signer ${i} has one stamp`);
      assert.match(await opensslTsVerify(tokens[0] as Uint8Array, after.signatureValue(i), tsa), /Verification: OK/);
    }

    const dir = await mkdtemp(join(tmpdir(), 'qt-cosign-verify-'));
    try {
      await writeFile(join(dir, 'signed.p7s'), der);
      const { stdout } = await run(process.execPath, [
        join(repoRoot, 'apps/cli/bin/qoltanba.mjs'), '--json', 'verify', join(dir, 'signed.p7s'),
        '--ca', ca.certificateFile, '--ca', tsa.caFile, '--revocation', 'off', '--offline',
      ]);
      const verdict = JSON.parse(stdout) as { valid: boolean; signers: { valid: boolean; subject?: { iin?: string } }[] } & Record<string, unknown>;
      assert.equal(verdict.valid, true, stdout);
      assert.equal(verdict.signers.length, 2);
      assert.ok(verdict.signers.every((s) => s.valid), stdout);
      assert.match(stdout, /900101400123/);
      assert.match(stdout, /850505300456/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a detached CMS is co-signed given the document; the result stays detached', async () => {
    const one = await confirmed({ module: 'kz.gov.pki.knca.commonUtils', method: 'createCAdESFromBase64', args: ['PKCS12', 'SIGNATURE', DOC.toString('base64'), false] }, first);
    const two = await confirmed(addSigner(one.reply.responseObject as string, { data: DOC.toString('base64'), signingParams: {} }), second);
    const der = derFrom((two.reply.body as { result: string }).result, 'CMS');
    assert.equal(SignedDataEditor.open(der).attachedContent(), undefined);
    await opensslCmsVerify({ cms: der, caFile: ca.certificateFile, at: new Date(), content: DOC });
    await assert.rejects(opensslCmsVerify({ cms: der, caFile: ca.certificateFile, at: new Date(), content: Buffer.concat([DOC, Buffer.from('!')]) }));
  });

  test('a CMS whose earlier signature does not match the document is refused before anyone is asked; so is a detached one without the document', async () => {
    const one = await confirmed({ module: 'kz.gov.pki.knca.commonUtils', method: 'createCAdESFromBase64', args: ['PKCS12', 'SIGNATURE', DOC.toString('base64'), false] }, first);
    const count = opened.length;
    const tampered = await c.call(addSigner(one.reply.responseObject as string, { data: Buffer.from('Акт сверки № 13').toString('base64') }));
    assert.deepEqual([tampered.status, tampered.code], [false, 'INVALID_SIGNING_PARAMS']);
    assert.match(String(tampered.message), /An earlier signature in the CMS does not verify over the document/);
    const noData = await c.call(addSigner(one.reply.responseObject as string));
    assert.deepEqual([noData.status, noData.code, noData.details], [false, 'INVALID_SIGNING_PARAMS', 'QT_ERR_CMS_NO_CONTENT']);
    const garbage = await c.call(addSigner('bm90IGEgQ01T'));
    assert.deepEqual([garbage.status, garbage.code], [false, 'INVALID_SIGNING_PARAMS']);
    assert.equal(opened.length, count, 'no page may open for a CMS that cannot be co-signed');
  });
});
