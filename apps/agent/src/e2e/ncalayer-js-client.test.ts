/**
 * End to end, as a citizen would use it: the unmodified ncalayer-js-client runs in a web page in headless
 * Chromium and drives the agent; the agent opens its consent page in a new tab of the same browser, where the
 * test picks the key file, types the password and presses "Подписать". The results are checked by OpenSSL
 * and xmlsec1, not by our own code.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { derFrom, fromBase64, oid, SignedDataEditor } from '@qoltanba/pki';
import { fixturePath, nca, TEST_KEY_PASSWORD } from '../../../../test/support/fixtures.ts';
import { ConsentTabs, launchChromium, openSitePage, startTestSite, type TestSite } from '../testing/browser.ts';
import { approve, cancel, confirmKey, ru, unlockStorage } from '../testing/consent-user.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';
import { opensslTsVerify, startTestTsa, type TestTsa } from '../testing/tsa.ts';
import { opensslCmsVerify, xmlsecVerifyAgainstIssuingCa } from '../testing/verifiers.ts';

/** The fixture key's certificate is valid 2021-01-18 … 2022-01-18; the agent's clock and the verifiers use a day inside. */
const SIGN_KEY_TIME = new Date('2021-12-01T00:00:00Z');
const SIGN_KEY_FILE = 'KEY_INDIVIDUAL_VALID_SIGN_2004.p12';
const AUTH_KEY_FILE = 'KEY_INDIVIDUAL_AUTH_REVOKED_2004.p12';
const CA = fixturePath(...nca.rsaCa);
const DOCUMENT = 'Өтінім № 42: Тестов Тест, ИИН 123456789011. Заявление на перевыпуск ключей ЭЦП.';

type ClientCall = (client: Record<string, (...a: unknown[]) => Promise<unknown>>, C: Record<string, unknown>, arg: unknown) => Promise<unknown>;

