/**
 * The README's "Try it in five minutes", done by a browser: `qoltanba up --demo` (the real command, in its own
 * process, on the embedded database) on an empty data directory, then ONLY what it prints and what
 * demo/demo.json says — the portal's address, the citizen's key folder and password, the operator's key file
 * and password, the applicant's IIN and document, and the agent command (its key folders, allowed origin and
 * data folder are what the real agent is started with here; its consent pages open as tabs of the same
 * headless Chromium). SMS codes are read where a person reads them: the demo's /demo/sms page.
 *
 * The citizen logs in, sees «Мои ключи ЭЦП» and re-issues; the applicant, who has no keys, goes through remote
 * first issuance with a fake camera; the demo operator, in a second browser context, signs in to the
 * operators' console with the demo key and approves; OpenSSL opens every new key file and OCSP says good. Every
 * page carries the demo banner and passes axe-core; the screenshots are the README's. Last, `up` without --demo
 * on this directory is refused.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startAgent, type RunningAgent } from '@qoltanba/agent';
import { toPem } from '@qoltanba/pki';
import type { DemoFile } from '@qoltanba/server';
import { faceVideoY4m } from '../../apps/server/src/remote/testing/faces.ts';
import { DEMO_APPLICANT } from '../../apps/server/src/demo/people.ts';
import { assertAccessible, consent, ConsentTabs, installNewKeys, launchChromium, screenshot } from '../support/browser.ts';
import { repoRoot } from '../support/fixtures.ts';
import { freePort, openKeyFile, opensslOcsp } from '../support/openssl.ts';

const BIN = resolve(repoRoot, 'apps/cli/bin/qoltanba.mjs');
const NEW_PASSWORD = 'Qoltanba2026';

/** `qoltanba …` in its own process; resolves with its exit code and output once it exits (or is stopped). */
function qoltanba(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, output: () => output, exited };
}

