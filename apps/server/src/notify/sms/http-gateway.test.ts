import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { isQtError, type QtError } from '@qoltanba/pki';
import { HttpSmsGateway } from './http-gateway.ts';

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A real HTTP server standing in for the aggregator; `reply` decides each answer. */
let server: Server;
let url: string;
let received: Received[] = [];
let reply: (body: unknown) => { status: number; body?: string; hang?: boolean } = () => ({ status: 200, body: '{}' });

before(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const body: unknown = JSON.parse(raw);
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      const r = reply(body);
      if (r.hang) return;
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/sms`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
});

async function failure(p: Promise<unknown>): Promise<QtError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isQtError(e));
    return e;
  }
  return assert.fail('expected a failure');
}

describe('HTTP SMS gateway adapter against a real HTTP server', () => {
  test('POSTs JSON with the bearer token and the normalised number; 2xx returns the ids from the body', async () => {
    reply = () => ({ status: 202, body: JSON.stringify({ messageId: 'gw-42' }) });
    const gw = new HttpSmsGateway({ type: 'http', url, token: 't0ken' });
    const r = await gw.send({ to: '8 701 123 45 67', text: 'Код: 123456. Никому не сообщайте.', reference: 'otp-7', validForMinutes: 5 });
    assert.deepEqual(r, { messageIds: ['gw-42'], parts: 1, to: '+77011234567' });
    const req = received[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/v1/sms');
    assert.equal(req.headers.authorization, 'Bearer t0ken');
    assert.equal(req.headers['idempotency-key'], 'otp-7');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.body, { to: '+77011234567', text: 'Код: 123456. Никому не сообщайте.', reference: 'otp-7', validForMinutes: 5 });
    reply = () => ({ status: 200, body: JSON.stringify({ messageIds: ['a', 'b'] }) });
    assert.deepEqual((await gw.send({ to: '+77011234567', text: 'ә'.repeat(100) })).messageIds, ['a', 'b']);
  });

  test('4xx is permanent, 5xx and 429 are transient, 401 is a credentials error; the status is carried', async () => {
    const gw = new HttpSmsGateway({ type: 'http', url, token: 't' });
    const cases: [number, string, boolean][] = [
      [400, 'QT_ERR_SMS_REJECTED', true],
      [422, 'QT_ERR_SMS_REJECTED', true],
      [429, 'QT_ERR_SMS_UNAVAILABLE', false],
      [500, 'QT_ERR_SMS_UNAVAILABLE', false],
      [503, 'QT_ERR_SMS_UNAVAILABLE', false],
      [401, 'QT_ERR_SMS_BIND_FAILED', false],
    ];
    for (const [status, code, permanent] of cases) {
      reply = () => ({ status, body: JSON.stringify({ error: 'no', echo: 'Код: 123456' }) });
      const e = await failure(gw.send({ to: '+77011234567', text: 'Код: 123456', secrets: ['123456'] }));
      assert.equal(e.code, code, `HTTP ${status}`);
      assert.equal(e.details?.permanent, permanent, `HTTP ${status}`);
      assert.equal(e.details?.responseCode, status);
      assert.doesNotMatch(String(e.details?.gatewayMessage), /123456/, 'a code echoed by the gateway is masked');
    }
  });

  test('a gateway that does not answer in time, or is not there, is a transient failure', async () => {
    reply = () => ({ status: 200, hang: true });
    const slow = new HttpSmsGateway({ type: 'http', url, token: 't', timeoutMs: 200 });
    const e = await failure(slow.send({ to: '+77011234567', text: 'x' }));
    assert.equal(e.code, 'QT_ERR_SMS_UNAVAILABLE');
    assert.equal(e.details?.permanent, false);
    assert.match(e.message, /200 ms/);
    const nowhere = new HttpSmsGateway({ type: 'http', url: 'http://127.0.0.1:1/sms', token: 't' });
    const e2 = await failure(nowhere.send({ to: '+77011234567', text: 'x' }));
    assert.equal(e2.code, 'QT_ERR_SMS_UNAVAILABLE');
    assert.equal(e2.details?.permanent, false);
  });

  test('an invalid number never reaches the gateway', async () => {
    const gw = new HttpSmsGateway({ type: 'http', url, token: 't' });
    assert.equal((await failure(gw.send({ to: '12345', text: 'x' }))).code, 'QT_ERR_PHONE_INVALID');
    assert.equal(received.length, 0);
  });
});
