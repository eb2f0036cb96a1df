import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { assertCatalogComplete } from '@qoltanba/i18n/testing';
import { agentMessages } from '../ui/messages.ts';
import { connectRaw, type RawAgentConnection } from '../testing/agent-client.ts';
import { formBody, httpRequest } from '../testing/http.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';

const SITE = 'https://portal.example.kz';
const SIGN = (locale: string) => ({
  module: 'kz.gov.pki.knca.basics',
  method: 'sign',
  args: { allowedStorages: ['PKCS12'], format: 'cms', data: Buffer.from('<b>Договор</b> №1').toString('base64'), signingParams: {}, signerParams: { extKeyUsageOids: [] }, locale },
});

describe('the consent page', () => {
  let agent: TestAgent;
  const opened: string[] = [];
  const connections: RawAgentConnection[] = [];
  before(async () => {
    agent = await startTestAgent({ allowedOrigins: [SITE], openConsent: (url) => void opened.push(url), consentTimeoutMs: 2000 });
  });
  after(() => agent.dispose());
  afterEach(() => connections.splice(0).forEach((c) => c.close()));

  async function ask(frame: unknown): Promise<{ url: string; reply: Promise<Record<string, unknown>>; connection: RawAgentConnection }> {
    const connection = await connectRaw(agent.url, { Origin: SITE });
    connections.push(connection);
    const before = opened.length;
    const reply = connection.call(frame);
    while (opened.length === before) await new Promise((r) => setTimeout(r, 10));
    return { url: opened[opened.length - 1] as string, reply, connection };
  }

  const own = () => `http://127.0.0.1:${agent.port}`;
  const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] as string;

  test('has every text in kk, ru and en with the same placeholders', () => {
    assertCatalogComplete(agentMessages);
  });

  test('is served only from the agent, at an unguessable one-time URL never sent to the site', async () => {
    const { url, connection } = await ask(SIGN('ru'));
    assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${agent.port}/consent/[A-Za-z0-9_-]{43}$`));
    const page = await httpRequest(url);
    assert.equal(page.status, 200);
    assert.match(page.body, /Сайт https:\/\/portal\.example\.kz просит подписать 1 документ/);
    // The site's text is shown as text, never as markup.
    assert.match(page.body, /&lt;b&gt;Договор&lt;\/b&gt; №1/);
    assert.doesNotMatch(page.body, /<script/i);
    assert.equal((await httpRequest(url, { headers: { Host: `evil.example:${agent.port}` } })).status, 421);
    connection.close();
  });

  test('speaks the language the site asked for (basics locale, changeLocale "kz") and can be switched', async () => {
    const kk = await ask(SIGN('kz'));
    assert.match((await httpRequest(kk.url)).body, /https:\/\/portal\.example\.kz сайты 1 құжатқа қол қоюды сұрайды/);
    assert.match((await httpRequest(`${kk.url}?lang=en`)).body, /The site https:\/\/portal\.example\.kz asks you to sign 1 document/);
    kk.connection.close();
    const connection = await connectRaw(agent.url, { Origin: SITE });
    connections.push(connection);
    await connection.call({ module: 'kz.gov.pki.knca.commonUtils', method: 'changeLocale', args: ['en'] });
    const before = opened.length;
    void connection.call({ module: 'kz.gov.pki.knca.commonUtils', method: 'getKeyInfo', args: ['PKCS12'] });
    while (opened.length === before) await new Promise((r) => setTimeout(r, 10));
    assert.match((await httpRequest(opened[opened.length - 1] as string)).body, /asks to see the certificate of your key/);
  });

  test('refuses forms posted from another origin, cross-site, or without the right CSRF token', async () => {
    const { url, reply } = await ask(SIGN('ru'));
    const csrf = csrfOf((await httpRequest(url)).body);
    const cancel = (headers: Record<string, string>, token = csrf) => {
      const form = formBody({ csrf: token, action: 'cancel' });
      return httpRequest(url, { method: 'POST', body: form.body, headers: { ...form.headers, ...headers } });
    };
    assert.equal((await cancel({ Origin: 'https://evil.example' })).status, 403);
    assert.equal((await cancel({})).status, 403);
    assert.equal((await cancel({ Origin: 'null' })).status, 403);
    assert.equal((await cancel({ Origin: own(), 'Sec-Fetch-Site': 'cross-site' })).status, 403);
    assert.equal((await cancel({ Origin: own() }, 'x'.repeat(43))).status, 403);
    // The request is still waiting: none of those reached it.
    assert.match((await httpRequest(url)).body, /<form/);
    const ok = await cancel({ Origin: own(), 'Sec-Fetch-Site': 'same-origin' });
    assert.equal(ok.status, 303);
    assert.deepEqual(await reply, { status: true, body: {} });
    assert.match((await httpRequest(url)).body, /Операция отменена/);
  });

  test('a request nobody answers expires with an error, and the page says so', async () => {
    const { url, reply } = await ask(SIGN('ru'));
    const r = await reply;
    assert.deepEqual([r.status, r.code, r.details], [false, 'GENERAL_ERROR', 'QT_ERR_AGENT_CONSENT_EXPIRED']);
    assert.match((await httpRequest(url)).body, /Время ожидания истекло/);
  });

  test('closing the site withdraws the request and its page', async () => {
    const { url, connection } = await ask(SIGN('ru'));
    connection.close();
    await connection.closed;
    await new Promise((r) => setTimeout(r, 50));
    assert.match((await httpRequest(url)).body, /Сайт закрыл соединение/);
  });

  test('an opener that cannot open the page gets the site a clear error', async () => {
    const broken = await startTestAgent({ allowedOrigins: [SITE] }); // its opener throws
    try {
      const c = await connectRaw(broken.url, { Origin: SITE });
      const r = await c.call(SIGN('ru'));
      assert.deepEqual([r.status, r.details], [false, 'QT_ERR_AGENT_CONSENT_UNAVAILABLE']);
      c.close();
    } finally {
      await broken.dispose();
    }
  });
});
