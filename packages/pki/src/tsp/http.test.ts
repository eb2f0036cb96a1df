/**
 * The RFC 3161 HTTP transport the agent and the CLI share: a real stamp from an outside TSA (openssl ts behind
 * HTTP), and each way a TSA or what stands in its place can fail — each a precise error, none a hang and none
 * an unbounded read.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { isQtError } from '@qoltanba/errors';
import { utf8 } from '../encoding.ts';
import { makeHierarchy } from '../path/testing/ca.ts';
import { startOpensslTsa, makeTsaCertificate, type OpensslTsa } from './testing/openssl-tsa.ts';
import { httpTsaTransport } from './http.ts';
import { obtainTimeStamp } from './index.ts';

let tsa: OpensslTsa;

before(async () => {
  const { root, ca } = await makeHierarchy();
  tsa = await startOpensslTsa(await makeTsaCertificate(ca, { notBefore: new Date(Date.now() - 86_400_000) }), [ca, root]);
});
after(() => tsa?.close());

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsp`, server };
}

const refusedWith = (code: string, message: RegExp) => (e: unknown) => isQtError(e) && e.code === code && message.test(e.message);

test('a query to a real TSA comes back as a token that answers it', async () => {
  const { info } = await obtainTimeStamp(httpTsaTransport(tsa.url), { data: utf8('stamp me'), hash: 'SHA-256' });
  assert.ok(info.genTime.getTime() > Date.now() - 60_000);
});

test('an address that is not http(s) is refused before anything is sent', () => {
  assert.throws(() => httpTsaTransport('file:///etc/passwd'), refusedWith('QT_ERR_INPUT_INVALID', /http\(s\) URL/));
});

test('a TSA that cannot be reached is QT_ERR_TSA_UNAVAILABLE naming the address and the cause', async () => {
  const { url, server } = await serve(() => undefined);
  server.close();
  await once(server, 'close');
  await assert.rejects(httpTsaTransport(url)(utf8('q')), refusedWith('QT_ERR_TSA_UNAVAILABLE', /cannot be reached \(ECONNREFUSED\)/));
});

test('an HTTP error status is QT_ERR_TSA_UNAVAILABLE with the status', async () => {
  const { url, server } = await serve((_req, res) => res.writeHead(503).end());
  try {
    await assert.rejects(httpTsaTransport(url)(utf8('q')), refusedWith('QT_ERR_TSA_UNAVAILABLE', /answered HTTP 503/));
  } finally {
    server.close();
  }
});

test('a redirect is not followed: the query goes only where it was configured to go', async () => {
  let redirected = 0;
  const target = await serve((_req, res) => {
    redirected++;
    res.end();
  });
  const { url, server } = await serve((_req, res) => res.writeHead(307, { location: target.url }).end());
  try {
    await assert.rejects(httpTsaTransport(url)(utf8('q')), refusedWith('QT_ERR_TSA_UNAVAILABLE', /cannot be reached/));
    assert.equal(redirected, 0);
  } finally {
    server.close();
    target.server.close();
  }
});

test('a TSA that never answers is cut off at the timeout', async () => {
  const { url, server } = await serve(() => undefined);
  try {
    await assert.rejects(httpTsaTransport(url, { timeoutMs: 200 })(utf8('q')), refusedWith('QT_ERR_TSA_UNAVAILABLE', /cannot be reached/));
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('a declared reply over 1 MiB is refused without reading it', async () => {
  const { url, server } = await serve((_req, res) => {
    res.writeHead(200, { 'content-length': String(64 << 20) });
    res.write(Buffer.alloc(1024));
  });
  try {
    await assert.rejects(httpTsaTransport(url)(utf8('q')), refusedWith('QT_ERR_TSP_MALFORMED', /sent 67108864 bytes, not a time-stamp reply/));
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('an endless chunked reply is cut off as soon as it passes 1 MiB', async () => {
  let written = 0;
  const { url, server } = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/timestamp-reply' });
    const more = () => {
      while (written < 64 << 20) {
        written += 64 << 10;
        if (!res.write(Buffer.alloc(64 << 10))) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  });
  try {
    await assert.rejects(httpTsaTransport(url)(utf8('q')), refusedWith('QT_ERR_TSP_MALFORMED', /not a time-stamp reply/));
    // The server stopped well short of its 64 MiB: the client cancelled the read rather than swallowing it.
    assert.ok(written < 16 << 20, `${written} bytes written before the client gave up`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
