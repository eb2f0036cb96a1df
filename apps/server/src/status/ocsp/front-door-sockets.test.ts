/**
 * The OCSP front door (http.ts on plain node:http) on real sockets, the way clients and proxies actually send
 * bytes: a POST whose head and body arrive in separate packets or a byte at a time, a chunked body, several
 * requests pipelined in one write. Every request is answered, in order, on the same connection — a POST is
 * answered when its declared body has arrived (its `data` event), never left waiting for an `end` that the
 * connection's next request would have to unblock.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { buildOcspRequest, parseOcspResponse } from '@qoltanba/pki';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { createTestPki, type TestCertificate, type TestPki } from '../testing/pki.ts';
import { startStatusServer, type StatusHarness } from '../testing/server.ts';
import { RawConnection as Connection, type RawResponse } from '../testing/raw-http.ts';

describeEachBackend('OCSP front door on real sockets: split, dribbled, chunked and pipelined requests', (ctx) => {
  let pki: TestPki;
  let server: StatusHarness;
  let leaf: TestCertificate;
  let request: Buffer;
  let getPath: string;
  let logged: StatusHarness | undefined;

  test('the status service starts on a test PKI', async () => {
    pki = await createTestPki(ctx.store);
    server = await startStatusServer(ctx.store, pki);
    leaf = await pki.issueLeaf();
    request = Buffer.from(await buildOcspRequest(leaf.pem, pki.ca.pem));
    getPath = `/ocsp/${encodeURIComponent(request.toString('base64'))}`;
  });
  after(async () => {
    await server?.close();
    await logged?.close();
    await pki?.close();
  });

  const postHead = (length: number) => `POST /ocsp HTTP/1.1\r\nHost: ocsp.test\r\nContent-Type: application/ocsp-request\r\nContent-Length: ${length}\r\n\r\n`;
  const get = (extra = '') => `GET ${getPath} HTTP/1.1\r\nHost: ocsp.test\r\n${extra}\r\n`;
  const good = (r: RawResponse, what: string) => {
    assert.equal(r.status, 200, what);
    assert.equal(r.headers['content-type'], 'application/ocsp-response', what);
    const parsed = parseOcspResponse(new Uint8Array(r.body));
    assert.equal(parsed.status, 'successful', what);
    return parsed;
  };

  test('a POST whose head and body arrive in separate packets is answered, and so is the next request on the connection', async () => {
    const c = await Connection.open(server.url);
    try {
      // Twice: the first fills the cache from the database, the second is answered from memory.
      for (const round of ['from the database', 'from memory']) {
        await c.send(postHead(request.length));
        await c.send(request.subarray(0, 10));
        await c.send(request.subarray(10));
        good(await c.response(), `split POST, ${round}`);
      }
      await c.send(get());
      good(await c.response(), 'the GET after it');
      assert.equal(c.unread, 0);
    } finally {
      c.close();
    }
  });

  test('a POST body dribbled one byte per packet is answered once it is complete, with the same bytes as a POST in one packet', async () => {
    const whole = await Connection.open(server.url);
    const dribbled = await Connection.open(server.url);
    try {
      await whole.send(Buffer.concat([Buffer.from(postHead(request.length)), request]));
      const expected = (await whole.response()).body;
      await dribbled.send(postHead(request.length));
      for (const byte of request) await dribbled.send(Buffer.from([byte]));
      const r = await dribbled.response();
      good(r, 'dribbled POST');
      assert.deepEqual(r.body, expected);
    } finally {
      whole.close();
      dribbled.close();
    }
  });

  test('a chunked POST (no Content-Length) is answered when its last chunk arrives', async () => {
    const c = await Connection.open(server.url);
    try {
      await c.send('POST /ocsp HTTP/1.1\r\nHost: ocsp.test\r\nTransfer-Encoding: chunked\r\n\r\n');
      await c.send(`${(20).toString(16)}\r\n${request.subarray(0, 20).toString('latin1')}\r\n`);
      await c.send(Buffer.concat([Buffer.from(`${(request.length - 20).toString(16)}\r\n`), request.subarray(20), Buffer.from('\r\n0\r\n\r\n')]));
      good(await c.response(), 'chunked POST');
      await c.send(get());
      good(await c.response(), 'the GET after it');
    } finally {
      c.close();
    }
  });

  test('requests pipelined in one write — POST, GET, a revalidating GET, a malformed POST, POST — are all answered, in order', async () => {
    const c = await Connection.open(server.url);
    try {
      // Warm: the ETag to revalidate with, and the answer in memory.
      await c.send(get());
      const etag = good(await c.response(), 'warm-up GET') && (await fetch(`${server.url}${getPath}`)).headers.get('etag');
      assert.ok(etag);
      const garbage = Buffer.from('not an OCSP request');
      await c.send(
        Buffer.concat([
          Buffer.from(postHead(request.length)),
          request,
          Buffer.from(get()),
          Buffer.from(get(`If-None-Match: ${etag}\r\n`)),
          Buffer.from(postHead(garbage.length)),
          garbage,
          Buffer.from(postHead(request.length)),
          request,
        ]),
      );
      const post = good(await c.response(), 'pipelined POST');
      const plain = good(await c.response(), 'pipelined GET');
      assert.deepEqual(plain, post);
      const revalidated = await c.response();
      assert.equal(revalidated.status, 304);
      assert.equal(revalidated.body.length, 0);
      const malformed = await c.response();
      assert.equal(malformed.status, 200);
      assert.equal(parseOcspResponse(new Uint8Array(malformed.body)).status, 'malformedRequest');
      good(await c.response(), 'the POST after the malformed one');
      assert.equal(c.unread, 0);
    } finally {
      c.close();
    }
  });

  test('at debug the front door logs who asked what (peer, X-Forwarded-For, the GET path or POST body); at info nothing', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    logged = await startStatusServer(ctx.store, pki, { appLogger: { level: 'debug', stream } });
    const ours = () => lines.filter((l) => l.msg === 'OCSP request');
    const c = await Connection.open(logged.url);
    try {
      await c.send(get('X-Forwarded-For: 203.0.113.7\r\n'));
      good(await c.response(), 'GET');
      await c.send(Buffer.concat([Buffer.from(postHead(request.length)), request]));
      good(await c.response(), 'POST');
      const [g, p] = ours();
      assert.equal(ours().length, 2);
      assert.equal(g!.method, 'GET');
      assert.equal(g!.path, getPath.slice('/ocsp/'.length));
      assert.equal(g!.forwardedFor, '203.0.113.7');
      assert.match(String(g!.peer), /127\.0\.0\.1$/);
      assert.equal(p!.method, 'POST');
      assert.equal(p!.body, request.toString('base64'));

      logged.app.log.level = 'info';
      await c.send(get());
      good(await c.response(), 'GET at info');
      assert.equal(ours().length, 2);
    } finally {
      c.close();
    }
  });
});