describe('the demo, from `up --demo` on an empty data directory, using only what it prints and demo.json (real agent, headless Chromium)', () => {
  let home: string;
  let work: string;
  let server: ReturnType<typeof qoltanba>;
  let demo: DemoFile;
  let agent: RunningAgent;
  let browser: Browser;
  let citizen: BrowserContext;
  let applicant: BrowserContext;
  let operator: BrowserContext;
  let consentContext: BrowserContext;
  let tabs: ConsentTabs;
  let page: Page;
  let url: string;
  let agentArgs: { keyDirs: string[]; origins: string[]; dataDir: string };
  let env: NodeJS.ProcessEnv;
  const newFiles: string[] = [];

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'qt-demo-e2e-'));
    work = mkdtempSync(join(tmpdir(), 'qt-demo-e2e-work-'));
    const port = await freePort();
    const agentPort = await freePort();
    // The pages find the agent where this test runs it (a person's agent is on NCALayer's port 13579).
    env = { ...process.env, QOLTANBA_HOME: home, QOLTANBA_AGENT_URL: `ws://127.0.0.1:${agentPort}`, LOG_LEVEL: 'warn', DATABASE_URL: '', PORT: '', QOLTANBA_PASSPHRASE: '' };
    server = qoltanba(['up', '--demo', '--port', String(port)], env);
    const started = Date.now();
    while (!/^Stop:/m.test(server.output())) {
      if (server.child.exitCode !== null) throw new Error(`up --demo exited ${server.child.exitCode}:\n${server.output()}`);
      if (Date.now() - started > 300_000) throw new Error(`up --demo did not finish starting:\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    demo = JSON.parse(readFileSync(join(home, 'demo', 'demo.json'), 'utf8')) as DemoFile;
    url = demo.portalUrl;
    // The agent exactly as the terminal says to start it.
    const command = /^1\. Start the agent:\s+npx qoltanba agent (.+)$/m.exec(server.output())?.[1];
    assert.ok(command, server.output());
    const words = command.split(' ');
    const values = (flag: string) => words.flatMap((w, i) => (w === flag ? [words[i + 1]!] : []));
    agentArgs = { keyDirs: values('--key-dir'), origins: values('--allow-origin'), dataDir: values('--data-dir')[0]! };

    // The one thing demo.json cannot give: the applicant in front of the camera (drawn as the registry drew them).
    const video = join(work, 'face.y4m');
    writeFileSync(video, faceVideoY4m(DEMO_APPLICANT.face, { frames: 30, fps: 10, amplitude: 40 }));
    browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]);
    citizen = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
    applicant = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
    operator = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 1000 } });
    consentContext = citizen;
    tabs = new ConsentTabs(() => consentContext);
    agent = await startAgent({ port: agentPort, allowedOrigins: agentArgs.origins, dataDir: agentArgs.dataDir, keyDirs: agentArgs.keyDirs, openConsent: tabs.opener, log: () => undefined });
    page = await citizen.newPage();
  });

  after(async () => {
    await browser?.close();
    await agent?.close();
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGINT');
      await server.exited;
    }
    for (const d of [home, work]) if (d) rmSync(d, { recursive: true, force: true });
  });

  /** The newest code on /demo/sms, waiting for a message newer than the `seen` ones, as a person would reload. */
  async function smsCode(context: BrowserContext, seen: number, name?: string): Promise<string> {
    const sms = await context.newPage();
    try {
      for (let i = 0; i < 40; i++) {
        await sms.goto(demo.smsCodesUrl);
        const rows = sms.locator('#demo-sms tbody tr');
        if ((await rows.count()) > seen) {
          if (name) {
            await assertAccessible(sms, 'demo SMS page');
            await screenshot(sms, name);
          }
          const code = /Код: (\d{6})/.exec(await rows.first().innerText())?.[1];
          assert.ok(code, await rows.first().innerText());
          assert.match(server.output(), new RegExp(`SMS \\(demo, not sent\\) to \\+7\\d{10}:[\\s\\S]*?Код: ${code}`), 'the terminal shows the code too');
          return code;
        }
        await sms.waitForTimeout(250);
      }
      throw new Error('no new SMS on /demo/sms');
    } finally {
      await sms.close();
    }
  }

  async function smsCount(): Promise<number> {
    const r = await fetch(demo.smsCodesUrl);
    return [...(await r.text()).matchAll(/<td class="sms-text">/g)].length;
  }

  test('the terminal and demo.json give the portal, the key files under NCA’s names with their password, the operator’s key and the applicant; the agent command allows the portal', async () => {
    assert.deepEqual(Object.keys(demo).slice(0, 4), ['portalUrl', 'citizen', 'operator', 'applicant']);
    assert.deepEqual(agentArgs.origins, [new URL(url).origin]);
    assert.deepEqual(agentArgs.keyDirs, [demo.citizen.keyDir, resolve(demo.operator.keyFile, '..')]);
    const files = readdirSync(demo.citizen.keyDir).sort();
    assert.equal(files.length, 2);
    assert.match(files[0]!, /^AUTH_RSA256_[0-9a-f]{40}\.p12$/);
    assert.match(files[1]!, /^RSA256_[0-9a-f]{40}\.p12$/);
    assert.match(basename(demo.operator.keyFile), /^AUTH_RSA256_[0-9a-f]{40}\.p12$/);
    for (const printed of [demo.citizen.password, demo.operator.password, demo.applicant.iin, demo.applicant.documentNumber, `${url}/demo/sms`]) {
      assert.ok(server.output().includes(printed), printed);
    }
    // The practice statement every certificate names: public, accessible, in the demo too.
    const cps = await citizen.newPage();
    await cps.goto(`${url}/cps`);
    assert.equal(await cps.getByRole('heading', { level: 1 }).innerText(), 'Регламент удостоверяющего центра (краткое изложение)');
    await assertAccessible(cps, 'cps');
    await cps.close();
    // For OpenSSL later: the CA certificates, as any relying party gets them (the public CA list).
    const list = (await (await fetch(`${url}/api/v1/ca`)).json()) as { cas: { name: string; certificate: string; issuerCertificateUrl: string }[] };
    const rsa = list.cas.find((c) => c.name === 'rsa')!;
    const root = Buffer.from(await (await fetch(rsa.issuerCertificateUrl)).arrayBuffer());
    writeFileSync(join(work, 'issuing.pem'), toPem('CERTIFICATE', Buffer.from(rsa.certificate, 'base64')));
    writeFileSync(join(work, 'root.pem'), toPem('CERTIFICATE', root));
    writeFileSync(join(work, 'chain.pem'), readFileSync(join(work, 'issuing.pem'), 'utf8') + readFileSync(join(work, 'root.pem'), 'utf8'));
  });

  test('the citizen logs in with the demo AUTH key file and sees «Мои ключи ЭЦП»; the banner says it is a demo', async () => {
    const authFile = readdirSync(demo.citizen.keyDir).find((f) => f.startsWith('AUTH_'))!;
    await page.goto(`${url}/login`);
    assert.match(await page.locator('.demo-banner').innerText(), /Демонстрация\. Все люди, ИИН, ключи и SMS-коды здесь выдуманы/);
    await page.getByRole('button', { name: 'Обновить список ключей' }).click();
    await consent.sign(await tabs.next(), authFile, demo.citizen.password, 'Передать сертификат');
    await page.locator('#key').waitFor({ state: 'visible' });
    assert.match(await page.locator('#key').innerText(), new RegExp(demo.citizen.name.split(' ').slice(0, 2).join(' ')));
    await assertAccessible(page, 'demo login');
    await screenshot(page, '30-demo-login-ru');
    await page.getByRole('button', { name: 'Подписать' }).click();
    await consent.sign(await tabs.next(), authFile, demo.citizen.password);
    await page.waitForURL(`${url}/keys`);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Мои ключи ЭЦП');
    assert.equal(await page.locator('table.keys tbody tr').count(), 2);
    await assertAccessible(page, 'demo my keys');
    await screenshot(page, '31-demo-my-keys-ru');
  });

  test('«Перевыпуск ключей ЭЦП»: the application signed with the demo SIGN key, the code from /demo/sms, new key files', async () => {
    const signFile = readdirSync(demo.citizen.keyDir).find((f) => f.startsWith('RSA256_'))!;
    await page.getByRole('link', { name: 'Перевыпуск ключей ЭЦП' }).first().click();
    await page.waitForURL(`${url}/reissue`);
    await page.getByLabel(/Компьютер/).check();
    await assertAccessible(page, 'demo re-issue form');
    await screenshot(page, '32-demo-reissue-ru');
    await page.getByRole('button', { name: 'Подать заявку' }).click();
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}$/);
    const seen = await smsCount();
    await page.getByRole('button', { name: 'Подписать' }).click();
    await consent.sign(await tabs.next(), signFile, demo.citizen.password);
    await page.getByLabel('Код из SMS').waitFor();
    await page.getByLabel('Код из SMS').fill(await smsCode(citizen, seen, '33-demo-sms-codes-ru'));
    await page.getByRole('button', { name: 'Подтвердить' }).click();
    await page.getByRole('button', { name: 'Создать ключи' }).click();
    await consent.generateKeys(await tabs.next(), NEW_PASSWORD);
    await page.getByRole('button', { name: 'Загрузить сертификаты' }).waitFor({ timeout: 30_000 });
    newFiles.push(...(await installNewKeys(page, tabs, demo.citizen.keyDir, NEW_PASSWORD)));
    await assertAccessible(page, 'demo re-issued');
    await screenshot(page, '34-demo-reissued-ru');
    await page.goto(`${url}/keys`);
    assert.equal(await page.locator('table.keys tbody tr').count(), 4, 'the old and the new keys');
  });

  test('the applicant, who has no keys, applies remotely: IIN, the code from /demo/sms, the document from demo.json, the camera', async () => {
    consentContext = applicant;
    const p = await applicant.newPage();
    await p.goto(`${url}/remote`);
    await p.getByLabel('ИИН').fill(demo.applicant.iin);
    await p.getByLabel(/Я согласен/).check();
    await assertAccessible(p, 'demo remote start');
    await screenshot(p, '35-demo-remote-start-ru');
    const seen = await smsCount();
    await p.getByRole('button', { name: 'Продолжить' }).click();
    await p.waitForURL(/\/remote\/applications\/[0-9a-f-]{36}$/);
    await p.getByLabel('Код из SMS').fill(await smsCode(applicant, seen));
    await p.getByRole('button', { name: 'Подтвердить' }).click();
    await p.getByLabel('Номер документа').fill(demo.applicant.documentNumber);
    await p.getByLabel('Дата выдачи').fill(demo.applicant.documentIssued);
    await p.getByRole('button', { name: 'Проверить' }).click();
    await p.getByRole('button', { name: 'Включить камеру' }).click();
    await p.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).videoWidth > 0);
    await p.getByRole('button', { name: 'Сделать снимки' }).click();
    await p.getByRole('heading', { name: 'Снимки проверяются' }).waitFor({ timeout: 30_000 });
  });

  test('the demo operator signs in to the operators’ console with the demo key file (second browser context) and approves', async () => {
    consentContext = operator;
    const op = await operator.newPage();
    const file = basename(demo.operator.keyFile);
    await op.goto(demo.operatorConsoleUrl);
    await op.waitForURL(`${url}/operator/login?ended=required`);
    await op.getByRole('button', { name: 'Обновить список ключей' }).click();
    await consent.sign(await tabs.next(), file, demo.operator.password, 'Передать сертификат');
    await op.getByRole('button', { name: 'Подписать' }).click();
    await consent.sign(await tabs.next(), file, demo.operator.password);
    await op.waitForURL(`${url}/operator`);
    await op.getByRole('link', { name: 'Проверить' }).first().click();
    await op.waitForURL(/\/operator\/reviews\/[0-9a-f-]{36}$/);
    assert.match(await op.locator('#person-name').innerText(), /ДЕМОВ БОЛАТ/);
    await op.waitForFunction(() => Array.from(document.querySelectorAll('main img')).every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0));
    await assertAccessible(op, 'demo operator review');
    await screenshot(op, '36-demo-operator-review-ru');
    await op.getByLabel(/Одобрить/).check();
    await op.getByRole('button', { name: 'Вынести решение' }).click();
    await op.waitForURL(`${url}/operator?decided=approved`);
  });

  test('the applicant’s page moves on; the agent makes the keys and installs them; OpenSSL opens every new key file, good in OCSP', async () => {
    consentContext = applicant;
    const p = applicant.pages()[0]!;
    await p.getByRole('button', { name: 'Создать ключи' }).waitFor({ timeout: 20_000 });
    await p.getByRole('button', { name: 'Создать ключи' }).click();
    await consent.generateKeys(await tabs.next(), NEW_PASSWORD);
    await p.getByRole('button', { name: 'Загрузить сертификаты' }).waitFor({ timeout: 30_000 });
    const remoteFiles = await installNewKeys(p, tabs, demo.citizen.keyDir, NEW_PASSWORD);
    await assertAccessible(p, 'demo remote done');
    await screenshot(p, '37-demo-remote-done-ru');
    for (const f of newFiles) {
      const { certPem, text } = await openKeyFile(work, join(demo.citizen.keyDir, f), NEW_PASSWORD);
      assert.match(text, new RegExp(`IIN${demo.citizen.iin}`));
      assert.match(await opensslOcsp(work, url, certPem), /: good/);
    }
    for (const f of remoteFiles) {
      const { certPem, text } = await openKeyFile(work, join(demo.citizen.keyDir, f), NEW_PASSWORD);
      assert.match(text, new RegExp(`IIN${demo.applicant.iin}`));
      assert.match(text, /1\.2\.398\.3\.3\.4\.3\.2/, 'identified remotely');
      assert.match(await opensslOcsp(work, url, certPem), /: good/);
    }
  });

  test('`up` without --demo on the demo directory is refused, and says why', async () => {
    server.child.kill('SIGINT');
    assert.equal(await server.exited, 0);
    const plain = qoltanba(['up', '--port', String(await freePort())], env);
    assert.equal(await plain.exited, 1);
    assert.match(plain.output(), /error QT_ERR_DEMO_DATA_PRESENT: .* holds demo data made by `qoltanba up --demo`/);
  });
});