describe('ncalayer-js-client in Chromium against the agent, consent answered in the browser', () => {
  let browser: Browser;
  let context: BrowserContext;
  let site: TestSite;
  let agent: TestAgent;
  /** ncalayer-js-client's basicsCMSParams… carry a tsaProfile: those signatures are time-stamped. */
  let tsa: TestTsa;
  let tabs: ConsentTabs;
  let portal: Page;
  let keyDir: string;
  const framesToSite: string[] = [];

  before(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'qoltanba-keys-'));
    await copyFile(fixturePath(...nca.validSignKey), join(keyDir, SIGN_KEY_FILE));
    await copyFile(fixturePath(...nca.revokedAuthKey), join(keyDir, AUTH_KEY_FILE));
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'ru-RU' });
    tabs = new ConsentTabs(context);
    site = await startTestSite();
    tsa = await startTestTsa();
    agent = await startTestAgent({ tsaUrl: tsa.url, allowedOrigins: [site.origin], keyDirs: [keyDir], openConsent: tabs.opener, now: () => SIGN_KEY_TIME });
    portal = await openSitePage(context, site, agent.url, (page) =>
      page.on('websocket', (ws) => ws.on('framereceived', (f) => framesToSite.push(String(f.payload)))),
    );
  });

  after(async () => {
    await browser?.close();
    await agent?.dispose();
    await tsa?.close();
    await site?.close();
    await rm(keyDir, { recursive: true, force: true });
  });

  /** Starts a client call inside the portal page; the promise settles with its result or its NCALayerError. */
  function inPortal(call: ClientCall, arg?: unknown): Promise<{ ok: true; value: unknown } | { ok: false; message: string; canceledByUser: boolean }> {
    return portal.evaluate(
      async ([source, a]) => {
        const w = window as unknown as { client: Record<string, (...x: unknown[]) => Promise<unknown>>; NCALayerClient: Record<string, unknown> };
        const fn = new Function('client', 'C', 'arg', `return (${source})(client, C, arg);`) as ClientCall;
        try {
          return { ok: true as const, value: await fn(w.client, w.NCALayerClient, a) };
        } catch (e) {
          const err = e as { message: string; canceledByUser?: boolean };
          return { ok: false as const, message: err.message, canceledByUser: Boolean(err.canceledByUser) };
        }
      },
      [call.toString(), arg] as const,
    );
  }

  const documentBase64 = Buffer.from(DOCUMENT).toString('base64');

  test('getActiveTokens: no token plugged in', async () => {
    const r = await inPortal((client) => client.getActiveTokens!());
    assert.deepEqual(r, { ok: true, value: [] });
  });

  test('basics CMS, attached: the consent page shows the site and the text; OpenSSL verifies the result', async () => {
    const result = inPortal((client, C, data) => client.basicsSignCMS!(C.basicsStoragePKCS12, data, C.basicsCMSParamsAttached, C.basicsSignerSignAny), documentBase64);
    const consent = await tabs.next();
    await assert.doesNotReject(consent.getByText(site.origin).first().waitFor());
    await assert.doesNotReject(consent.getByText('Заявление на перевыпуск ключей ЭЦП').waitFor());
    await approve(consent, { file: SIGN_KEY_FILE, secret: TEST_KEY_PASSWORD });
    assert.match(await consent.locator('p.done').innerText(), /подпись передана сайту/);
    const r = await result;
    assert.ok(r.ok, JSON.stringify(r));
    const pem = r.value as string;
    assert.match(pem, /^-----BEGIN CMS-----\n[\s\S]+\n-----END CMS-----\n$/);
    const content = await opensslCmsVerify({ cms: pem, caFile: CA, at: SIGN_KEY_TIME });
    assert.equal(content.toString('utf8'), DOCUMENT);
    // basicsCMSParamsAttached carries a tsaProfile: the signature value is time-stamped (CAdES-T).
    const editor = SignedDataEditor.open(derFrom(pem, 'CMS'));
    const [token] = editor.unsignedAttributes(0).filter((a) => a.type === oid.attrTimeStampToken).flatMap((a) => a.values);
    assert.match(await opensslTsVerify(token as Uint8Array, editor.signatureValue(0), tsa), /Verification: OK/);
  });

  test('basics CMS, detached: verifies over the original bytes and fails over others', async () => {
    const result = inPortal((client, C, data) => client.basicsSignCMS!(C.basicsStorageAll, data, C.basicsCMSParamsDetached, C.basicsSignerAny), documentBase64);
    await approve(await tabs.next(), { file: SIGN_KEY_FILE, secret: TEST_KEY_PASSWORD });
    const r = await result;
    assert.ok(r.ok, JSON.stringify(r));
    await opensslCmsVerify({ cms: r.value as string, caFile: CA, at: SIGN_KEY_TIME, content: Buffer.from(DOCUMENT) });
    await assert.rejects(opensslCmsVerify({ cms: r.value as string, caFile: CA, at: SIGN_KEY_TIME, content: Buffer.from(`${DOCUMENT}!`) }));
  });

  test('basics CMS over several documents: one confirmation, one signature each', async () => {
    const docs = ['first', 'second', 'third'].map((d) => Buffer.from(d).toString('base64'));
    const result = inPortal((client, C, data) => client.basicsSignCMS!(C.basicsStoragePKCS12, data, C.basicsCMSParamsAttached, C.basicsSignerAny), docs);
    const consent = await tabs.next();
    await assert.doesNotReject(consent.getByText('подписать 3 документа').waitFor());
    await approve(consent, { file: SIGN_KEY_FILE, secret: TEST_KEY_PASSWORD });
    const r = await result;
    assert.ok(r.ok && Array.isArray(r.value) && r.value.length === 3, JSON.stringify(r));
    const contents = await Promise.all((r.value as string[]).map((pem) => opensslCmsVerify({ cms: pem, caFile: CA, at: SIGN_KEY_TIME })));
    assert.deepEqual(contents.map((c) => c.toString()), ['first', 'second', 'third']);
  });

  test('basics XML: xmlsec1 verifies the enveloped signature', async () => {
    const xml = '<request><person iin="123456789011">Тестов Тест</person><purpose>reissue</purpose></request>';
    const result = inPortal((client, C, data) => client.basicsSignXML!(C.basicsStoragePKCS12, data, C.basicsXMLParams, C.basicsSignerSignAny), xml);
    const consent = await tabs.next();
    await assert.doesNotReject(consent.getByText('<purpose>reissue</purpose>', { exact: false }).waitFor());
    await approve(consent, { file: SIGN_KEY_FILE, secret: TEST_KEY_PASSWORD });
    const r = await result;
    assert.ok(r.ok && Array.isArray(r.value), JSON.stringify(r));
    const signed = (r.value as string[])[0] as string;
    assert.match(signed, /^<\?xml version="1\.0" encoding="UTF-8" standalone="no"\?><request>/);
    assert.match(await xmlsecVerifyAgainstIssuingCa(signed, CA, SIGN_KEY_TIME), /OK/);
  });

  test('commonUtils createCAdESFromBase64 (attached): base64 CMS that OpenSSL verifies', async () => {
    const result = inPortal((client, _C, data) => client.createCAdESFromBase64!('PKCS12', data, 'SIGNATURE', true), documentBase64);
    await approve(await tabs.next(), { file: SIGN_KEY_FILE, secret: TEST_KEY_PASSWORD });
    const r = await result;
    assert.ok(r.ok, JSON.stringify(r));
    const content = await opensslCmsVerify({ cms: fromBase64(r.value as string), caFile: CA, at: SIGN_KEY_TIME });
    assert.equal(content.toString('utf8'), DOCUMENT);
  });

  test('commonUtils signXml: NCALayer layout with CRLF, verified by xmlsec1', async () => {
    const result = inPortal((client) => client.signXml!('PKCS12', '<tag>data</tag>', 'SIGNATURE', '', ''));
    await approve(await tabs.next(), { file: SIGN_KEY_FILE, secret: TEST_KEY_PASSWORD });
    const r = await result;
    assert.ok(r.ok, JSON.stringify(r));
    const signed = r.value as string;
    assert.match(signed, /^<\?xml version="1\.0" encoding="UTF-8" standalone="no"\?><tag>data<ds:Signature xmlns:ds="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">\r\n<ds:SignedInfo>/);
    assert.match(await xmlsecVerifyAgainstIssuingCa(signed, CA, SIGN_KEY_TIME), /OK/);
  });

  test('a key file chosen with the file input (not in the key folders) signs too', async () => {
    const result = inPortal((client, _C, data) => client.createCAdESFromBase64Hash!('PKCS12', data, 'SIGNATURE'), Buffer.alloc(32, 7).toString('base64'));
    const consent = await tabs.next();
    await assert.doesNotReject(consent.getByText('Только хеш документа').waitFor());
    await approve(consent, { upload: fixturePath(...nca.validSignKey), secret: TEST_KEY_PASSWORD });
    const r = await result;
    assert.ok(r.ok, JSON.stringify(r));
  });

  test('cancel in the consent page: basics says "cancelled by user", commonUtils "action.canceled"', async () => {
    const basics = inPortal((client, C, data) => client.basicsSignCMS!(C.basicsStorageAll, data, C.basicsCMSParamsAttached, C.basicsSignerAny), documentBase64);
    await cancel(await tabs.next());
    assert.deepEqual(await basics, { ok: false, message: 'cancelled by user', canceledByUser: true });
    const common = inPortal((client) => client.getKeyInfo!('PKCS12'));
    const consent = await tabs.next();
    await unlockStorage(consent, { file: SIGN_KEY_FILE, secret: TEST_KEY_PASSWORD });
    await cancel(consent);
    assert.deepEqual(await common, { ok: false, message: '500: action.canceled', canceledByUser: false });
  });

  test('a wrong password says how many attempts remain; after the last the site gets an error and the agent keeps serving', async () => {
    const result = inPortal((client, C, data) => client.basicsSignCMS!(C.basicsStoragePKCS12, data, C.basicsCMSParamsAttached, C.basicsSignerAny), documentBase64);
    const consent = await tabs.next();
    await unlockStorage(consent, { file: SIGN_KEY_FILE, secret: 'Wrong1pass' });
    assert.match(await consent.getByRole('alert').innerText(), /Неверный пароль или PIN-код\. Осталось 2 попытки\./);
    await unlockStorage(consent, { file: SIGN_KEY_FILE, secret: 'Wrong2pass' });
    assert.match(await consent.getByRole('alert').innerText(), /Осталась 1 попытка/);
    await unlockStorage(consent, { file: SIGN_KEY_FILE, secret: 'Wrong3pass' });
    assert.match(await consent.locator('p.refused').innerText(), /слишком много раз/);
    const r = await result;
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /^GENERAL_ERROR: .*wrong too many times/);
    assert.deepEqual(await inPortal((client) => client.getActiveTokens!()), { ok: true, value: [] });
  });

  test('keys that do not fit the request are not offered; a not-yet-valid key cannot be chosen', async () => {
    const auth = inPortal((client) => client.getKeyInfo!('PKCS12'));
    let consent = await tabs.next();
    await unlockStorage(consent, { file: AUTH_KEY_FILE, secret: TEST_KEY_PASSWORD });
    await assert.doesNotReject(consent.getByText('Ещё не действует').waitFor());
    assert.equal(await consent.locator('input[name=key]').isDisabled(), true);
    await cancel(consent);
    await auth;

    const wrongIin = inPortal((client, C, data) => client.basicsSign!(C.basicsStoragePKCS12, 'cms', data, {}, { extKeyUsageOids: [], iin: '990101300001' }, 'ru'), documentBase64);
    consent = await tabs.next();
    await unlockStorage(consent, { file: SIGN_KEY_FILE, secret: TEST_KEY_PASSWORD });
    assert.match(await consent.getByRole('alert').innerText(), /нет ключа, подходящего для запроса сайта \(ИИН 990101300001\)/);
    await cancel(consent);
    assert.equal((await wrongIin).ok, false);

    const legalEntity = inPortal((client, C, data) => client.basicsSignCMS!(C.basicsStoragePKCS12, data, C.basicsCMSParamsAttached, C.basicsSignerSignOrg), documentBase64);
    consent = await tabs.next();
    await unlockStorage(consent, { file: SIGN_KEY_FILE, secret: TEST_KEY_PASSWORD });
    await assert.doesNotReject(consent.getByText('1.2.398.3.3.4.1.2').first().waitFor());
    await cancel(consent);
    await legalEntity;
  });

  test('getKeyInfo answers with NCALayer\'s fields after the user shares the certificate', async () => {
    const result = inPortal((client) => client.getKeyInfo!('PKCS12'));
    const consent = await tabs.next();
    await unlockStorage(consent, { file: SIGN_KEY_FILE, secret: TEST_KEY_PASSWORD });
    await confirmKey(consent, { button: ru.share });
    const r = await result;
    assert.ok(r.ok, JSON.stringify(r));
    const info = r.value as Record<string, string>;
    assert.equal(info.alias, 'e3fe35adda3b45cbea3a3f1ed48f263dc55c556e');
    assert.equal(info.algorithm, 'RSA');
    assert.equal(info.subjectCn, 'ТЕСТОВ ТЕСТ');
    assert.equal(info.certNotAfter, String(Date.parse('2022-01-18T13:09:14Z')));
    assert.match(info.pem as string, /^-----BEGIN CERTIFICATE-----/);
  });

  test('the password never reached the calling page, and the consent URL was never sent to it', () => {
    assert.ok(framesToSite.length > 10);
    for (const frame of framesToSite) {
      assert.ok(!frame.includes(TEST_KEY_PASSWORD), 'password in a frame to the site');
      assert.ok(!frame.includes('/consent/'), 'consent URL in a frame to the site');
    }
    assert.ok(!JSON.stringify(agent.logs).includes(TEST_KEY_PASSWORD), 'password in the agent log');
  });
});
