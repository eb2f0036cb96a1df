/**
 * The portal end to end, as a citizen uses it: the real server (startServer, on a fresh PostgreSQL
 * database, every feature of the one-process start), the real agent in-process (its consent pages answered
 * in tabs of the same headless Chromium), the development SMS sink, and OpenSSL checking what came out.
 *
 * One person logs in with her AUTH key (after a wrong key password), sees «Мои ключи ЭЦП», downloads a
 * certificate, re-issues (signing the application, the SMS code, new keys and «Загрузить сертификаты» — with
 * reloads in the middle), gets key files that `openssl pkcs12` opens with her password and certificates
 * that chain to the CA and are good in OCSP, then revokes her old keys (revoked in OCSP and the next CRL).
 * Then the failure paths: another person's application id, five wrong SMS codes, an expired and a revoked
 * certificate, and the agent not running. Every page is checked with axe-core and photographed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startAgent, type RunningAgent } from '@qoltanba/agent';
import { toPem } from '@qoltanba/pki';
import { defaultCeremonyConfig } from '../../apps/server/src/ca/ceremony-config.ts';
import type { SmsSink } from '../../apps/server/src/notify/index.ts';
import { revoke } from '../../apps/server/src/ra/index.ts';
import { uniqueIin } from '../../apps/server/src/ra/testing/fixture.ts';
import { startServer, type RunningServer } from '../../apps/server/src/start.ts';
import { createTestDatabase, type TestDatabase } from '../../apps/server/src/store/testing/backends.ts';
import { portalOf } from '../../apps/server/src/portal/feature.ts';
import type { PortalDeps } from '../../apps/server/src/portal/deps.ts';
import { createCitizen, registerPhones, writeKeyFiles, type Citizen } from '../../apps/server/src/portal/testing/citizens.ts';
import { freePort, openKeyFile, opensslOcsp as ocspWithOpenssl, run } from '../support/openssl.ts';
import { assertAccessible, consent, ConsentTabs, installNewKeys, launchChromium, screenshot } from '../support/browser.ts';

const KEY_PASSWORD = 'Qwerty12';
const NEW_PASSWORD = 'Qoltanba2026';
const DAY = 86_400_000;

describe('citizen portal in a real browser (PostgreSQL, real agent, headless Chromium)', () => {
  let database: TestDatabase;
  let server: RunningServer;
  let agent: RunningAgent | undefined;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let tabs: ConsentTabs;
  let deps: PortalDeps;
  let sms: SmsSink;
  let url: string;
  let home: string;
  let keysDir: string;
  let agentDir: string;
  let work: string;
  let aigerim: Citizen;
  let bolat: Citizen;
  let erlan: Citizen;
  let dana: Citizen;
  let applicationId: string;
  let newFiles: string[] = [];
  let clockOffset = 0;
  const phones = { aigerim: '+77015550167', bolat: '+77055550123', erlan: '+77075550111', dana: '+77475550199' };

  before(async () => {
    database = await createTestDatabase('postgres', { migrated: false });
    home = mkdtempSync(join(tmpdir(), 'qt-portal-e2e-'));
    keysDir = mkdtempSync(join(tmpdir(), 'qt-portal-keys-'));
    agentDir = mkdtempSync(join(tmpdir(), 'qt-portal-agent-'));
    work = mkdtempSync(join(tmpdir(), 'qt-portal-work-'));
    const ceremony = defaultCeremonyConfig();
    ceremony.root.key.bits = 2048;
    for (const i of ceremony.issuing) {
      i.key.bits = 2048;
      i.ocsp.key.bits = 2048;
    }
    writeFileSync(join(home, 'ceremony.json'), JSON.stringify(ceremony));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
    tabs = new ConsentTabs(() => context);
    agent = await startAgent({ port: 0, allowedOrigins: [url], dataDir: agentDir, keyDirs: [keysDir], openConsent: tabs.opener, log: () => undefined });
    process.env.QOLTANBA_AGENT_URL = agent.url;
    server = await startServer({
      home,
      env: { PATH: process.env.PATH } as NodeJS.ProcessEnv,
      overrides: { databaseUrl: database.openOptions.databaseUrl, port, publicUrl: url, notify: { sms: { type: 'log' } } },
      logger: false,
    });
    // The server's clock, moved only for the expired-certificate case (the CA is fresh: nothing of it has expired yet).
    server.ctx.now = () => new Date(Date.now() + clockOffset);
    deps = portalOf(server.app) as PortalDeps;
    assert.ok(deps, 'the portal feature runs in the one-process start');
    sms = deps.sms as SmsSink;
    aigerim = await createCitizen(deps.ra, { iin: uniqueIin(), surname: 'НУРЛАНОВА', name: 'АЙГЕРИМ', patronymic: 'СЕРІКҚЫЗЫ' });
    bolat = await createCitizen(deps.ra, { iin: uniqueIin(), surname: 'ЖАҚСЫБЕКОВ', name: 'БОЛАТ' });
    erlan = await createCitizen(deps.ra, { iin: uniqueIin(), surname: 'ЕРЛАНОВ', name: 'ЕРЛАН' });
    dana = await createCitizen(deps.ra, { iin: uniqueIin(), surname: 'ДАНАҚЫЗЫ', name: 'ДАНА' });
    const cas = await server.ctx.store.db.selectFrom('cas').select(['kind', 'certificate']).orderBy('id').execute();
    const chain = [...cas.filter((c) => c.kind === 'issuing'), ...cas.filter((c) => c.kind === 'root')].map((c) => new Uint8Array(c.certificate));
    writeFileSync(join(work, 'root.pem'), cas.filter((c) => c.kind === 'root').map((c) => toPem('CERTIFICATE', c.certificate)).join(''));
    writeFileSync(join(work, 'issuing.pem'), cas.filter((c) => c.kind === 'issuing').map((c) => toPem('CERTIFICATE', c.certificate)).join(''));
    writeFileSync(join(work, 'chain.pem'), readFileSync(join(work, 'issuing.pem'), 'utf8') + readFileSync(join(work, 'root.pem'), 'utf8'));
    for (const c of [aigerim, bolat, erlan, dana]) await writeKeyFiles(c, keysDir, KEY_PASSWORD, chain);
    await registerPhones(server.ctx.store, [
      { iin: aigerim.iin, phone: phones.aigerim },
      { iin: bolat.iin, phone: phones.bolat },
      { iin: erlan.iin, phone: phones.erlan },
      { iin: dana.iin, phone: phones.dana },
    ]);
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await agent?.close();
    await server?.close();
    await database?.dispose();
    delete process.env.QOLTANBA_AGENT_URL;
    for (const d of [home, keysDir, agentDir, work]) if (d) rmSync(d, { recursive: true, force: true });
  });

  const opensslOcsp = (certPem: string) => ocspWithOpenssl(work, url, certPem);

  async function login(p: Page, who: Citizen, password = KEY_PASSWORD): Promise<void> {
    await p.goto(`${url}/login`);
    await p.getByRole('button', { name: 'Обновить список ключей' }).click();
    await consent.sign(await tabs.next(), who.auth.fileName, password, 'Передать сертификат');
    await p.getByRole('button', { name: 'Подписать' }).click();
    await consent.sign(await tabs.next(), who.auth.fileName, password);
    await p.waitForURL(`${url}/keys`);
  }

  test('«Обновить список ключей» after a wrong key password, whose key it is, «Подписать», then «Мои ключи ЭЦП»', async () => {
    await page.goto(`${url}/login`);
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    // The keyboard reaches everything: the skip link first, then the page's own controls.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Перейти к содержимому');
    await assertAccessible(page, 'login');
    await screenshot(page, '01-login-ru');
    await page.getByRole('button', { name: 'Обновить список ключей' }).focus();
    await page.keyboard.press('Enter');
    const share = await tabs.next();
    await share.getByLabel(aigerim.auth.fileName).check();
    await share.getByLabel(/Пароль|PIN/).first().fill('Wrong1234');
    await share.getByRole('button', { name: 'Далее' }).click();
    assert.match(await share.getByRole('alert').innerText(), /Осталось 2 попытки/);
    await consent.sign(share, aigerim.auth.fileName, KEY_PASSWORD, 'Передать сертификат');
    const card = page.locator('#key');
    await card.waitFor({ state: 'visible' });
    const text = await card.innerText();
    assert.match(text, /НУРЛАНОВА АЙГЕРИМ/);
    assert.match(text, new RegExp(aigerim.iin));
    assert.match(text, /Аутентификация/);
    assert.match(text, /\d+ (день|дня|дней)/);
    await assertAccessible(page, 'login with the key shown');
    await screenshot(page, '02-login-key-ru');
    await page.getByRole('button', { name: 'Подписать' }).click();
    const sign = await tabs.next();
    assert.match(await sign.locator('body').innerText(), /Вход в Личный кабинет Qoltanba/, 'the agent shows the text being signed');
    await consent.sign(sign, aigerim.auth.fileName, KEY_PASSWORD);
    await page.waitForURL(`${url}/keys`);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Мои ключи ЭЦП');
    assert.equal(await page.locator('table.keys tbody tr').count(), 2);
    const cookies = await context.cookies(url);
    const session = cookies.find((c) => c.name === '__Host-qt_session');
    assert.ok(session?.httpOnly && session.secure && session.sameSite === 'Strict');
    await assertAccessible(page, 'my keys');
    await screenshot(page, '03-my-keys-ru');
  });

  test('a certificate downloads and opens in OpenSSL; the export lists every key', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('table.keys tbody tr').first().getByRole('link', { name: /Скачать сертификат/ }).click()]);
    const file = join(work, 'downloaded.cer');
    await download.saveAs(file);
    const { stdout } = await run('openssl', ['x509', '-inform', 'DER', '-in', file, '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus']);
    assert.match(stdout, new RegExp(`IIN${aigerim.iin}`));
    await page.locator('details.menu > summary').click();
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Выгрузить список ключей (CSV)' }).click()]);
    const csvFile = join(work, 'keys.csv');
    await csv.saveAs(csvFile);
    const rows = readFileSync(csvFile, 'utf8').trim().split('\r\n');
    assert.equal(rows.length, 3);
    assert.ok(rows.some((r) => r.includes(aigerim.sign.record.serial)));
  });

  test('«Перевыпуск ключей ЭЦП»: «Подать заявку», sign it, the SMS code, new keys, «Загрузить сертификаты» — surviving reloads', async () => {
    await page.getByRole('link', { name: 'Перевыпуск ключей ЭЦП' }).first().click();
    await page.waitForURL(`${url}/reissue`);
    assert.equal(await page.locator('#fixed-name').innerText(), 'НУРЛАНОВА АЙГЕРИМ СЕРІКҚЫЗЫ');
    await page.getByLabel('Электронная почта').fill('a.nurlanova@mail.kz');
    await page.getByLabel(/Компьютер/).check();
    await page.getByLabel('Отозвать старые ключи после установки новых').check();
    await assertAccessible(page, 're-issue form');
    await screenshot(page, '04-reissue-form-ru');
    await page.getByRole('button', { name: 'Подать заявку' }).click();
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}$/);
    applicationId = page.url().split('/').pop() as string;
    await assertAccessible(page, 'sign the application');
    await screenshot(page, '05-sign-application-ru');

    const since = new Date();
    await page.getByRole('button', { name: 'Подписать' }).click();
    const signing = await tabs.next();
    assert.match(await signing.locator('body').innerText(), new RegExp(`Заявка на перевыпуск ключей ЭЦП[\\s\\S]*${applicationId}`));
    await consent.sign(signing, aigerim.sign.fileName, KEY_PASSWORD);
    await page.getByLabel('Код из SMS').waitFor();
    // A reload (or a closed tab) in the middle: the application resumes at its step.
    await page.reload();
    await page.getByLabel('Код из SMS').waitFor();
    const message = await sms.waitFor(phones.aigerim, { since, timeoutMs: 10_000 });
    const code = /Код: (\d{6})/.exec(message.text)?.[1];
    assert.ok(code, message.text);
    assert.match(await page.locator('main').innerText(), /\+7\*{6}0167/);
    await assertAccessible(page, 'SMS code');
    await screenshot(page, '06-sms-code-ru');
    await page.getByLabel('Код из SMS').fill(code);
    await page.getByRole('button', { name: 'Подтвердить' }).click();
    await page.getByRole('button', { name: 'Создать ключи' }).waitFor();
    assert.match(await page.locator('#password-rule').innerText(), /латинские буквы нижнего и верхнего регистров, а также цифры/);
    await assertAccessible(page, 'new keys');
    await screenshot(page, '07-new-keys-ru');

    await page.getByRole('button', { name: 'Создать ключи' }).click();
    const generate = await tabs.next();
    // The agent enforces the national rule on its own page.
    await generate.getByLabel('Пароль для новых файлов ключей').fill('qwerty');
    await generate.getByLabel('Повторите пароль').fill('qwerty');
    await generate.getByRole('button', { name: 'Создать ключи' }).click();
    assert.match(await generate.getByRole('alert').innerText(), /латинские буквы нижнего и верхнего регистров/);
    await consent.generateKeys(generate, NEW_PASSWORD);
    await page.getByRole('button', { name: 'Загрузить сертификаты' }).waitFor({ timeout: 30_000 });
    await page.reload();
    await page.getByRole('button', { name: 'Загрузить сертификаты' }).waitFor();
    await assertAccessible(page, 'download certificates');
    await screenshot(page, '08-download-certificates-ru');

    newFiles = await installNewKeys(page, tabs, keysDir, NEW_PASSWORD);
    await assertAccessible(page, 'done');
    await screenshot(page, '09-done-ru');
  });

  test('the new key files open with openssl pkcs12 and the password; the certificates chain to the CA and are good in OCSP', async () => {
    for (const f of newFiles) {
      const file = join(keysDir, f);
      await assert.rejects(run('openssl', ['pkcs12', '-in', file, '-passin', 'pass:Wrong1234', '-nokeys']));
      const { certPem, text } = await openKeyFile(work, file, NEW_PASSWORD);
      assert.match(text, new RegExp(`IIN${aigerim.iin}`));
      assert.match(await opensslOcsp(certPem), /: good/);
    }
    await page.goto(`${url}/keys`);
    const rows = page.locator('table.keys tbody tr');
    assert.equal(await rows.count(), 4, 'old and new keys');
    assert.equal(await page.locator('tr.status-good').count(), 4);
  });

  test('revoking the old keys from the wizard: confirmed by signing, revoked in OCSP and in the next CRL', async () => {
    await page.goto(`${url}/applications/${applicationId}`);
    await page.getByRole('link', { name: 'Отозвать старые ключи' }).click();
    await page.waitForURL(/\/revoke\?application=/);
    assert.equal(await page.locator('input[name=target]:checked').count(), 2);
    assert.equal(await page.getByLabel('Причина').inputValue(), 'superseded');
    await assertAccessible(page, 'revoke');
    await screenshot(page, '10-revoke-ru');
    await page.getByRole('button', { name: 'Отозвать' }).click();
    const sign = await tabs.next();
    const newSign = newFiles.find((f) => f.startsWith('RSA256_')) as string;
    assert.match(await sign.locator('body').innerText(), /Отзыв сертификатов ЭЦП/);
    await consent.sign(sign, newSign, NEW_PASSWORD);
    await page.getByText('Старые ключи отозваны.').waitFor();
    for (const c of [aigerim.auth.record, aigerim.sign.record]) assert.match(await opensslOcsp(c.pem), /: revoked/);
    const status = server.status;
    const ca = await server.ctx.store.db.selectFrom('cas').select(['id', 'name']).where('kind', '=', 'issuing').executeTakeFirstOrThrow();
    await status.generateCrl(ca.id, 'full');
    const crl = Buffer.from(await (await fetch(`${url}/crl/${ca.name}.crl`)).arrayBuffer());
    writeFileSync(join(work, 'full.crl'), crl);
    const { stdout } = await run('openssl', ['crl', '-inform', 'DER', '-in', join(work, 'full.crl'), '-noout', '-text']);
    for (const c of [aigerim.auth.record, aigerim.sign.record]) assert.match(stdout.replace(/\s+/g, ' '), new RegExp(`Serial Number: 0*${c.serial}`, 'i'));
    await page.goto(`${url}/keys`);
    assert.equal(await page.locator('tr.status-revoked').count(), 2);
    assert.equal(await page.locator('tr.status-good').count(), 2);
    await screenshot(page, '11-my-keys-after-ru');
  });

  test('the same pages in Kazakh and English, the choice remembered', async () => {
    await page.goto(`${url}/keys?lang=kk`);
    await page.waitForURL(`${url}/keys`);
    assert.equal(await page.getAttribute('html', 'lang'), 'kk');
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Менің ЭЦҚ кілттерім');
    await assertAccessible(page, 'my keys (kk)');
    await screenshot(page, '12-my-keys-kk');
    await page.goto(`${url}/reissue`);
    assert.match(await page.locator('main').innerText(), /Өтінім беру/);
    await page.goto(`${url}/keys?lang=en`);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'My EDS keys');
    assert.match(await page.locator('table.keys').innerText(), /\d+ days/);
    await assertAccessible(page, 'my keys (en)');
    await screenshot(page, '13-my-keys-en');
    await page.goto(`${url}/login?lang=ru`).catch(() => undefined);
  });

  test('another person opening her application by its id gets “not found”', async () => {
    context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
    const other = await context.newPage();
    await login(other, bolat);
    const res = await other.goto(`${url}/applications/${applicationId}`);
    assert.equal(res?.status(), 404);
    assert.match(await other.locator('main').innerText(), /не найдены — или они принадлежат не вам/);
    assert.doesNotMatch(await other.content(), new RegExp(aigerim.iin));
    await assertAccessible(other, 'not found');
    await screenshot(other, '14-not-found-ru');
    page = other;
  });

  test('five wrong SMS codes refuse the application, and the page says what to do', async () => {
    await page.goto(`${url}/reissue`);
    await page.getByRole('button', { name: 'Подать заявку' }).click();
    await page.waitForURL(/\/applications\//);
    await page.getByRole('button', { name: 'Подписать' }).click();
    await consent.sign(await tabs.next(), bolat.sign.fileName, KEY_PASSWORD);
    await page.getByLabel('Код из SMS').waitFor();
    const code = /Код: (\d{6})/.exec((await sms.waitFor(phones.bolat, { since: new Date(Date.now() - 10_000) })).text)?.[1];
    const wrong = code === '123456' ? '654321' : '123456';
    for (let i = 4; i >= 1; i--) {
      await page.getByLabel('Код из SMS').fill(wrong);
      await page.getByRole('button', { name: 'Подтвердить' }).click();
      await page.getByText(new RegExp(`Осталось ${i} попытк|Осталась ${i} попытка`)).waitFor();
    }
    await page.getByLabel('Код из SMS').fill(wrong);
    await page.getByRole('button', { name: 'Подтвердить' }).click();
    await page.getByText('Заявка отклонена.', { exact: true }).waitFor();
    assert.match(await page.locator('main').innerText(), /введён неверно слишком много раз/);
    await assertAccessible(page, 'application refused');
    await screenshot(page, '15-sms-code-refused-ru');
  });

  test('an expired certificate (server clock 400 days on): the page explains, offers no «Подписать», points to remote issuance', async () => {
    context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
    page = await context.newPage();
    clockOffset = 400 * DAY;
    try {
      await page.goto(`${url}/login`);
      await page.getByRole('button', { name: 'Обновить список ключей' }).click();
      await consent.sign(await tabs.next(), erlan.auth.fileName, KEY_PASSWORD, 'Передать сертификат');
      const problem = page.locator('#problem');
      await problem.getByText(/Срок действия ключа истёк \d+/).waitFor();
      assert.ok(await page.getByRole('link', { name: 'Получение ЭЦП удалённо' }).first().isVisible());
      assert.equal(await page.getByRole('button', { name: 'Подписать' }).isVisible(), false);
      await assertAccessible(page, 'expired key');
      await screenshot(page, '16-expired-ru');
    } finally {
      clockOffset = 0;
    }
  });

  test('a revoked certificate: the page explains before anything is signed (the server refusing a signed one: auth/login.test.ts)', async () => {
    await revoke(deps.ra, { ca: dana.auth.record.ca, serial: dana.auth.record.serial, reason: 'keyCompromise', actor: 'operator:test' });
    await page.goto(`${url}/login`);
    await page.getByRole('button', { name: 'Обновить список ключей' }).click();
    await consent.sign(await tabs.next(), dana.auth.fileName, KEY_PASSWORD, 'Передать сертификат');
    await page.locator('#problem').getByText(/Ключ отозван \d+/).waitFor();
    await assertAccessible(page, 'revoked key');
    await screenshot(page, '17-revoked-ru');
    await page.goto(`${url}/help/remote`);
    await assertAccessible(page, 'remote issuance help');
    await screenshot(page, '18-remote-issuance-ru');
  });

  test('the agent not running: the page says how to start it', async () => {
    await agent?.close();
    agent = undefined;
    await page.goto(`${url}/login`);
    await page.getByRole('button', { name: 'Обновить список ключей' }).click();
    await page.locator('#problem').getByText('Агент подписи не отвечает').waitFor();
    assert.match(await page.locator('#problem').innerText(), /qoltanba agent/);
    await assertAccessible(page, 'agent missing');
    await screenshot(page, '19-agent-missing-ru');
    await page.locator('#problem').getByRole('link', { name: 'Как запустить агент' }).click();
    await page.waitForURL(`${url}/help/agent`);
    await assertAccessible(page, 'agent help');
  });
});
