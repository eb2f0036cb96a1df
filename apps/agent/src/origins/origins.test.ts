/**
 * Sites the agent has never seen: their first request opens the agent's own page, which asks the person
 * (allow once / always / refuse) and shows the full origin; the answer is remembered; nothing is signed for a
 * site the person has not allowed; and no page learns anything about other sites.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fixturePath, nca, TEST_KEY_PASSWORD } from '../../../../test/support/fixtures.ts';
import { connectRaw, type RawAgentConnection } from '../testing/agent-client.ts';
import { ConsentAtHttp } from '../testing/consent-http.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';
import { opensslCmsVerify } from '../testing/verifiers.ts';
import { SiteDecisionStore } from './store.ts';

const CONFIGURED = 'https://portal.example.kz';
const NEW_SITE = 'https://egov.example.kz:8443';
const SIGN_KEY_FILE = 'KEY_INDIVIDUAL_VALID_SIGN_2004.p12';
const KEY_TIME = new Date('2021-12-01T00:00:00Z');
const TOKENS = { module: 'kz.gov.pki.knca.commonUtils', method: 'getActiveTokens' };
const CMS = (data: string) => ({ module: 'kz.gov.pki.knca.commonUtils', method: 'createCAdESFromBase64', args: ['PKCS12', 'SIGNATURE', Buffer.from(data).toString('base64'), true] });
const BASICS = (data: string) => ({
  module: 'kz.gov.pki.knca.basics',
  method: 'sign',
  args: { allowedStorages: ['PKCS12'], format: 'cms', data: Buffer.from(data).toString('base64'), signingParams: {}, signerParams: { extKeyUsageOids: [] }, locale: 'ru' },
});

describe('a site the agent has never seen', () => {
  let agent: TestAgent;
  let keyDir: string;
  const opened: string[] = [];
  const connections: RawAgentConnection[] = [];

  before(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'qt-origins-keys-'));
    await copyFile(fixturePath(...nca.validSignKey), join(keyDir, SIGN_KEY_FILE));
    agent = await startTestAgent({ allowedOrigins: [CONFIGURED], keyDirs: [keyDir], openConsent: (url) => void opened.push(url), now: () => KEY_TIME });
  });
  after(async () => {
    await agent.dispose();
    await rm(keyDir, { recursive: true, force: true });
  });
  afterEach(() => connections.splice(0).forEach((c) => c.close()));

  const store = () => SiteDecisionStore.inDataDir(agent.dataDir);
  async function connect(origin: string): Promise<RawAgentConnection> {
    const c = await connectRaw(agent.url, { Origin: origin });
    connections.push(c);
    return c;
  }
  /** Sends a request and waits for the consent page it opens. */
  async function asking(c: RawAgentConnection, frame: unknown): Promise<{ reply: Promise<Record<string, unknown>>; page: ConsentAtHttp }> {
    const before = opened.length;
    const reply = c.call(frame);
    const deadline = Date.now() + 15_000;
    while (opened.length === before) {
      if (Date.now() > deadline) throw new Error(`no consent page opened; the reply was ${JSON.stringify(await Promise.race([reply, 'none yet']))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return { reply, page: new ConsentAtHttp(opened[opened.length - 1] as string) };
  }

  test('is asked about in the agent\'s page, with its full origin; "allow once" lasts while that page stays connected', async () => {
    const c = await connect(NEW_SITE);
    assert.deepEqual(JSON.parse(c.greeting), { result: { version: '1.4' } });
    // Changing the language reveals and does nothing: answered without asking.
    assert.deepEqual(await c.call({ module: 'kz.gov.pki.knca.commonUtils', method: 'changeLocale', args: ['ru'] }), { code: '200' });
    const { reply, page } = await asking(c, TOKENS);
    const html = (await page.page()).body;
    assert.match(html, /Сайт https:\/\/egov\.example\.kz:8443 хочет пользоваться агентом ЭЦП/);
    assert.match(html, /<p class="origin"><code>https:\/\/egov\.example\.kz:8443<\/code><\/p>/);
    assert.match(html, /Разрешить один раз[\s\S]*Разрешать всегда[\s\S]*Запретить/);
    assert.match(await page.post('site-once'), /Сайту https:\/\/egov\.example\.kz:8443 разрешено/);
    assert.deepEqual(await reply, { code: '200', responseObject: [] });
    const count = opened.length;
    assert.deepEqual(await c.call(TOKENS), { code: '200', responseObject: [] });
    assert.equal(opened.length, count, 'asked again on the same connection');
    assert.equal(store().get(NEW_SITE), undefined, '"once" must not be remembered');

    const again = await connect(NEW_SITE);
    const second = await asking(again, TOKENS);
    await second.page.post('site-refuse');
    const refused = await second.reply;
    assert.equal(refused.code, '500');
    // The refusal is remembered; revoking it (as `qoltanba agent origins revoke` does) makes the site new again.
    assert.equal(store().get(NEW_SITE)?.decision, 'refused');
    assert.ok(store().forget(NEW_SITE));
  });

  test('a sign request from a new site asks about the site first, then the key, in one window; the CMS verifies', async () => {
    const c = await connect(NEW_SITE);
    const { reply, page } = await asking(c, CMS('Өтінім'));
    const first = (await page.page()).body;
    assert.match(first, /просит подписать 1 документ/);
    assert.match(first, /Этот сайт обращается к агенту впервые/);
    assert.doesNotMatch(first, /name="secret"/, 'the key must not be offered before the site is allowed');
    const next = await page.post('site-always');
    assert.match(next, /name="secret"/);
    assert.doesNotMatch(next, /Этот сайт обращается к агенту впервые/);
    assert.match(await page.unlockAndConfirm(SIGN_KEY_FILE, TEST_KEY_PASSWORD), /подпись передана сайту https:\/\/egov\.example\.kz:8443/);
    const r = await reply;
    assert.equal(r.code, '200');
    const content = await opensslCmsVerify({ cms: Buffer.from(r.responseObject as string, 'base64'), caFile: fixturePath(...nca.rsaCa), at: KEY_TIME });
    assert.equal(content.toString(), 'Өтінім');

    const remembered = store().get(NEW_SITE);
    assert.equal(remembered?.decision, 'always');
    const file = join(agent.dataDir, 'origins.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    // "Always": another page of the same site is not asked about the site again (the signature still is).
    const other = await connect(NEW_SITE);
    assert.deepEqual(await other.call(TOKENS), { code: '200', responseObject: [] });
    const signing = await asking(other, CMS('second'));
    assert.doesNotMatch((await signing.page.page()).body, /обращается к агенту впервые/);
    await signing.page.post('cancel');
    assert.deepEqual(await signing.reply, { code: '500', message: 'action.canceled' });
    assert.ok(store().forget(NEW_SITE));
  });

  test('a refused site gets NCALayer\'s error shape at once, in each family; nothing is signed and no window opens again', async () => {
    const logged = agent.logs.length;
    const c = await connect(NEW_SITE);
    const { reply, page } = await asking(c, BASICS('договор'));
    assert.match(await page.post('site-refuse'), /запрещено пользоваться агентом; ничего не подписано/);
    const basics = await reply;
    assert.deepEqual(basics, { status: false, code: 'GENERAL_ERROR', message: 'This web site is not allowed to use the signing agent', details: 'QT_ERR_AGENT_ORIGIN_REFUSED' });
    const count = opened.length;
    assert.deepEqual(await c.call(BASICS('договор')), basics);
    assert.deepEqual(await c.call(CMS('договор')), { code: '500', message: 'This web site is not allowed to use the signing agent' });
    assert.deepEqual(await c.call(TOKENS), { code: '500', message: 'This web site is not allowed to use the signing agent' });
    const fresh = await connect(NEW_SITE);
    assert.deepEqual(await fresh.call({ module: 'kz.qoltanba.keys', method: 'generateKeys', args: {} }), { ...basics });
    assert.equal(opened.length, count, 'a refused site must not open windows');
    const outcomes = agent.logs.slice(logged).flatMap((e) => (e.event === 'request' ? [`${e.method}:${e.outcome}:${e.code}`] : []));
    assert.deepEqual(outcomes, [
      'sign:error:QT_ERR_AGENT_ORIGIN_REFUSED',
      'sign:error:QT_ERR_AGENT_ORIGIN_REFUSED',
      'createCAdESFromBase64:error:QT_ERR_AGENT_ORIGIN_REFUSED',
      'getActiveTokens:error:QT_ERR_AGENT_ORIGIN_REFUSED',
      'generateKeys:error:QT_ERR_AGENT_ORIGIN_REFUSED',
    ]);
    assert.ok(store().forget(NEW_SITE));
  });

  test('a page never learns which sites are allowed: the same greeting and the same question whatever other sites were told', async () => {
    store().remember('https://bank.example.kz', 'always');
    store().remember('https://phish.example.kz', 'refused');
    const frames: string[] = [];
    const c = await connect(NEW_SITE);
    c.socket.on('message', (d) => frames.push(String(d)));
    frames.push(c.greeting);
    const { reply, page } = await asking(c, TOKENS);
    const html = (await page.page()).body;
    assert.doesNotMatch(html, /bank\.example|phish\.example|portal\.example/);
    await page.post('site-once');
    await reply;
    for (const f of frames) assert.doesNotMatch(f, /bank\.example|phish\.example|portal\.example|origins/);
    // The list lives only in the data folder: no page of the agent serves it.
    for (const path of ['/origins', '/origins.json', '/consent/origins']) {
      const res = await new ConsentAtHttp(`http://127.0.0.1:${agent.port}${path}`).page();
      assert.equal(res.status, 404);
    }
    const saved = JSON.parse(await readFile(join(agent.dataDir, 'origins.json'), 'utf8')) as { sites: { origin: string }[] };
    assert.deepEqual(saved.sites.map((s) => s.origin), ['https://bank.example.kz', 'https://phish.example.kz']);
  });

  test('a new site gets one window at a time: a second request while the question is open is refused as busy', async () => {
    const site = 'https://flood.example.kz';
    const first = await connect(site);
    const { reply, page } = await asking(first, TOKENS);
    const count = opened.length;
    const second = await connect(site);
    assert.deepEqual(await second.call(TOKENS), { code: '500', message: 'The person is already being asked about this site' });
    const basics = await second.call(BASICS('x'));
    assert.deepEqual([basics.status, basics.code, basics.details], [false, 'GENERAL_ERROR', 'QT_ERR_AGENT_BUSY']);
    assert.equal(opened.length, count);
    await page.post('site-once');
    assert.deepEqual(await reply, { code: '200', responseObject: [] });
  });

  test('a configured site (--allow-origin) is not asked about', async () => {
    const c = await connect(CONFIGURED);
    const count = opened.length;
    assert.deepEqual(await c.call(TOKENS), { code: '200', responseObject: [] });
    assert.equal(opened.length, count);
  });
});
