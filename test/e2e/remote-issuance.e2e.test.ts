/**
 * «Получение ЭЦП удалённо» end to end, as a first-time applicant and an RA operator use it: the real server
 * (startServer on a fresh PostgreSQL database, every feature of the one-process start), the real agent
 * in-process (its consent pages answered in tabs of the same headless Chromium), the development SMS sink,
 * and a fake webcam — Chromium's --use-file-for-fake-video-capture playing a Y4M this test draws: a face
 * turning its head left and right.
 *
 * Aigerim has never had keys: from /help/remote she types her IIN, a wrong SMS code then the right one, a
 * wrong document number then the right one, films her face with the turn the page asks for, waits while
 * the operator (a second browser context, signed in with his own AUTH key carrying the RA-operator role)
 * looks at the registry photo beside her frames and approves; her page moves on by itself, the agent makes
 * her keys and «Загрузить сертификаты» writes them; OpenSSL opens the .p12 files with her password, chains
 * them to the CA, finds the remote-identification OID and gets "good" from OCSP. Then the refusals: a person
 * not in the mobile-citizens registry, five rejections by the operator (the page sends Bolat to a centre),
 * and one IIN submitted from two windows at once (one application). Every page is checked with axe-core.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startAgent, type RunningAgent } from '@qoltanba/agent';
import { toPem, writePkcs12 } from '@qoltanba/pki';
import { defaultCeremonyConfig } from '../../apps/server/src/ca/ceremony-config.ts';
import type { SmsSink } from '../../apps/server/src/notify/index.ts';
import { createOperatorKey } from '../../apps/server/src/operator/testing/operator-key.ts';
import { portalOf } from '../../apps/server/src/portal/feature.ts';
import type { PortalDeps } from '../../apps/server/src/portal/deps.ts';
import { freePort, openKeyFile, opensslOcsp as ocspWithOpenssl } from '../support/openssl.ts';
import { assertAccessible, consent, ConsentTabs, installNewKeys, launchChromium, screenshot } from '../support/browser.ts';
import { uniqueIin } from '../../apps/server/src/ra/testing/fixture.ts';
import { faceVideoY4m, PEOPLE } from '../../apps/server/src/remote/testing/faces.ts';
import { importPeople, registerMobile, type TestPerson } from '../../apps/server/src/remote/testing/people.ts';
import { startServer, type RunningServer } from '../../apps/server/src/start.ts';
import { createTestDatabase, type TestDatabase } from '../../apps/server/src/store/testing/backends.ts';

const OPERATOR_PASSWORD = 'Operator2026';
const NEW_PASSWORD = 'Qoltanba2026';

function person(over: Partial<TestPerson> & { surname: string; name: string }): TestPerson {
  return { iin: uniqueIin(), documentNumber: String(Math.floor(1e8 + Math.random() * 9e8)), issuedOn: '2021-03-15', expiresOn: '2031-03-14', face: PEOPLE.aigerim, ...over };
}

describe('remote issuance in a real browser with a fake camera (PostgreSQL, real agent, operator console)', () => {
  let database: TestDatabase;
  let server: RunningServer;
  let agent: RunningAgent;
  let browser: Browser;
  let citizen: BrowserContext;
  let operatorContext: BrowserContext;
  let consentContext: BrowserContext;
  let page: Page;
  let op: Page;
  let tabs: ConsentTabs;
  let deps: PortalDeps;
  let sms: SmsSink;
  let url: string;
  let home: string;
  let keysDir: string;
  let agentDir: string;
  let work: string;
  let operatorFile: string;
  let applicationId: string;
  let newFiles: string[] = [];
  const aigerim = person({ surname: 'НУРЛАНОВА', name: 'АЙГЕРИМ', patronymic: 'СЕРІКҚЫЗЫ' });
  const bolat = person({ surname: 'ЖАҚСЫБЕКОВ', name: 'БОЛАТ' });
  const nophone = person({ surname: 'ТЕЛЕФОНСЫЗ', name: 'ЕРЖАН' });
  const dana = person({ surname: 'ДАНАҚЫЗЫ', name: 'ДАНА' });
  const phones: Record<string, string> = { [aigerim.iin]: '+77015550167', [bolat.iin]: '+77055550123', [dana.iin]: '+77475550199' };

  before(async () => {
    database = await createTestDatabase('postgres', { migrated: false });
    home = mkdtempSync(join(tmpdir(), 'qt-remote-e2e-'));
    keysDir = mkdtempSync(join(tmpdir(), 'qt-remote-keys-'));
    agentDir = mkdtempSync(join(tmpdir(), 'qt-remote-agent-'));
    work = mkdtempSync(join(tmpdir(), 'qt-remote-work-'));
    const ceremony = defaultCeremonyConfig();
    ceremony.root.key.bits = 2048;
    for (const i of ceremony.issuing) {
      i.key.bits = 2048;
      i.ocsp.key.bits = 2048;
    }
    writeFileSync(join(home, 'ceremony.json'), JSON.stringify(ceremony));
    // The fake webcam: the applicant turning her head left and right, 3 s a turn, looped by Chromium.
    const video = join(work, 'face.y4m');
    writeFileSync(video, faceVideoY4m(PEOPLE.aigerim, { frames: 30, fps: 10, amplitude: 40 }));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]);
    citizen = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1200, height: 900 } });
    operatorContext = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 1000 } });
    consentContext = citizen;
    tabs = new ConsentTabs(() => consentContext);
    agent = await startAgent({ port: 0, allowedOrigins: [url], dataDir: agentDir, keyDirs: [keysDir], openConsent: tabs.opener, log: () => undefined });
    process.env.QOLTANBA_AGENT_URL = agent.url;
    server = await startServer({
      home,
      env: { PATH: process.env.PATH } as NodeJS.ProcessEnv,
      overrides: { databaseUrl: database.openOptions.databaseUrl, port, publicUrl: url, notify: { sms: { type: 'log' } } },
      logger: false,
    });
    deps = portalOf(server.app) as PortalDeps;
    sms = deps.sms as SmsSink;
    await importPeople(server.ctx.store, [aigerim, bolat, nophone, dana]);
    await registerMobile(server.ctx.store, Object.entries(phones).map(([iin, phone]) => ({ iin, phone })));
    const cas = await server.ctx.store.db.selectFrom('cas').select(['kind', 'certificate']).orderBy('id').execute();
    writeFileSync(join(work, 'root.pem'), cas.filter((c) => c.kind === 'root').map((c) => toPem('CERTIFICATE', c.certificate)).join(''));
    writeFileSync(join(work, 'issuing.pem'), cas.filter((c) => c.kind === 'issuing').map((c) => toPem('CERTIFICATE', c.certificate)).join(''));
    writeFileSync(join(work, 'chain.pem'), [...cas.filter((c) => c.kind === 'issuing'), ...cas.filter((c) => c.kind === 'root')].map((c) => toPem('CERTIFICATE', c.certificate)).join(''));
    // The operator's own AUTH key, with the RA-operator role, as a key file the agent offers.
    const opKey = await createOperatorKey(deps.ra, { iin: uniqueIin(), surname: 'ОПЕРАТОРОВ', name: 'САМАТ' });
    const chain = [...cas.filter((c) => c.kind === 'issuing'), ...cas.filter((c) => c.kind === 'root')].map((c) => new Uint8Array(c.certificate));
    writeFileSync(join(keysDir, opKey.fileName), await writePkcs12({ privateKey: opKey.keys.privateKey, certificate: opKey.record.der, chain, password: OPERATOR_PASSWORD }));
    operatorFile = opKey.fileName;
    page = await citizen.newPage();
    op = await operatorContext.newPage();
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

  async function codeFrom(phone: string, since: Date): Promise<string> {
    const m = await sms.waitFor(phone, { since, timeoutMs: 10_000 });
    const code = /Код: (\d{6})/.exec(m.text)?.[1];
    assert.ok(code, m.text);
    return code;
  }

  async function startAs(p: Page, who: TestPerson): Promise<Date> {
    await p.goto(`${url}/remote`);
    await p.getByLabel('ИИН').fill(who.iin);
    await p.getByLabel(/Я согласен/).check();
    const since = new Date();
    await p.getByRole('button', { name: 'Продолжить' }).click();
    return since;
  }

  /** Camera on, «Сделать снимки», and the page lands on the waiting step. */
  async function film(p: Page): Promise<void> {
    await p.getByRole('button', { name: 'Включить камеру' }).click();
    await p.locator('video#preview').waitFor({ state: 'visible' });
    await p.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).videoWidth > 0);
    await p.getByRole('button', { name: 'Сделать снимки' }).click();
    await p.getByRole('heading', { name: 'Снимки проверяются' }).waitFor({ timeout: 20_000 });
  }

  async function operatorOpensOldest(): Promise<void> {
    await op.goto(`${url}/operator`);
    await op.getByRole('link', { name: 'Проверить' }).first().click();
    await op.waitForURL(/\/operator\/reviews\/[0-9a-f-]{36}$/);
  }

  test('from /help/remote: the IIN, a wrong SMS code, then the right one', async () => {
    await page.goto(`${url}/help/remote`);
    await page.getByRole('link', { name: 'Получение ЭЦП удалённо' }).first().click();
    await page.waitForURL(`${url}/remote`);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Получение ЭЦП удалённо');
    await page.getByLabel('ИИН').fill(aigerim.iin);
    await page.getByLabel(/Я согласен/).check();
    await assertAccessible(page, 'remote start');
    await screenshot(page, '20-remote-start-ru');
    const since = new Date();
    await page.getByRole('button', { name: 'Продолжить' }).click();
    await page.waitForURL(/\/remote\/applications\/[0-9a-f-]{36}$/);
    applicationId = page.url().split('/').pop() as string;
    const code = await codeFrom(phones[aigerim.iin]!, since);
    assert.match(await page.locator('main').innerText(), /\+7\*{6}0167/);
    await page.getByLabel('Код из SMS').fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Подтвердить' }).click();
    await page.getByText(/Код неверный\. Осталось 4 попытки\./).waitFor();
    await assertAccessible(page, 'remote code');
    await screenshot(page, '21-remote-sms-code-ru');
    await page.getByLabel('Код из SMS').fill(code);
    await page.getByRole('button', { name: 'Подтвердить' }).click();
    await page.getByLabel('Номер документа').waitFor();
  });

  test('the document: a wrong number is counted, the right one with its issue date matches the registry', async () => {
    await page.getByLabel('Номер документа').fill('000000001');
    await page.getByLabel('Дата выдачи').fill(aigerim.issuedOn);
    await page.getByRole('button', { name: 'Проверить' }).click();
    await page.getByText(/не совпадают с данными регистрации\. Осталось 2 попытки\./).waitFor();
    await assertAccessible(page, 'document mismatch');
    await screenshot(page, '22-remote-document-mismatch-ru');
    await page.getByLabel('Номер документа').fill(aigerim.documentNumber);
    await page.getByLabel('Дата выдачи').fill(aigerim.issuedOn);
    await page.getByRole('button', { name: 'Проверить' }).click();
    await page.getByRole('button', { name: 'Включить камеру' }).waitFor();
  });

  test('the webcam: the page films the face and the turn the server asked for; the page waits for the operator', async () => {
    await page.getByRole('button', { name: 'Включить камеру' }).click();
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).videoWidth > 0);
    await assertAccessible(page, 'camera');
    await screenshot(page, '23-remote-camera-ru');
    await page.getByRole('button', { name: 'Сделать снимки' }).click();
    await page.locator('#instruction').getByText(/Медленно поверните голову (влево|вправо)/).waitFor();
    await page.getByRole('heading', { name: 'Снимки проверяются' }).waitFor({ timeout: 20_000 });
    await assertAccessible(page, 'waiting');
    await screenshot(page, '24-remote-waiting-ru');
    const checks = await server.ctx.store.db.selectFrom('remote_face_checks' as never).select(['frames' as never, 'state' as never]).where('application_id' as never, '=', applicationId as never).execute();
    assert.deepEqual(checks, [{ frames: 7, state: 'pending' }]);
  });

  test('the operator signs in with his role-carrying AUTH key, sees the registry photo beside the frames, and approves', async () => {
    consentContext = operatorContext;
    await op.goto(`${url}/operator`);
    await op.waitForURL(`${url}/operator/login?ended=required`);
    await op.getByRole('button', { name: 'Обновить список ключей' }).click();
    await consent.sign(await tabs.next(), operatorFile, OPERATOR_PASSWORD, 'Передать сертификат');
    await op.getByRole('button', { name: 'Подписать' }).click();
    await consent.sign(await tabs.next(), operatorFile, OPERATOR_PASSWORD);
    await op.waitForURL(`${url}/operator`);
    assert.equal(await op.getByRole('heading', { level: 1 }).innerText(), 'Очередь проверки лиц');
    await assertAccessible(op, 'operator queue');
    await operatorOpensOldest();
    assert.match(await op.locator('#person-name').innerText(), /НУРЛАНОВА АЙГЕРИМ СЕРІКҚЫЗЫ/);
    const images = op.locator('main img');
    assert.equal(await images.count(), 8, 'the registry photo and seven frames');
    await op.waitForFunction(() => Array.from(document.querySelectorAll('main img')).every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0));
    assert.match(await op.locator('main').innerText(), /Запрошенное действие: Медленно поверните голову/);
    await assertAccessible(op, 'operator review');
    await screenshot(op, '25-operator-review-ru');
    await op.getByLabel(/Одобрить/).check();
    await op.getByRole('button', { name: 'Вынести решение' }).click();
    await op.waitForURL(`${url}/operator?decided=approved`);
    assert.match(await op.locator('main').innerText(), /Одобрено/);
    consentContext = citizen;
  });

  test('her page moves on by itself; the agent makes the keys; «Загрузить сертификаты» writes the key files', async () => {
    await page.getByRole('button', { name: 'Создать ключи' }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Создать ключи' }).click();
    const generate = await tabs.next();
    await consent.generateKeys(generate, NEW_PASSWORD);
    await page.getByRole('button', { name: 'Загрузить сертификаты' }).waitFor({ timeout: 30_000 });
    newFiles = await installNewKeys(page, tabs, keysDir, NEW_PASSWORD);
    await assertAccessible(page, 'remote done');
    await screenshot(page, '26-remote-done-ru');
  });

  test('OpenSSL: the .p12 files open with her password; the certificates chain to the CA, carry 1.2.398.3.3.4.3.2 and are good in OCSP', async () => {
    for (const f of newFiles) {
      const file = join(keysDir, f);
      const { certPem, text } = await openKeyFile(work, file, NEW_PASSWORD);
      assert.match(text, new RegExp(`IIN${aigerim.iin}`));
      assert.match(text, /SN=НУРЛАНОВА/);
      assert.match(text, /1\.2\.398\.3\.3\.4\.3\.2/, 'the remote-identification OID');
      assert.doesNotMatch(text, /1\.2\.398\.3\.3\.4\.3\.1/);
      assert.match(await opensslOcsp(certPem), /: good/);
    }
  });

  test('a person without a number in the mobile-citizens registry is told how to register it', async () => {
    await startAs(page, nophone);
    const problem = page.locator('.problem');
    await problem.getByText('К этому ИИН не привязан подтверждённый номер телефона в Базе мобильных граждан.').waitFor();
    assert.match(await problem.innerText(), /egov\.kz/);
    assert.match(await problem.innerText(), /QT_ERR_PHONE_NOT_REGISTERED/);
    await assertAccessible(page, 'no phone');
    await screenshot(page, '27-remote-no-phone-ru');
  });

  test('five rejections by the operator: the application is refused and the page sends him to a service centre', async () => {
    const since = await startAs(page, bolat);
    await page.getByLabel('Код из SMS').fill(await codeFrom(phones[bolat.iin]!, since));
    await page.getByRole('button', { name: 'Подтвердить' }).click();
    await page.getByLabel('Номер документа').fill(bolat.documentNumber);
    await page.getByLabel('Дата выдачи').fill(bolat.issuedOn);
    await page.getByRole('button', { name: 'Проверить' }).click();
    for (let i = 1; i <= 5; i++) {
      await film(page);
      await operatorOpensOldest();
      await op.getByLabel('Причина отклонения').selectOption('face-mismatch');
      await op.getByRole('button', { name: 'Вынести решение' }).click();
      await op.waitForURL(`${url}/operator?decided=${i < 5 ? 'retry' : 'refused'}`);
      if (i < 5) {
        await page.getByText(`Предыдущие снимки не приняты: лицо не совпадает с фотографией документа`).waitFor({ timeout: 15_000 });
        assert.match(await page.locator('main').innerText(), new RegExp(`Остал(ось|ась) ${5 - i} попытк`));
      }
    }
    await page.getByText('Лицо не удалось подтвердить 5 раз, поэтому получить ЭЦП удалённо по этой заявке нельзя.').waitFor({ timeout: 15_000 });
    assert.match(await page.locator('main').innerText(), /обратитесь с удостоверением личности в любой ЦОН/);
    await assertAccessible(page, 'face refused');
    await screenshot(page, '28-remote-face-refused-ru');
    assert.equal(await page.getByRole('button', { name: 'Включить камеру' }).count(), 0);
  });

  test('one IIN from two windows at the same time: one application, the code taker owns it', async () => {
    const other = await (await browser.newContext({ locale: 'ru-RU' })).newPage();
    for (const p of [page, other]) {
      await p.goto(`${url}/remote`);
      await p.getByLabel('ИИН').fill(dana.iin);
      await p.getByLabel(/Я согласен/).check();
    }
    const since = new Date();
    await Promise.all([page.getByRole('button', { name: 'Продолжить' }).click(), other.getByRole('button', { name: 'Продолжить' }).click()]);
    await Promise.all([page.waitForURL(/\/remote\/applications\//), other.waitForURL(/\/remote\/applications\//)]);
    assert.equal(page.url(), other.url(), 'both windows are on the same application');
    const apps = await server.ctx.store.db.selectFrom('applications').select('id').where('iin', '=', dana.iin).execute();
    assert.equal(apps.length, 1);
    await other.getByLabel('Код из SMS').fill(await codeFrom(phones[dana.iin]!, since));
    await other.getByRole('button', { name: 'Подтвердить' }).click();
    await other.getByLabel('Номер документа').waitFor();
    await screenshot(other, '29-remote-one-application-ru');
    // The window that did not enter the code has no access any more.
    const res = await page.goto(page.url());
    assert.equal(res?.status(), 404);
    await other.context().close();
  });
});
