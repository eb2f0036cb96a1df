import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectRaw } from '../testing/agent-client.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';

const SITE = 'https://portal.example.kz';

describe('a WebSocket connection to the agent', () => {
  let agent: TestAgent;
  before(async () => {
    agent = await startTestAgent({ allowedOrigins: [SITE] });
  });
  after(() => agent.dispose());

  test('is greeted with the init message NCALayer sends on connect', async () => {
    const c = await connectRaw(agent.url, { Origin: SITE });
    assert.deepEqual(JSON.parse(c.greeting), { result: { version: '1.4' } });
    c.close();
  });

  test('gets --heartbeat-- echoed back verbatim', async () => {
    const c = await connectRaw(agent.url, { Origin: SITE });
    assert.equal(await c.send('--heartbeat--'), '--heartbeat--');
    c.close();
  });

  test('gets exactly one reply per request, in order, even when requests are pipelined', async () => {
    const c = await connectRaw(agent.url, { Origin: SITE });
    const replies: string[] = [];
    c.socket.on('message', (d) => replies.push(d.toString()));
    c.socket.send(JSON.stringify({ module: 'kz.gov.pki.knca.commonUtils', method: 'changeLocale', args: ['kk'] }));
    c.socket.send('{not json');
    c.socket.send(JSON.stringify({ module: 'kz.gov.pki.knca.commonUtils', method: 'getActiveTokens' }));
    c.socket.send(JSON.stringify({ module: 'nope', method: 'x' }));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(replies.length, 4);
    assert.deepEqual(JSON.parse(replies[0] as string), { code: '200' });
    assert.equal(JSON.parse(replies[1] as string).code, '500');
    assert.deepEqual(JSON.parse(replies[2] as string), { code: '200', responseObject: [] });
    assert.equal(JSON.parse(replies[3] as string).errorCode, 'MODULE_NOT_FOUND');
    c.close();
  });

  test('getActiveTokens reports no storages when no token is plugged in (captured exchange 1)', async () => {
    const c = await connectRaw(agent.url, { Origin: SITE });
    assert.deepEqual(await c.call({ module: 'kz.gov.pki.knca.commonUtils', method: 'getActiveTokens' }), { code: '200', responseObject: [] });
    c.close();
  });

  test('changeLocale accepts NCALayer locale ids, including "kz" (captured exchanges 31, 32)', async () => {
    const c = await connectRaw(agent.url, { Origin: SITE });
    for (const id of ['en', 'kz', 'ru', 'xx']) {
      assert.deepEqual(await c.call({ module: 'kz.gov.pki.knca.commonUtils', method: 'changeLocale', args: [id] }), { code: '200' });
    }
    c.close();
  });
});
