import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateRsaKeyPair, parseOcspResponse, webCryptoSigner } from '@qoltanba/pki';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { createTestPki, makeCertificate, setCertificateStatus, type TestCertificate, type TestPki } from '../testing/pki.ts';
import { openssl, tempDir, type TempDir } from '../testing/openssl.ts';
import { gatedSigners, rawGet, startStatusServer, type StatusHarness } from '../testing/server.ts';

describeEachBackend('OCSP responder, judged by openssl ocsp', (ctx) => {
  let pki: TestPki;
  let server: StatusHarness;
  let tmp: TempDir;
  let leaf: TestCertificate;

  // The harness opens the database in its first test, so the rest is set up there too, after it.
  test('the status service starts on a test PKI', async () => {
    pki = await createTestPki(ctx.store);
    server = await startStatusServer(ctx.store, pki);
    tmp = tempDir();
    tmp.file('trust.pem', pki.root.pem + pki.ca.pem);
    tmp.file('ca.pem', pki.ca.pem);
    leaf = await pki.issueLeaf();
    tmp.file('leaf.pem', leaf.pem);
  });
  after(async () => {
    await server?.close();
    await pki?.close();
    tmp?.remove();
  });

  /** openssl ocsp as the client: builds the request, posts it, verifies signature, chain and (unless told not to) the nonce. */
  const ask = (certs: string[], more: string[] = [], beforeCerts: string[] = []) =>
    openssl(['ocsp', '-issuer', tmp.path('ca.pem'), ...beforeCerts, ...certs.flatMap((c) => ['-cert', tmp.path(c)]), '-url', `${server.url}/ocsp`, '-CAfile', tmp.path('trust.pem'), ...more]);
  const verified = (output: string, line: RegExp) => {
    assert.match(output, /^Response verify OK$/m);
    assert.match(output, line);
  };

  const storedResponse = async (serial: string) =>
    ctx.store.db.selectFrom('ocsp_responses').selectAll().where('ca_id', '=', pki.ca.id).where('serial', '=', serial).executeTakeFirst();

  test('a good certificate: openssl verifies the answer with and without a nonce; without one it is the stored pre-signed response', async () => {
    const withNonce = await ask(['leaf.pem']);
    assert.equal(withNonce.status, 0, withNonce.output);
    verified(withNonce.output, /leaf\.pem: good\n\s+This Update: .+\n\s+Next Update: /);
    assert.doesNotMatch(withNonce.output, /WARNING/);
    // A nonce answer is signed on demand and never stored.
    assert.equal(await storedResponse(leaf.serial), undefined);

    const plain = await ask(['leaf.pem'], ['-no_nonce', '-respout', tmp.path('plain.der')]);
    assert.equal(plain.status, 0, plain.output);
    assert.match(plain.output, /leaf\.pem: good/);
    const stored = await storedResponse(leaf.serial);
    assert.equal(stored?.cert_status, 'good');
    assert.deepEqual(new Uint8Array(stored!.der), new Uint8Array(tmp.read('plain.der')));

    // Asked again, the same bytes come back: served from the store, not signed again.
    const again = await ask(['leaf.pem'], ['-no_nonce', '-respout', tmp.path('again.der')]);
    assert.equal(again.status, 0, again.output);
    assert.deepEqual(tmp.read('again.der'), tmp.read('plain.der'));
  });

  test('a revocation written straight to the database shows at once, with its reason and time, without the refresher', async () => {
    const revoked = await pki.issueLeaf();
    tmp.file('revoked.pem', revoked.pem);
    await server.service.presign(pki.ca.id, [revoked.serial]);
    assert.equal((await storedResponse(revoked.serial))?.cert_status, 'good');

    await setCertificateStatus(ctx.store, pki.ca.id, revoked.serial, { status: 'revoked', reason: 1, at: new Date('2025-03-01T12:00:00Z') });
    for (const more of [[], ['-no_nonce']]) {
      const r = await ask(['revoked.pem'], more);
      assert.equal(r.status, 0, r.output);
      assert.match(r.output, /revoked\.pem: revoked\n[\s\S]*Reason: keyCompromise\n\s+Revocation Time: Mar  1 12:00:00 2025 GMT/);
    }
    // The stale "good" was replaced on the way.
    assert.equal((await storedResponse(revoked.serial))?.cert_status, 'revoked');
  });

  test('a certificate on hold is revoked with certificateHold, and good again once released', async () => {
    const held = await pki.issueLeaf();
    tmp.file('held.pem', held.pem);
    await setCertificateStatus(ctx.store, pki.ca.id, held.serial, { status: 'on_hold', reason: 6, at: new Date('2025-04-01T08:00:00Z') });
    const onHold = await ask(['held.pem'], ['-no_nonce']);
    assert.match(onHold.output, /held\.pem: revoked\n[\s\S]*Reason: certificateHold/);
    await setCertificateStatus(ctx.store, pki.ca.id, held.serial, { status: 'good' });
    // The answer above is now in this node's memory. On PGlite the change reached it before the write returned;
    // on PostgreSQL the notification takes milliseconds: wait for the change feed rather than race it
    // (cache.test.ts proves the notification, and the bound when it is lost).
    await server.service.feed.sync();
    const released = await ask(['held.pem'], ['-no_nonce']);
    assert.match(released.output, /held\.pem: good/);
  });

  test('a serial this CA never issued is unknown, with and without a nonce', async () => {
    const stray = await pki.issueLeaf({ record: false });
    tmp.file('stray.pem', stray.pem);
    for (const more of [[], ['-no_nonce']]) {
      const r = await ask(['stray.pem'], more);
      assert.equal(r.status, 0, r.output);
      verified(r.output, /stray\.pem: unknown/);
    }
  });

  test('several certificates in one request (and SHA-256 certIDs) get one signed answer naming each', async () => {
    const stray = await pki.issueLeaf({ record: false });
    tmp.file('stray2.pem', stray.pem);
    const r = await ask(['leaf.pem', 'revoked.pem', 'stray2.pem']);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /leaf\.pem: good[\s\S]*revoked\.pem: revoked[\s\S]*stray2\.pem: unknown/);
    const sha256 = await ask(['leaf.pem'], ['-no_nonce'], ['-sha256']);
    assert.equal(sha256.status, 0, sha256.output);
    assert.match(sha256.output, /leaf\.pem: good/);
  });

  test('a certificate of an issuer we do not serve is answered "unauthorized"', async () => {
    const keys = await generateRsaKeyPair(2048);
    const signer = await webCryptoSigner(keys.privateKey, keys.publicKey);
    const foreignCa = { subject: 'CN=Somebody Else CA, C=KZ', publicKey: signer.publicKey, signer };
    const foreign = tempDir();
    try {
      const caDer = await makeCertificate({ subject: foreignCa.subject, serial: '0a', publicKey: signer.publicKey, issuer: foreignCa, ca: {}, keyUsage: 0x06 });
      const leafDer = await makeCertificate({ subject: 'CN=X, C=KZ', serial: leaf.serial, publicKey: signer.publicKey, issuer: foreignCa, keyUsage: 0x80 });
      const caPem = foreign.file('ca.pem', `-----BEGIN CERTIFICATE-----\n${Buffer.from(caDer).toString('base64')}\n-----END CERTIFICATE-----\n`);
      const leafPem = foreign.file('leaf.pem', `-----BEGIN CERTIFICATE-----\n${Buffer.from(leafDer).toString('base64')}\n-----END CERTIFICATE-----\n`);
      const r = await openssl(['ocsp', '-issuer', caPem, '-cert', leafPem, '-url', `${server.url}/ocsp`, '-no_nonce']);
      assert.match(r.output, /Responder Error: unauthorized \(6\)/);
    } finally {
      foreign.remove();
    }
  });

  test('GET /ocsp/{base64}: URL-encoded or not, the same verified answer, with RFC 5019 caching headers and ETag revalidation', async () => {
    await openssl(['ocsp', '-issuer', tmp.path('ca.pem'), '-cert', tmp.path('leaf.pem'), '-no_nonce', '-reqout', tmp.path('get-req.der')]);
    const b64 = tmp.read('get-req.der').toString('base64');
    const forms = [encodeURIComponent(b64), b64, b64.replace(/\//g, '%2F')];
    let etag = '';
    for (const form of forms) {
      const res = await fetch(`${server.url}/ocsp/${form}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/ocsp-response');
      assert.match(res.headers.get('cache-control')!, /^public, max-age=\d+, no-transform, must-revalidate$/);
      const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control')!)![1]);
      assert.ok(maxAge > 23 * 3600 && maxAge <= 24 * 3600, `max-age ${maxAge}`);
      const der = new Uint8Array(await res.arrayBuffer());
      const single = parseOcspResponse(der).basic!.responses[0]!;
      assert.equal(res.headers.get('last-modified'), single.thisUpdate.toUTCString());
      assert.equal(res.headers.get('expires'), single.nextUpdate!.toUTCString());
      etag = res.headers.get('etag')!;
      assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
      const check = await openssl(['ocsp', '-reqin', tmp.path('get-req.der'), '-respin', tmp.file('get.der', der), '-CAfile', tmp.path('trust.pem'), '-resp_text']);
      assert.equal(check.status, 0, check.output);
      assert.match(check.output, /Cert Status: good/);
    }
    const revalidated = await fetch(`${server.url}/ocsp/${forms[0]}`, { headers: { 'if-none-match': etag } });
    assert.equal(revalidated.status, 304);
  });

  test('garbage, truncated, 1 MB and badly encoded requests get malformedRequest (HTTP 200), and the next request is served', async () => {
    const full = new Uint8Array(tmp.read('get-req.der'));
    const bodies: [string, Uint8Array<ArrayBuffer>][] = [
      ['garbage', new TextEncoder().encode('this is not an OCSP request')],
      ['truncated', full.slice(0, full.length - 7)],
      ['1 MB', new Uint8Array(1 << 20).fill(0x30)],
      ['empty', new Uint8Array(0)],
    ];
    for (const [what, body] of bodies) {
      const res = await fetch(`${server.url}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body });
      assert.equal(res.status, 200, what);
      assert.equal(res.headers.get('content-type'), 'application/ocsp-response', what);
      assert.equal(parseOcspResponse(new Uint8Array(await res.arrayBuffer())).status, 'malformedRequest', what);
    }
    for (const path of ['not*base64!', 'AAAA', '%3D%3D%3D%3D', '']) {
      const res = await fetch(`${server.url}/ocsp/${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(parseOcspResponse(new Uint8Array(await res.arrayBuffer())).status, 'malformedRequest', path);
    }
    // No content type at all is fine: the body is what counts.
    const bare = await fetch(`${server.url}/ocsp`, { method: 'POST', body: full });
    assert.equal(parseOcspResponse(new Uint8Array(await bare.arrayBuffer())).status, 'successful');
    const next = await ask(['leaf.pem']);
    assert.equal(next.status, 0, next.output);
    assert.match(next.output, /leaf\.pem: good/);
  });

  test('GET with broken percent-encoding (/ocsp/abc%, /ocsp/%zz, a cut UTF-8 escape) is an OCSP malformedRequest that openssl reads, on the front door and in Fastify', async () => {
    for (const path of ['/ocsp/abc%', '/ocsp/%zz', '/ocsp/%E0%A4%A', '/ocsp/MFIwUDBO%']) {
      // node:http sends the path exactly as given (fetch would re-encode it).
      const res = await rawGet(`${server.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.type, 'application/ocsp-response', path);
      const check = await openssl(['ocsp', '-respin', tmp.file('broken.der', res.body), '-resp_text', '-noverify']);
      assert.match(check.output, /Responder Error: malformedrequest \(1\)/, `${path}: ${check.output}`);
      // The same through Fastify's own routing (app.inject never reaches the front door).
      const injected = await server.app.inject({ method: 'GET', url: path });
      assert.equal(injected.statusCode, 200, path);
      assert.equal(injected.headers['content-type'], 'application/ocsp-response', path);
      assert.equal(parseOcspResponse(new Uint8Array(injected.rawPayload)).status, 'malformedRequest', path);
    }
  });

  test('a flood of on-demand requests (nonces) past the limit gets tryLater at once, while pre-signed answers keep coming', async () => {
    await openssl(['ocsp', '-issuer', tmp.path('ca.pem'), '-cert', tmp.path('leaf.pem'), '-reqout', tmp.path('nonce-req.der')]);
    await openssl(['ocsp', '-issuer', tmp.path('ca.pem'), '-cert', tmp.path('leaf.pem'), '-no_nonce', '-reqout', tmp.path('plain-req.der')]);
    const post = async (file: string) => {
      const res = await fetch(`${server.url}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: new Uint8Array(tmp.read(file)) });
      return parseOcspResponse(new Uint8Array(await res.arrayBuffer())).status;
    };
    const limit = server.ctx.config.ocsp.onDemandConcurrency;
    server.ctx.config.ocsp.onDemandConcurrency = 1;
    try {
      const [flood, plain] = await Promise.all([
        Promise.all(Array.from({ length: 20 }, () => post('nonce-req.der'))),
        Promise.all(Array.from({ length: 5 }, () => post('plain-req.der'))),
      ]);
      assert.ok(flood.includes('successful'), 'the first on-demand request is signed');
      assert.ok(flood.includes('tryLater'), `the rest are told to come back: ${flood.join(' ')}`);
      assert.deepEqual(flood.filter((s) => s !== 'successful' && s !== 'tryLater'), []);
      assert.deepEqual(plain, Array(5).fill('successful'), 'pre-signed answers are not limited');
      // The limit is on requests in progress, not a ban: the next one alone is signed.
      verified((await ask(['leaf.pem'])).output, /leaf\.pem: good/);
    } finally {
      server.ctx.config.ocsp.onDemandConcurrency = limit;
    }
  });

  test('on-demand signing is capped per client address too: one client flooding nonces gets tryLater past its share, another is still signed', async () => {
    // The signer holds every signature until the gate opens, so what is in flight can be counted exactly.
    const gated = gatedSigners(pki.signers);
    const node = await startStatusServer(ctx.store, pki, { signers: gated.provider, config: (c) => Object.assign(c.ocsp, { onDemandConcurrency: 8, onDemandPerClient: 2 }) });
    try {
      await openssl(['ocsp', '-issuer', tmp.path('ca.pem'), '-cert', tmp.path('leaf.pem'), '-reqout', tmp.path('nonce-flood.der')]);
      const body = tmp.read('nonce-flood.der');
      // GET carries the nonce request too (RFC 5019 allows it); node:http lets the test choose the source address.
      const path = `/ocsp/${encodeURIComponent(body.toString('base64'))}`;
      const from = (address: string) => rawGet(`${node.url}${path}`, {}, address).then((r) => parseOcspResponse(new Uint8Array(r.body)).status);
      const flooder = Array.from({ length: 10 }, () => from('127.0.0.2'));
      // Ten requests, two slots for this client: eight are refused at once, while the gate is still shut.
      const settled: string[] = [];
      for (const p of flooder) void p.then((s) => settled.push(s));
      // A failure timeout, not a grace period: a broken cap fails here instead of hanging.
      const until = async (what: string, ok: () => boolean) => {
        for (const deadline = performance.now() + 30_000; !ok(); await new Promise((r) => setTimeout(r, 10))) {
          if (performance.now() > deadline) assert.fail(`${what} (answers so far: ${settled.join(' ')})`);
        }
      };
      await until('eight of the flood are answered at once', () => settled.length >= 8);
      assert.deepEqual(settled, Array(8).fill('tryLater'));
      // The process-wide cap (8) is not reached: another client's request is taken, not refused.
      const other = from('127.0.0.3');
      await until("the other client's request reaches the signer", () => gated.waiting >= 3);
      gated.open();
      assert.equal(await other, 'successful');
      assert.deepEqual((await Promise.all(flooder)).sort(), [...Array(2).fill('successful'), ...Array(8).fill('tryLater')].sort());
    } finally {
      gated.open();
      await node.close();
    }
  });

  test('ocsp.trustProxy: a trusted proxy\'s forwarded clients are capped each on its own; a spoofed X-Forwarded-For from anyone else changes nothing', async () => {
    const gated = gatedSigners(pki.signers);
    const proxy = '127.0.0.4';
    const node = await startStatusServer(ctx.store, pki, { signers: gated.provider, config: (c) => Object.assign(c.ocsp, { onDemandConcurrency: 8, onDemandPerClient: 2, trustProxy: [`${proxy}/32`] }) });
    try {
      await openssl(['ocsp', '-issuer', tmp.path('ca.pem'), '-cert', tmp.path('leaf.pem'), '-reqout', tmp.path('nonce-proxy.der')]);
      const path = `/ocsp/${encodeURIComponent(tmp.read('nonce-proxy.der').toString('base64'))}`;
      const settled: string[] = [];
      const from = (address: string, forwardedFor?: string) => {
        const p = rawGet(`${node.url}${path}`, forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}, address).then((r) => parseOcspResponse(new Uint8Array(r.body)).status);
        void p.then((s) => settled.push(s));
        return p;
      };
      const until = async (what: string, ok: () => boolean) => {
        for (const deadline = performance.now() + 30_000; !ok(); await new Promise((r) => setTimeout(r, 10))) {
          if (performance.now() > deadline) assert.fail(`${what} (answers so far: ${settled.join(' ')})`);
        }
      };
      // An untrusted client naming a new "client" in every request is still one client: two slots, the rest tryLater.
      const spoofer = Array.from({ length: 6 }, (_, i) => from('127.0.0.2', `203.0.113.${i + 1}`));
      await until('four of the spoofed requests are refused at once', () => settled.length >= 4);
      assert.deepEqual(settled, Array(4).fill('tryLater'));
      // Through the trusted proxy: client A (whatever it wrote left of the proxy's entry) gets its two slots and a
      // tryLater; client B, behind the same proxy address, is signed — the proxy's address is not the cap.
      settled.length = 0;
      const a = Array.from({ length: 3 }, () => from(proxy, '6.6.6.6, 198.51.100.1'));
      await until("client A's third request is refused", () => settled.length >= 1);
      assert.deepEqual(settled, ['tryLater']);
      const b = from(proxy, '198.51.100.2');
      await until("client B's request reaches the signer", () => gated.waiting >= 5);
      gated.open();
      assert.equal(await b, 'successful');
      assert.deepEqual((await Promise.all(a)).sort(), ['successful', 'successful', 'tryLater']);
      assert.deepEqual((await Promise.all(spoofer)).sort(), [...Array(2).fill('successful'), ...Array(4).fill('tryLater')].sort());
    } finally {
      gated.open();
      await node.close();
    }
  });

  test('when the OCSP key cannot be used the answer is internalError, and service resumes once it can', async () => {
    const fresh = await pki.issueLeaf();
    tmp.file('fresh.pem', fresh.pem);
    await ctx.store.db.updateTable('ocsp_signers').set({ key_uri: 'soft:missing-key' }).where('id', '=', pki.ocsp.id).execute();
    await server.service.directory.reload();
    try {
      const r = await ask(['fresh.pem'], ['-no_nonce']);
      assert.match(r.output, /Responder Error: internalerror \(2\)/);
    } finally {
      await ctx.store.db.updateTable('ocsp_signers').set({ key_uri: pki.ocsp.keyUri }).where('id', '=', pki.ocsp.id).execute();
      await server.service.directory.reload();
    }
    const r = await ask(['fresh.pem'], ['-no_nonce']);
    assert.match(r.output, /fresh\.pem: good/);
  });
});
