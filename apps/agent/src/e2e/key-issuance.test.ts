/**
 * (Re)issuance through the agent: the portal asks for new keys, the user chooses the storage and the new
 * password in the agent's page (the national password rule is enforced there), the portal gets PKCS#10
 * requests, a CA issues certificates, and installation writes NCA-named key files that OpenSSL and keytool
 * open with that password. The new key then signs through ncalayer-js-client.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ConsentTabs, launchChromium, openSitePage, requestFromPage, startTestSite, type TestSite } from '../testing/browser.ts';
import { approve, ru } from '../testing/consent-user.ts';
import { createOpensslCa, type OpensslCa } from '../testing/openssl-ca.ts';
import { connectRaw } from '../testing/agent-client.ts';
import { sealContext } from '../keygen/generator.ts';
import type { PendingRequest } from '../keygen/pending-store.ts';
import { openSealedKey, type SealedKey } from '../keygen/seal.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';
import { startTestTsa, type TestTsa } from '../testing/tsa.ts';
import { opensslCmsVerify } from '../testing/verifiers.ts';

const run = promisify(execFile);
const PASSWORD = 'Qoltanba2025';

interface KeysReply {
  status: boolean;
  code?: string;
  message?: string;
  body?: { result?: { requestId: string; storage: string; keys: { keyType: string; csr: string }[]; installed?: { keyType: string; fileName: string; subjectKeyId: string }[] } };
}

describe('key generation and certificate installation for (re)issuance', () => {
  let browser: Browser;
  let context: BrowserContext;
  let site: TestSite;
  let agent: TestAgent;
  /** ncalayer-js-client's basicsCMSParams… carry a tsaProfile: those signatures are time-stamped. */
  let tsa: TestTsa;
  let tabs: ConsentTabs;
  let portal: Page;
  let keysDir: string;
  let ca: OpensslCa;
  let generated: NonNullable<KeysReply['body']>['result'];

  before(async () => {
    keysDir = await mkdtemp(join(tmpdir(), 'qoltanba-newkeys-'));
    ca = await createOpensslCa();
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'ru-RU' });
    tabs = new ConsentTabs(context);
    site = await startTestSite();
    tsa = await startTestTsa();
    agent = await startTestAgent({ tsaUrl: tsa.url, allowedOrigins: [site.origin, 'https://other.example.kz'], keyDirs: [keysDir], openConsent: tabs.opener });
    portal = await openSitePage(context, site, agent.url);
  });

  after(async () => {
    await browser?.close();
    await agent?.dispose();
    await tsa?.close();
    await site?.close();
    await ca?.dispose();
    await rm(keysDir, { recursive: true, force: true });
  });

  /** What a portal script does: one WebSocket, one frame of our kz.qoltanba.keys module, one reply. */
  const portalCall = (frame: unknown) => requestFromPage<KeysReply>(portal, agent.url, frame);

  test('generateKeys: a password breaking the rule is refused with the rule shown; then two CSRs come back', async () => {
    const reply = portalCall({ module: 'kz.qoltanba.keys', method: 'generateKeys', args: { storage: 'PKCS12', subject: { surname: 'ТЕСТОВ', name: 'ТЕСТ', iin: '123456789011' } } });
    const consent = await tabs.next();
    await assert.doesNotReject(consent.getByText('просит создать новые ключи ЭЦП').waitFor());
    for (const weak of ['qwerty', 'Qwerty', 'qwerty12', 'Qw1']) {
      await consent.getByLabel('Пароль для новых файлов ключей').fill(weak);
      await consent.getByLabel('Повторите пароль').fill(weak);
      await consent.getByRole('button', { name: ru.create }).click();
      assert.match(await consent.getByRole('alert').innerText(), /латинские буквы нижнего и верхнего регистров, а также цифры.*6 символов/);
    }
    await consent.getByLabel('Пароль для новых файлов ключей').fill(PASSWORD);
    await consent.getByLabel('Повторите пароль').fill(`${PASSWORD}x`);
    await consent.getByRole('button', { name: ru.create }).click();
    assert.match(await consent.getByRole('alert').innerText(), /Пароли не совпадают/);
    await consent.getByLabel('Пароль для новых файлов ключей').fill(PASSWORD);
    await consent.getByLabel('Повторите пароль').fill(PASSWORD);
    await consent.getByRole('button', { name: ru.create }).click();
    await consent.locator('p.done').waitFor();
    const r = await reply;
    assert.equal(r.status, true, JSON.stringify(r));
    generated = r.body?.result;
    assert.deepEqual(generated?.keys.map((k) => k.keyType), ['AUTHENTICATION', 'SIGNATURE']);
    for (const k of generated?.keys ?? []) {
      const checked = await runWithInput('openssl', ['req', '-verify', '-noout', '-subject', '-nameopt', 'utf8'], k.csr);
      assert.match(checked, /ТЕСТОВ ТЕСТ/);
    }
  });

  test('the pending keys rest encrypted in the data folder: no private key in clear, and the page never saw the password', async () => {
    const dir = join(agent.dataDir, 'pending');
    const files = await readdir(dir);
    assert.equal(files.length, 1);
    const text = await readFile(join(dir, files[0] as string), 'utf8');
    assert.ok(!text.includes(PASSWORD));
    const stored = JSON.parse(text) as PendingRequest;
    for (const key of stored.keys) {
      assert.deepEqual(Object.keys(key).sort(), ['csr', 'keyType', 'publicKey', 'sealed']);
      const ciphertext = Buffer.from(key.sealed?.ciphertext as string, 'base64');
      assert.throws(() => createPrivateKey({ key: ciphertext, format: 'der', type: 'pkcs8' }));
      // Only the password opens it, and what it opens is the private half of the CSR's public key.
      const context = sealContext(stored.requestId, key.keyType);
      await assert.rejects(openSealedKey(key.sealed as SealedKey, 'Wrong1234', context), { code: 'QT_ERR_PKCS12_PASSWORD' });
      const pkcs8 = await openSealedKey(key.sealed as SealedKey, PASSWORD, context);
      const publicKey = createPublicKey(createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
      assert.equal(publicKey.toString('base64'), key.publicKey);
    }
    assert.ok(!JSON.stringify(agent.logs).includes(PASSWORD));
  });

  test('installCertificates refuses a certificate for a key it did not create, and other sites cannot see the request', async () => {
    const stranger = await ca.issue(await strangerCsr(), 'SIGN');
    const bad = await portalCall({ module: 'kz.qoltanba.keys', method: 'installCertificates', args: { requestId: generated?.requestId, certificates: [stranger] } });
    assert.deepEqual([bad.status, bad.code], [false, 'INVALID_IMPORTING_CERTIFICATE']);
    const wrongKind = await portalCall({
      module: 'kz.qoltanba.keys',
      method: 'installCertificates',
      args: { requestId: generated?.requestId, certificates: [await ca.issue(generated?.keys[0]?.csr as string, 'SIGN'), await ca.issue(generated?.keys[1]?.csr as string, 'SIGN')] },
    });
    assert.deepEqual([wrongKind.status, wrongKind.code], [false, 'INVALID_IMPORTING_CERTIFICATE']);
    const unknown = await portalCall({ module: 'kz.qoltanba.keys', method: 'installCertificates', args: { requestId: 'AAAAAAAAAAAAAAAAAAAAAA', certificates: [] } });
    assert.equal(unknown.status, false);
    const other = await connectRaw(agent.url, { Origin: 'https://other.example.kz' });
    const foreign = await other.call({ module: 'kz.qoltanba.keys', method: 'installCertificates', args: { requestId: generated?.requestId, certificates: [] } });
    assert.deepEqual([foreign.status, foreign.message], [false, `No pending key request ${generated?.requestId}`]);
    assert.deepEqual(await other.call({ module: 'kz.qoltanba.keys', method: 'listPending' }), { status: true, body: { result: [] } });
    other.close();
    const mine = await portalCall({ module: 'kz.qoltanba.keys', method: 'listPending' });
    assert.deepEqual((mine.body?.result as unknown as { requestId: string }[]).map((r) => r.requestId), [generated?.requestId]);
  });

  test('installCertificates: wrong password counts attempts, the right one writes AUTH_RSA256_<ski>.p12 and RSA256_<ski>.p12', async () => {
    const [authCsr, signCsr] = (generated?.keys ?? []).map((k) => k.csr);
    const certificates = [await ca.issue(authCsr as string, 'AUTH'), await ca.issue(signCsr as string, 'SIGN')];
    const reply = portalCall({ module: 'kz.qoltanba.keys', method: 'installCertificates', args: { requestId: generated?.requestId, certificates, chain: [ca.certificatePem] } });
    const consent = await tabs.next();
    await assert.doesNotReject(consent.getByText('Аутентификация').first().waitFor());
    await consent.getByLabel('Пароль, заданный при создании ключей').fill('Wrong1234');
    await consent.getByRole('button', { name: ru.install }).click();
    assert.match(await consent.getByRole('alert').innerText(), /Осталось 2 попытки/);
    await consent.getByLabel('Пароль, заданный при создании ключей').fill(PASSWORD);
    await consent.getByRole('button', { name: ru.install }).click();
    await consent.locator('p.done').waitFor();
    const r = await reply;
    assert.equal(r.status, true, JSON.stringify(r));
    const installed = r.body?.result?.installed ?? [];
    assert.equal(installed.length, 2);
    const [auth, sign] = installed;
    assert.equal(auth?.fileName, `AUTH_RSA256_${auth?.subjectKeyId}.p12`);
    assert.equal(sign?.fileName, `RSA256_${sign?.subjectKeyId}.p12`);
    assert.match(auth?.subjectKeyId ?? '', /^[0-9a-f]{40}$/);
    assert.deepEqual((await readdir(keysDir)).sort(), [auth?.fileName, sign?.fileName].sort());
    assert.deepEqual(await readdir(join(agent.dataDir, 'pending')), []);
  });

  test('the key files open with openssl pkcs12 and keytool with the chosen password; alias = friendlyName = hex SKI', async () => {
    for (const name of await readdir(keysDir)) {
      const file = join(keysDir, name);
      const ski = name.replace(/^(AUTH_)?RSA256_/, '').replace(/\.p12$/, '');
      const { stdout } = await run('openssl', ['pkcs12', '-in', file, '-passin', `pass:${PASSWORD}`, '-nodes', '-info'], { encoding: 'utf8' }).then(
        (r) => r,
        (e: { stderr: string }) => ({ stdout: e.stderr }),
      );
      assert.match(stdout, new RegExp(`friendlyName: ${ski}`));
      assert.match(stdout, /BEGIN PRIVATE KEY/);
      await assert.rejects(run('openssl', ['pkcs12', '-in', file, '-passin', 'pass:Wrong1234', '-nokeys']));
      const keytool = await run('keytool', ['-list', '-keystore', file, '-storetype', 'PKCS12', '-storepass', PASSWORD], { encoding: 'utf8' });
      assert.match(keytool.stdout, new RegExp(`^${ski}, .*PrivateKeyEntry`, 'm'));
    }
  });

  test('the new SIGN key signs through ncalayer-js-client and the signature verifies against the issuing CA', async () => {
    const signFile = (await readdir(keysDir)).find((n) => n.startsWith('RSA256_')) as string;
    const result = portal.evaluate(async () => {
      const w = window as unknown as { client: { basicsSignCMS(...a: unknown[]): Promise<string> }; NCALayerClient: Record<string, unknown> };
      const C = w.NCALayerClient;
      return w.client.basicsSignCMS(C.basicsStoragePKCS12, btoa('new key, first signature'), C.basicsCMSParamsAttached, C.basicsSignerSignAny);
    });
    await approve(await tabs.next(), { file: signFile, secret: PASSWORD });
    const content = await opensslCmsVerify({ cms: await result, caFile: ca.certificateFile, at: new Date() });
    assert.equal(content.toString(), 'new key, first signature');
  });

  async function strangerCsr(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'stranger-'));
    try {
      await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k'), '-out', join(dir, 'r'), '-subj', '/CN=STRANGER']);
      return await readFile(join(dir, 'r'), 'utf8');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

function runWithInput(command: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { encoding: 'utf8' }, (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(`${stdout}${stderr}`)));
    child.stdin?.end(input);
  });
}
