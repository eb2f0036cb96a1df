import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { connectRaw } from '../testing/agent-client.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';

const SITE = 'https://portal.example.kz';
const GET_TOKENS = { module: 'kz.gov.pki.knca.commonUtils', method: 'getActiveTokens' };

function httpGet(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', () => {});
  });
}

describe('the agent only serves allowed sites on its own host names', () => {
  let agent: TestAgent;
  before(async () => {
    agent = await startTestAgent({ allowedOrigins: [SITE], maxMessageBytes: 1024 * 1024, maxConnections: 4 });
  });
  after(() => agent.dispose());

  test('listens on 127.0.0.1 only', () => {
    assert.match(agent.url, /^ws:\/\/127\.0\.0\.1:\d+$/);
  });

  test('a client without a web origin (a program, a file:// page, a sandboxed frame) gets a clear NCALayer-shaped refusal, then 1008', async () => {
    for (const headers of [{}, { Origin: 'null' }, { Origin: 'file://' }, { Origin: 'chrome-extension://abc' }] as Record<string, string>[]) {
      const c = await connectRaw(agent.url, headers);
      const refusal = JSON.parse(c.greeting) as Record<string, string>;
      assert.equal(refusal.code, '500');
      assert.match(refusal.message as string, /has no web address/);
      assert.equal((await c.closed).code, 1008);
    }
    assert.ok(agent.logs.some((e) => e.event === 'refused' && e.reason === 'origin'));
  });

  test('any web site gets the same greeting, allowed or not (whether it may use the keys is asked per site)', async () => {
    for (const origin of [SITE, 'https://evil.example', 'https://portal.example.kz.evil.example', 'http://portal.example.kz']) {
      const c = await connectRaw(agent.url, { Origin: origin });
      assert.deepEqual(JSON.parse(c.greeting), { result: { version: '1.4' } });
      c.close();
    }
  });

  test('an allowed origin is matched whatever the case of its host', async () => {
    const c = await connectRaw(agent.url, { Origin: 'https://PORTAL.example.kz' });
    assert.deepEqual(JSON.parse(c.greeting), { result: { version: '1.4' } });
    c.close();
  });

  test('a WebSocket whose Host is another name (DNS rebinding) is refused before the handshake', async () => {
    assert.equal(await upgradeStatus(agent.url, { Origin: SITE, Host: `rebind.example:${agent.port}` }), 403);
    assert.equal(await upgradeStatus(agent.url, { Origin: SITE, Host: `localhost:${agent.port}` }), 101);
  });

  test('HTTP requests with a foreign Host are refused; pages carry anti-framing and no-store headers', async () => {
    const foreign = await httpGet(agent.port, '/consent/assets/consent.css', { Host: `rebind.example:${agent.port}` });
    assert.equal(foreign.status, 421);
    const own = await httpGet(agent.port, '/consent/assets/consent.css', { Host: `127.0.0.1:${agent.port}` });
    assert.equal(own.status, 200);
    assert.equal(own.headers['x-frame-options'], 'DENY');
    assert.match(String(own.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.match(String(own.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(own.headers['cache-control'], 'no-store');
  });

  test('an unknown consent id shows a plain "not found" page and reveals nothing', async () => {
    const res = await httpGet(agent.port, `/consent/${'A'.repeat(43)}`, { Host: `127.0.0.1:${agent.port}` });
    assert.equal(res.status, 404);
    assert.doesNotMatch(res.body, /<form/);
  });

  test('a frame above maxMessageBytes closes that connection with 1009; the agent keeps serving new ones', async () => {
    const c = await connectRaw(agent.url, { Origin: SITE });
    c.socket.send('x'.repeat(2 * 1024 * 1024));
    assert.equal((await c.closed).code, 1009);
    const d = await connectRaw(agent.url, { Origin: SITE });
    assert.deepEqual(await d.call(GET_TOKENS), { code: '200', responseObject: [] });
    d.close();
  });

  test('connections beyond maxConnections are refused with 503 and accepted again once others close', async () => {
    const open = await Promise.all([1, 2, 3, 4].map(() => connectRaw(agent.url, { Origin: SITE })));
    assert.equal(await upgradeStatus(agent.url, { Origin: SITE }), 503);
    open.forEach((c) => c.close());
    await Promise.all(open.map((c) => c.closed));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await upgradeStatus(agent.url, { Origin: SITE }), 101);
  });
});
