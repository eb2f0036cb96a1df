/**
 * Bad calls get the replies NCALayer gives them, checked against the captured exchanges: the same request
 * frame must produce the same reply (error text included where NCALayer's is deterministic).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { fixturePath } from '../../../../test/support/fixtures.ts';
import { connectRaw, type RawAgentConnection } from '../testing/agent-client.ts';
import { startTestAgent, type TestAgent } from '../testing/test-agent.ts';

interface Exchange {
  task: string;
  request: string;
  response: string;
}
const exchanges = JSON.parse(readFileSync(fixturePath('ncalayer', 'captured-exchanges.json'), 'utf8')) as Exchange[];
const SITE = 'https://portal.example.kz';

describe('bad requests get NCALayer-shaped errors and the connection keeps serving', () => {
  let agent: TestAgent;
  let c: RawAgentConnection;
  before(async () => {
    agent = await startTestAgent({ allowedOrigins: [SITE] });
    c = await connectRaw(agent.url, { Origin: SITE });
  });
  after(async () => {
    c.close();
    await agent.dispose();
  });

  // Exchanges where NCALayer rejects the argument types before showing anything.
  for (const index of [3, 4, 7, 16, 21, 26, 30]) {
    const exchange = exchanges[index] as Exchange;
    const method = (JSON.parse(exchange.request) as { method: string }).method;
    test(`commonUtils ${method} with wrong argument types answers exactly as captured exchange ${index}`, async () => {
      assert.deepEqual(await c.call(exchange.request), JSON.parse(exchange.response));
    });
  }

  test('basics.sign with signingParams that is not an object is an INVOCATION_ERROR (captured exchange 33)', async () => {
    const captured = JSON.parse((exchanges[33] as Exchange).response) as Record<string, string>;
    const ours = await c.call((exchanges[33] as Exchange).request);
    assert.equal(ours.status, false);
    assert.equal(ours.code, captured.code);
    assert.equal(ours.message, captured.message);
    // NCALayer prefixes the Java exception class; the sentence after it is the same.
    assert.ok(captured.details?.endsWith(ours.details as string), `${String(ours.details)} vs ${String(captured.details)}`);
  });

  test('signXml with a document that is not XML is refused before any window opens (captured exchange 22)', async () => {
    const reply = await c.call((exchanges[22] as Exchange).request);
    assert.equal(reply.code, '500');
    assert.match(String(reply.message), /XML/);
  });

  test('createCAdESFromBase64Hash with an empty hash is a 500 (captured exchange 12)', async () => {
    const reply = await c.call((exchanges[12] as Exchange).request);
    assert.equal(reply.code, '500');
  });

  test('malformed JSON gets a commonUtils 500 with a reason', async () => {
    const reply = await c.call('{"module": "kz.gov.pki.knca.commonUtils", "method": ');
    assert.equal(reply.code, '500');
    assert.match(String(reply.message), /not valid JSON/);
  });

  test('a frame without module or method gets a 500', async () => {
    assert.equal((await c.call({ method: 'getActiveTokens' })).code, '500');
    assert.equal((await c.call({ module: 'kz.gov.pki.knca.commonUtils' })).code, '500');
    assert.equal((await c.call([1, 2, 3])).code, '500');
    assert.equal((await c.call('null')).code, '500');
  });

  test('an unknown module is refused the way NCALayer refuses it (and as ncalayer-js-client probes for KAZTOKEN)', async () => {
    const reply = await c.call((exchanges[0] as Exchange).request); // kz.digiflow.mobile.extensions.getVersion
    assert.equal(reply.code, '500');
    assert.equal(reply.errorCode, 'MODULE_NOT_FOUND');
    assert.equal(reply.success, false);
  });

  test('an unknown method of a known module answers in that module family', async () => {
    const common = await c.call({ module: 'kz.gov.pki.knca.commonUtils', method: 'constructor', args: [] });
    assert.equal(common.code, '500');
    assert.match(String(common.message), /Method not found/);
    const basics = await c.call({ module: 'kz.gov.pki.knca.basics', method: '__proto__', args: {} });
    assert.equal(basics.status, false);
    assert.equal(basics.code, 'GENERAL_ERROR');
  });

  test('basics.sign with a bad format, no data or wrong data types is refused', async () => {
    const base = { allowedStorages: null, format: 'cms', data: 'MTEK', signingParams: {}, signerParams: { extKeyUsageOids: [] }, locale: 'ru' };
    const call = (args: unknown) => c.call({ module: 'kz.gov.pki.knca.basics', method: 'sign', args });
    const badFormat = await call({ ...base, format: 'pdf' });
    assert.deepEqual([badFormat.status, badFormat.code], [false, 'INVALID_SIGNING_PARAMS']);
    const noData = await call({ ...base, data: [] });
    assert.deepEqual([noData.status, noData.code], [false, 'INVALID_SIGNING_PARAMS']);
    const numbers = await call({ ...base, data: [1, 2] });
    assert.deepEqual([numbers.status, numbers.code], [false, 'INVOCATION_ERROR']);
    const notBase64 = await call({ ...base, data: 'это не base64', signingParams: { decode: true } });
    assert.deepEqual([notBase64.status, notBase64.code], [false, 'INVALID_SIGNING_PARAMS']);
    const badEku = await call({ ...base, signerParams: { extKeyUsageOids: '1.3.6.1.5.5.7.3.4' } });
    assert.deepEqual([badEku.status, badEku.code], [false, 'INVOCATION_ERROR']);
    const notArgs = await call('sign me');
    assert.deepEqual([notArgs.status, notArgs.code], [false, 'INVOCATION_ERROR']);
    const shortHash = await call({ ...base, signingParams: { digested: true } });
    assert.deepEqual([shortHash.status, shortHash.code], [false, 'INVALID_SIGNING_PARAMS']);
  });

  test('a binary frame gets a 500 and the next request is still answered', async () => {
    assert.equal((await c.call(Buffer.from([1, 2, 3]))).code, '500');
    assert.deepEqual(await c.call({ module: 'kz.gov.pki.knca.commonUtils', method: 'getActiveTokens' }), { code: '200', responseObject: [] });
  });

  test('a 10 MB frame of garbage gets a 500 and the connection keeps serving', async () => {
    const reply = await c.call('x'.repeat(10 * 1024 * 1024));
    assert.equal(reply.code, '500');
    assert.deepEqual(await c.call({ module: 'kz.gov.pki.knca.commonUtils', method: 'getActiveTokens' }), { code: '200', responseObject: [] });
  });

  test('no request logged anything but module, method, origin and outcome', () => {
    const allowed = new Set(['code', 'event', 'method', 'module', 'ms', 'origin', 'outcome']);
    const requests = agent.logs.filter((e) => e.event === 'request');
    assert.ok(requests.length > 10);
    for (const entry of requests) for (const key of Object.keys(entry)) assert.ok(allowed.has(key), key);
    assert.ok(!JSON.stringify(agent.logs).includes('MTEK'));
  });
});
