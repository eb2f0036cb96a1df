/**
 * The agent as a drop-in NCALayer, end to end as a citizen gets it: `qoltanba agent install` into an empty home
 * folder, then `qoltanba agent` with no flags (wss://127.0.0.1:13579, its local CA), and headless Chromium whose
 * HOME holds only the NSS database install wrote — no certificate flags. A site on an https:// origin the agent
 * has never seen loads the unmodified ncalayer-js-client and constructs it with no arguments. The person allows
 * the site in the agent's page and signs a time-stamped CMS and XML; OpenSSL (cms, ts) and xmlsec1 accept them.
 * A refused site gets NCALayer's error shape and nothing is signed. Then doctor, uninstall, doctor again.
 *
 * Everything that listens (agent, TSA, the browser's own connections) runs in a network namespace of its own,
 * so port 13579 here never meets another agent on this machine. Needs root (ip netns), certutil, chromium.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { derFrom, oid, SignedDataEditor } from '@qoltanba/pki';
import { repoRoot } from '../../../../test/support/fixtures.ts';
import { assertAccessible, screenshot } from '../../../../test/support/browser.ts';
import { CHROMIUM_PATH } from '../testing/browser.ts';
import { confirmKey, unlockStorage } from '../testing/consent-user.ts';
import { makeKeyFile, type TestKeyFile } from '../testing/key-files.ts';
import { createOpensslCa, type OpensslCa } from '../testing/openssl-ca.ts';
import { opensslCmsVerify, xmlsecVerifyAgainstIssuingCa } from '../testing/verifiers.ts';
import type { DoctorReport } from '../install/doctor.ts';

const run = promisify(execFile);
const BIN = join(repoRoot, 'apps/cli/bin/qoltanba.mjs');
const SITE = 'https://egov.example.kz';
const REFUSED = 'https://phish.example.kz';
const PASSWORD = 'Citizen2025pass';
const DOCUMENT = 'Өтініш: мекенжай анықтамасын беруді сұраймын. Заявление о выдаче адресной справки.';

const SITE_PAGE = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>e-Gov (test)</title>
<script src="/ncalayer-client.js"></script></head><body><h1>Электронное правительство (тест)</h1></body></html>`;

interface Tsa {
  url: string;
  caFile: string;
  certFile: string;
}

describe('a site the agent has never seen, in a browser that trusts only what agent install wrote', () => {
  const ns = `qt-agent-${randomBytes(4).toString('hex')}`;
  let home: string;
  let work: string;
  let ca: OpensslCa;
  let key: TestKeyFile;
  let tsaProcess: ChildProcess;
  let tsa: Tsa;
  let agentProcess: ChildProcess | undefined;
  const agentLog: Record<string, unknown>[] = [];
  let browser: Browser;
  let context: BrowserContext;
  let urlsFile: string;
  const env = () => ({ ...process.env, HOME: home, XDG_CONFIG_HOME: '', QOLTANBA_AGENT_HOME: '', LANG: 'ru_RU.UTF-8' });
  /** A command inside the namespace, as the citizen's session would run it. */
  const inNs = (command: string, args: string[]) => ['netns', 'exec', ns, command, ...args];
  const qoltanba = (...args: string[]) =>
    run('ip', inNs(process.execPath, [BIN, ...args]), { env: env() }).catch((e: { stdout?: string; code?: number }) => ({ stdout: e.stdout ?? '', code: e.code }));

  before(async () => {
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    home = await mkdtemp(join(tmpdir(), 'qt-citizen-home-'));
    work = await mkdtemp(join(tmpdir(), 'qt-drop-in-'));
    ca = await createOpensslCa();
    await mkdir(join(work, 'keys'));
    key = await makeKeyFile(ca, join(work, 'keys'), { kind: 'SIGN', name: 'ТЕСТОВ ТЕСТ', iin: '123456789011', password: PASSWORD });

    // The TSA, inside the namespace: the agent there must reach it.
    tsaProcess = spawn('ip', inNs(process.execPath, ['--import', 'tsx', join(repoRoot, 'apps/agent/src/testing/tsa-process.ts')]), { stdio: ['pipe', 'pipe', 'inherit'] });
    tsa = await new Promise<Tsa>((resolve) => tsaProcess.stdout?.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as Tsa)));

    // The consent page opener: the agent runs it with the page's address, as it would run xdg-open.
    urlsFile = join(work, 'opened-urls');
    const opener = join(work, 'open-url.sh');
    await writeFile(opener, `#!/bin/sh\necho "$1" >> "${urlsFile}"\n`);
    await chmod(opener, 0o755);
    // Chromium in the same namespace; it is driven over a pipe, so the namespace does not get in the way.
    const wrapper = join(work, 'chromium-in-ns.sh');
    await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM_PATH} "$@"\n`);
    await chmod(wrapper, 0o755);
    await writeFile(join(work, 'opener-path'), opener);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    agentProcess?.kill('SIGTERM');
    tsaProcess?.stdin?.end();
    tsaProcess?.kill('SIGTERM');
    await ca?.dispose();
    await run('ip', ['netns', 'del', ns]).catch(() => {});
    await rm(home, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  async function startAgentProcess(): Promise<void> {
    const opener = await readFile(join(work, 'opener-path'), 'utf8');
    // No flags but how the consent page is shown: port, wss, data folder, keys and TSA come from install.
    agentProcess = spawn('ip', inNs(process.execPath, [BIN, '--json', 'agent', '--open', opener]), { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    agentProcess.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      let nl: number;
      while ((nl = err.indexOf('\n')) >= 0) {
        const line = err.slice(0, nl);
        err = err.slice(nl + 1);
        if (line.startsWith('{')) agentLog.push(JSON.parse(line) as Record<string, unknown>);
      }
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      agentProcess?.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.trimEnd().endsWith('}')) resolve();
      });
      agentProcess?.once('exit', (code) => reject(new Error(`the agent exited (${code}): ${out}`)));
    });
    const started = JSON.parse(out) as { secureUrl: string; tsaUrl: string };
    assert.equal(started.secureUrl, 'wss://127.0.0.1:13579');
    assert.equal(started.tsaUrl, tsa.url);
  }

  /** The consent pages the agent opened, each in a new tab of the citizen's browser, in order. */
  let seen = 0;
  async function nextConsent(): Promise<Page> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const urls = existsSync(urlsFile) ? (await readFile(urlsFile, 'utf8')).split('\n').filter(Boolean) : [];
      if (urls.length > seen) {
        const page = await context.newPage();
        await page.goto(urls[seen++] as string);
        return page;
      }
      if (Date.now() > deadline) throw new Error('the agent opened no consent page');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** A tab on `origin` with the unmodified client, constructed with no arguments and connected. */
  async function openSite(origin: string, frames: string[]): Promise<Page> {
    const page = await context.newPage();
    page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
    await page.goto(`${origin}/`);
    const version = await page.evaluate(async () => {
      const w = window as unknown as { NCALayerClient: new () => { connect(): Promise<string> }; client: unknown };
      w.client = new w.NCALayerClient();
      return (w.client as { connect(): Promise<string> }).connect();
    });
    assert.equal(version, '1.4');
    return page;
  }

  function inPage(page: Page, source: string, arg?: unknown): Promise<{ ok: true; value: unknown } | { ok: false; message: string }> {
    return page.evaluate(
      async ([src, a]) => {
        const w = window as unknown as { client: unknown; NCALayerClient: unknown };
        try {
          return { ok: true as const, value: await (new Function('c', 'C', 'd', `return (${src})(c, C, d);`) as (c: unknown, C: unknown, d: unknown) => Promise<unknown>)(w.client, w.NCALayerClient, a) };
        } catch (e) {
          return { ok: false as const, message: (e as Error).message };
        }
      },
      [source, arg] as const,
    );
  }

  async function doctor(locale: string): Promise<{ report: DoctorReport; text: string; code: number | undefined }> {
    const json = await qoltanba('--json', 'agent', 'doctor', '--locale', locale);
    const text = await qoltanba('agent', 'doctor', '--locale', locale);
    return { report: JSON.parse(json.stdout) as DoctorReport, text: text.stdout, code: (json as { code?: number }).code };
  }

  async function screenshotTerminal(text: string, name: string): Promise<void> {
    const page = await context.newPage();
    await page.setViewportSize({ width: 940, height: 80 });
    const escaped = text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] as string);
    await page.setContent(`<!doctype html><meta charset="utf-8"><body style="margin:0;background:#1e1e1e"><pre style="margin:0;padding:16px 20px;color:#e8e8e8;font:14px/1.45 'DejaVu Sans Mono',monospace;white-space:pre-wrap;width:900px">$ qoltanba agent doctor\n${escaped}</pre></body>`);
    await screenshot(page, name);
    await page.close();
  }

  test('install writes the trust and the autostart; the agent starts with no flags on wss://127.0.0.1:13579', async () => {
    assert.deepEqual(await run('ls', ['-A', home]).then((r) => r.stdout), '', 'the home folder starts empty');
    const installed = await run(process.execPath, [BIN, '--json', 'agent', 'install', '--no-start', '--tsa-url', tsa.url, '--key-dir', join(work, 'keys')], { env: env() });
    const report = JSON.parse(installed.stdout) as { trustedIn: { dir: string }[]; autostart: { kind: string } };
    assert.deepEqual(report.trustedIn.map((d) => d.dir), [join(home, '.pki', 'nssdb')]);
    assert.equal(report.autostart.kind, 'xdg');
    await startAgentProcess();

    browser = await chromium.launch({
      executablePath: join(work, 'chromium-in-ns.sh'),
      env: env(),
      // The usual headless flags; nothing about certificates.
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    context = await browser.newContext({ locale: 'ru-RU' });
    // Chromium (since 142) asks the person before a public site may reach services on this computer — for
    // NCALayer exactly as for us; the person's "Allow" is given here, per site.
    for (const origin of [SITE, REFUSED]) await context.grantPermissions(['local-network-access'], { origin });
    const client = await readFile(createRequire(import.meta.url).resolve('ncalayer-js-client/ncalayer-client.js'));
    // The sites: https origins served by the test through the browser itself (no certificate of theirs is needed).
    await context.route(/^https:\/\/(egov|phish)\.example\.kz\//, (route) =>
      route.request().url().endsWith('/ncalayer-client.js')
        ? route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: client })
        : route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: SITE_PAGE }),
    );
  });

  test('the new site is asked about in the agent\'s page; allowed, it gets a time-stamped CMS and an XML signature that OpenSSL, openssl ts and xmlsec1 accept', async () => {
    const frames: string[] = [];
    const site = await openSite(SITE, frames);
    const data = Buffer.from(DOCUMENT).toString('base64');
    const cms = inPage(site, '(c, C, d) => c.basicsSignCMS(C.basicsStorageAll, d, C.basicsCMSParamsAttached, C.basicsSignerSignAny)', data);

    const consent = await nextConsent();
    assert.match(await consent.locator('p.origin code').innerText(), /^https:\/\/egov\.example\.kz$/);
    await assertAccessible(consent, 'the question about a new site');
    for (const lang of ['kk', 'en', 'ru']) {
      await consent.goto(`${consent.url().split('?')[0]}?lang=${lang}`);
      await screenshot(consent, `40-agent-new-site-${lang}`);
    }
    assert.equal(await consent.locator('input[name=secret]').count(), 0, 'no key is offered before the site is allowed');
    await consent.getByRole('button', { name: 'Разрешать всегда' }).click();
    await unlockStorage(consent, { file: key.fileName, secret: PASSWORD });
    await assert.doesNotReject(consent.getByText(`метка времени от ${tsa.url}`, { exact: false }).waitFor());
    await confirmKey(consent);
    const signed = await cms;
    assert.ok(signed.ok, JSON.stringify(signed));
    const pem = signed.value as string;
    assert.equal((await opensslCmsVerify({ cms: pem, caFile: ca.certificateFile, at: new Date() })).toString(), DOCUMENT);
    const editor = SignedDataEditor.open(derFrom(pem, 'CMS'));
    const [token] = editor.unsignedAttributes(0).filter((a) => a.type === oid.attrTimeStampToken).flatMap((a) => a.values);
    await writeFile(join(work, 'token.der'), token as Uint8Array);
    await writeFile(join(work, 'signature.bin'), editor.signatureValue(0));
    const ts = await run('openssl', ['ts', '-verify', '-token_in', '-in', join(work, 'token.der'), '-data', join(work, 'signature.bin'), '-CAfile', tsa.caFile, '-untrusted', tsa.certFile]);
    assert.match(ts.stdout, /Verification: OK/);

    // Allowed always: the XML signature asks only about the signature itself.
    const xml = inPage(site, '(c, C, d) => c.basicsSignXML(C.basicsStoragePKCS12, d, C.basicsXMLParams, C.basicsSignerSignAny)', '<zayavlenie><iin>123456789011</iin><vid>adres</vid></zayavlenie>');
    const second = await nextConsent();
    assert.equal(await second.locator('p.origin').count(), 0);
    await unlockStorage(second, { file: key.fileName, secret: PASSWORD });
    await confirmKey(second);
    const xmlResult = await xml;
    assert.ok(xmlResult.ok, JSON.stringify(xmlResult));
    assert.match(await xmlsecVerifyAgainstIssuingCa((xmlResult.value as string[])[0] as string, ca.certificateFile, new Date()), /OK/);
    assert.ok(frames.every((f) => !f.includes(PASSWORD) && !f.includes('/consent/')));
  });

  test('a refused site gets NCALayer\'s error shape, again without asking, and nothing is signed for it', async () => {
    const frames: string[] = [];
    const site = await openSite(REFUSED, frames);
    const data = Buffer.from('переведите 1 000 000 ₸').toString('base64');
    const attempt = inPage(site, '(c, C, d) => c.basicsSignCMS(C.basicsStorageAll, d, C.basicsCMSParamsAttached, C.basicsSignerAny)', data);
    const consent = await nextConsent();
    assert.match(await consent.locator('p.origin code').innerText(), /^https:\/\/phish\.example\.kz$/);
    await consent.getByRole('button', { name: 'Запретить' }).click();
    await assert.doesNotReject(consent.locator('p.refused').waitFor());
    assert.deepEqual(await attempt, { ok: false, message: 'GENERAL_ERROR: This web site is not allowed to use the signing agent (QT_ERR_AGENT_ORIGIN_REFUSED)' });
    const openedBefore = seen;
    assert.deepEqual(await inPage(site, '(c) => c.getKeyInfo("PKCS12")'), { ok: false, message: '500: This web site is not allowed to use the signing agent' });
    assert.deepEqual(await inPage(site, '(c, C, d) => c.createCMSSignatureFromBase64("PKCS12", d, "SIGNATURE", true)', data), { ok: false, message: '500: This web site is not allowed to use the signing agent' });
    const urls = (await readFile(urlsFile, 'utf8')).split('\n').filter(Boolean);
    assert.equal(urls.length, openedBefore, 'no page opened for the refused site');
    assert.ok(frames.every((f) => !/BEGIN CMS|"responseObject":"MI/.test(f)), 'no signature reached the refused site');
    const succeeded = agentLog.filter((e) => e.event === 'request' && e.origin === REFUSED && e.outcome === 'ok').map((e) => e.method);
    assert.deepEqual(succeeded, []);
    const origins = await qoltanba('--json', 'agent', 'origins', 'list');
    assert.deepEqual((JSON.parse(origins.stdout) as { origin: string; decision: string }[]).map((o) => [o.origin, o.decision]), [[SITE, 'always'], [REFUSED, 'refused']]);
  });

  test('doctor reports every piece in order; after uninstall (agent stopped) the browser database and autostart are gone and doctor says what to do', async () => {
    for (const [locale, n] of [['ru', 43], ['kk', 44], ['en', 45]] as const) {
      const { report, text, code } = await doctor(locale);
      assert.equal(report.ok, true, text);
      assert.equal(code, undefined);
      assert.deepEqual(report.checks.map((c) => [c.id, c.ok]), [['ca', true], ['listening', true], ['trust', true], ['autostart', true], ['keys', true], ['tsa', true]]);
      await screenshotTerminal(text, `${n}-agent-doctor-${locale}`);
    }
    agentProcess?.kill('SIGTERM');
    await new Promise((r) => agentProcess?.once('exit', r));
    agentProcess = undefined;

    await run(process.execPath, [BIN, 'agent', 'uninstall'], { env: env() });
    assert.ok(!existsSync(join(home, '.pki')), 'the NSS database install made is removed again');
    assert.ok(!existsSync(join(home, '.config', 'autostart', 'qoltanba-agent.desktop')));
    const { report, text } = await doctor('ru');
    assert.equal(report.ok, false);
    assert.deepEqual(report.checks.map((c) => [c.id, c.ok]), [['ca', false], ['listening', false], ['trust', false], ['autostart', false], ['keys', true], ['tsa', true]]);
    for (const c of report.checks.filter((x) => !x.ok)) assert.ok(c.fix, `${c.id} has no fix`);
    assert.match(text, /Выполните: qoltanba agent install/);
    await screenshotTerminal(text, '46-agent-doctor-problems-ru');
  });
});
