import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseCrl } from '@qoltanba/pki';
import { describeEachBackend } from '../store/testing/backends.ts';
import { silentLogger } from '../context.ts';
import { createStatusService } from './service.ts';
import { createTestPki, type TestPki } from './testing/pki.ts';
import { openssl, tempDir } from './testing/openssl.ts';
import { startStatusServer, type StatusHarness } from './testing/server.ts';

interface CaListing {
  name: string;
  subject: string;
  status: string;
  certificate: string;
  certificateUrl: string;
  crlUrl: string;
  deltaCrlUrl: string;
  ocspUrl: string;
  issuer: string | null;
  issuerCertificateUrl: string | null;
}

describeEachBackend('publication routes: /api/v1/ca, /cert, /crl', (ctx) => {
  let pki: TestPki;
  let server: StatusHarness;
  let listed: CaListing;

  test('the status service starts on a test PKI', async () => {
    pki = await createTestPki(ctx.store);
    server = await startStatusServer(ctx.store, pki, { service: { directory: { missReloadMs: 0 } } });
  });
  after(async () => {
    await server?.close();
    await pki?.close();
  });

  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  test('GET /api/v1/ca lists the issuing CAs with their certificate and every URL a relying party needs', async () => {
    const res = await fetch(`${server.url}/api/v1/ca`);
    assert.equal(res.status, 200);
    const { cas } = (await res.json()) as { cas: CaListing[] };
    assert.deepEqual(cas.map((c) => c.name), [pki.ca.name]);
    listed = cas[0]!;
    assert.equal(listed.subject, 'CN=Qoltanba Test Issuing CA test-ca, C=KZ');
    assert.equal(listed.status, 'active');
    assert.deepEqual(Buffer.from(listed.certificate, 'base64'), Buffer.from(pki.ca.der));
    assert.equal(listed.certificateUrl, `${server.url}/cert/test-ca.cer`);
    assert.equal(listed.crlUrl, `${server.url}/crl/test-ca.crl`);
    assert.equal(listed.deltaCrlUrl, `${server.url}/crl/test-ca-delta.crl`);
    assert.equal(listed.ocspUrl, `${server.url}/ocsp`);
    assert.equal(listed.issuer, 'test-ca-root');
    assert.equal(listed.issuerCertificateUrl, `${server.url}/cert/test-ca-root.cer`);
  });

  test('GET /cert/{ca}.cer serves the DER certificate of the CA and of its root', async () => {
    const tmp = tempDir();
    try {
      for (const [url, der] of [[listed.certificateUrl, pki.ca.der], [listed.issuerCertificateUrl!, pki.root.der]] as const) {
        const res = await fetch(url);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'application/pkix-cert');
        assert.match(res.headers.get('cache-control')!, /^public, max-age=\d+/);
        const body = new Uint8Array(await res.arrayBuffer());
        assert.deepEqual(body, new Uint8Array(der));
        const text = await openssl(['x509', '-inform', 'DER', '-in', tmp.file('c.cer', body), '-noout', '-subject']);
        assert.equal(text.status, 0, text.output);
        const again = await fetch(url, { headers: { 'if-none-match': res.headers.get('etag')! } });
        assert.equal(again.status, 304);
      }
    } finally {
      tmp.remove();
    }
  });

  test('unknown CA names, unknown files and CAs without a CRL yet get 404s with stable codes', async () => {
    for (const path of ['/crl/nobody.crl', '/crl/nobody-delta.crl', '/cert/nobody.cer']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(await errorOf(res), 'QT_ERR_CA_NOT_FOUND', path);
    }
    for (const path of ['/crl/test-ca.pem', '/cert/test-ca']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(await errorOf(res), 'QT_ERR_NOT_FOUND', path);
    }
    for (const url of [listed.crlUrl, listed.deltaCrlUrl]) {
      const res = await fetch(url);
      assert.equal(res.status, 404);
      assert.equal(await errorOf(res), 'QT_ERR_CRL_NOT_FOUND');
    }
  });

  test('a CRL is served as DER with caching headers to its nextUpdate, revalidated by ETag, and replaced when a newer one appears', async () => {
    const full = (await server.service.generateCrl(pki.ca.id, 'full'))!;
    const res = await fetch(listed.crlUrl);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pkix-crl');
    assert.equal(res.headers.get('last-modified'), full.thisUpdate.toUTCString());
    assert.equal(res.headers.get('expires'), full.nextUpdate.toUTCString());
    const maxAge = Number(/^public, max-age=(\d+), no-transform, must-revalidate$/.exec(res.headers.get('cache-control')!)?.[1]);
    // Capped at the publication interval (a day by default), never past nextUpdate (a week).
    assert.ok(maxAge > 0 && maxAge <= 24 * 3600, `max-age ${maxAge}`);
    assert.equal(parseCrl(new Uint8Array(await res.arrayBuffer())).crlNumber, full.crlNumber);
    const etag = res.headers.get('etag')!;
    assert.equal((await fetch(listed.crlUrl, { headers: { 'if-none-match': etag } })).status, 304);

    // Published by another node on the same database: served at once, under a new ETag.
    const otherNode = createStatusService({ ...server.ctx, log: silentLogger });
    const newer = (await otherNode.generateCrl(pki.ca.id, 'full'))!;
    const fresh = await fetch(listed.crlUrl, { headers: { 'if-none-match': etag } });
    assert.equal(fresh.status, 200);
    assert.notEqual(fresh.headers.get('etag'), etag);
    assert.equal(parseCrl(new Uint8Array(await fresh.arrayBuffer())).crlNumber, newer.crlNumber);

    const delta = (await server.service.generateCrl(pki.ca.id, 'delta'))!;
    const deltaRes = await fetch(listed.deltaCrlUrl);
    assert.equal(deltaRes.status, 200);
    const deltaMaxAge = Number(/max-age=(\d+)/.exec(deltaRes.headers.get('cache-control')!)?.[1]);
    assert.ok(deltaMaxAge <= 60 * 60, `delta max-age ${deltaMaxAge}`);
    const parsed = parseCrl(new Uint8Array(await deltaRes.arrayBuffer()));
    assert.deepEqual([parsed.crlNumber, parsed.deltaCrlIndicator], [delta.crlNumber, newer.crlNumber]);
  });

  test('a CA registered after the service started is found on first request', async () => {
    const second = await createTestPki(ctx.store, { name: 'second-ca' });
    try {
      const res = await fetch(`${server.url}/cert/second-ca.cer`);
      assert.equal(res.status, 200);
      const { cas } = (await (await fetch(`${server.url}/api/v1/ca`)).json()) as { cas: CaListing[] };
      assert.deepEqual(cas.map((c) => c.name).sort(), ['second-ca', 'test-ca']);
    } finally {
      await second.close();
    }
  });
});
