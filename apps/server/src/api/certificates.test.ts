import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspectCertificate } from '@qoltanba/pki';
import { describeEachBackend } from '../store/testing/backends.ts';
import { verifyAudit } from '../audit/index.ts';
import { uniqueIin } from '../ra/testing/fixture.ts';
import { opensslCsr, opensslVerify, type OpensslCsr } from '../ra/testing/openssl.ts';
import { createRa, normalizeSerial, statusHooksFor } from '../ra/index.ts';
import { apiApp, apiHarness, type ApiHarness } from './testing/harness.ts';

function body(csr: string, over: Record<string, unknown> = {}) {
  return {
    csr,
    profile: 'individual-auth',
    subject: { surname: 'Жақсыбекова', name: 'Дана', iin: uniqueIin() },
    email: 'dana@example.kz',
    storage: 'file',
    identification: 'remote',
    ...over,
  };
}

describeEachBackend('CA API: issuance over HTTP', (ctx) => {
  let h: ApiHarness;
  let csr: OpensslCsr;
  before(async () => {
    csr = await opensslCsr();
  });
  after(async () => h?.close());

  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url: '/api/v1/certificates', headers: { authorization: h.auth.issuer, 'content-type': 'application/json', ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
  const count = async (table: 'certificates' | 'idempotency_keys') => Number((await ctx.store.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

  test('POST /api/v1/certificates issues an openssl CSR: 201, openssl verifies it, the stored row is that certificate', async () => {
    h = await apiHarness(ctx.store);
    const req = body(csr.pem);
    const r = await post(req, { 'idempotency-key': 'first-issue' });
    assert.equal(r.statusCode, 201, r.body);
    const out = r.json();
    assert.equal(out.replayed, false);
    assert.equal(out.ca, h.fx.caName);
    assert.equal(r.headers.location, `/api/v1/certificates/${out.ca}/${out.serial}`);
    const verdict = await opensslVerify(out.pem, h.fx.rootFile, h.fx.issuingFile);
    assert.ok(verdict.ok, verdict.output);
    const info = inspectCertificate(out.pem);
    assert.equal(info.kind, 'AUTH');
    assert.equal(out.notAfter, info.notAfter.toISOString());
    assert.equal(out.serial, info.serialHex, 'the serial as the certificate spells it (openssl x509 -serial)');
    const row = await ctx.store.db.selectFrom('certificates').selectAll().where('serial', '=', normalizeSerial(out.serial)).executeTakeFirstOrThrow();
    assert.deepEqual(new Uint8Array(row.der), new Uint8Array(info.der));
    assert.equal(row.subject_iin, req.subject.iin);
    assert.equal(row.kind, 'AUTH');
    // Audited by the token's name, never the token.
    const audit = await ctx.store.db.selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'certificate.issued').executeTakeFirstOrThrow();
    assert.match(audit.actor, /^token:issuer-/);
    assert.doesNotMatch(JSON.stringify(audit), /qt_[0-9a-f]{16}_/);

    const get = await h.app.inject({ method: 'GET', url: `/api/v1/certificates/${out.ca}/${out.serial.toLowerCase().replace(/^0/, '')}`, headers: { authorization: h.auth.reader } });
    assert.equal(get.statusCode, 200);
    assert.equal(get.json().pem, out.pem);
    assert.equal(get.json().status, 'good');
  });

  test('a replayed request returns the same certificate (200); the key with another body is 409; a missing key is 400', async () => {
    const req = body((await opensslCsr()).pem);
    const first = await post(req, { 'idempotency-key': 'replay-me' });
    assert.equal(first.statusCode, 201);
    const before = await count('certificates');
    const again = await post(req, { 'idempotency-key': 'replay-me' });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().replayed, true);
    assert.equal(again.json().serial, first.json().serial);
    assert.equal(again.json().pem, first.json().pem);
    const other = await post({ ...req, storage: 'token' }, { 'idempotency-key': 'replay-me' });
    assert.equal(other.statusCode, 409);
    assert.equal(other.json().error.code, 'QT_ERR_IDEMPOTENCY_CONFLICT');
    const missing = await post(req);
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error.code, 'QT_ERR_IDEMPOTENCY_KEY_REQUIRED');
    assert.equal(await count('certificates'), before);
  });

  test('20 parallel requests with one Idempotency-Key give exactly one certificate, and all of them its serial', async () => {
    const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const req = JSON.stringify(body((await opensslCsr()).pem));
    const before = await count('certificates');
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${address}/api/v1/certificates`, {
          method: 'POST',
          headers: { authorization: h.auth.issuer, 'content-type': 'application/json', 'idempotency-key': 'doubled-20' },
          body: req,
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { serial: string; replayed: boolean } })),
      ),
    );
    assert.equal(await count('certificates'), before + 1);
    assert.deepEqual(replies.map((r) => r.status).sort(), [...Array(19).fill(200), 201]);
    assert.equal(new Set(replies.map((r) => r.body.serial)).size, 1);
    assert.equal(replies.filter((r) => !r.body.replayed).length, 1);
  });

  test('requests without a valid token are 401, and a token without the scope is 403 (audited); nothing is issued', async () => {
    const req = body((await opensslCsr()).pem);
    const before = await count('certificates');
    for (const authorization of [undefined, 'Bearer nonsense', 'Basic dXNlcjpwYXNz', `Bearer qt_0123456789abcdef_${'A'.repeat(43)}`, h.auth.issuer.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))]) {
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/certificates',
        headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json', 'idempotency-key': 'x' },
        payload: JSON.stringify(req),
      });
      assert.equal(r.statusCode, 401, authorization);
      assert.equal(r.json().error.code, 'QT_ERR_UNAUTHENTICATED');
      assert.match(String(r.headers['www-authenticate']), /^Bearer/);
    }
    for (const authorization of [h.auth.reader, h.auth.revoker]) {
      const r = await post(req, { authorization, 'idempotency-key': 'y' });
      assert.equal(r.statusCode, 403);
      assert.equal(r.json().error.code, 'QT_ERR_FORBIDDEN');
    }
    const issued = (await post(req, { 'idempotency-key': 'z' })).json();
    const revokeAsIssuer = await h.app.inject({ method: 'POST', url: `/api/v1/certificates/${issued.ca}/${issued.serial}/revoke`, headers: { authorization: h.auth.issuer, 'content-type': 'application/json' }, payload: '{"reason":"superseded"}' });
    assert.equal(revokeAsIssuer.statusCode, 403);
    const unauthenticatedRead = await h.app.inject({ method: 'GET', url: `/api/v1/certificates/${issued.ca}/${issued.serial}` });
    assert.equal(unauthenticatedRead.statusCode, 401);
    assert.equal(await count('certificates'), before + 1);
    const denied = await ctx.store.db.selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'api.access-denied').execute();
    assert.deepEqual(denied.map((d) => [d.actor.replace(/-[a-z0-9]+$/, ''), d.details.needed]), [['token:reader', 'issue'], ['token:revoker', 'issue'], ['token:issuer', 'revoke']]);
  });

  test('garbage, truncated, oversized, 1024-bit and CA-requesting CSRs and other bad input get their codes, store nothing, and the service stays up', async () => {
    const small = await opensslCsr({ bits: 1024 });
    const ca = await opensslCsr({ addext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'] });
    const good = (await opensslCsr()).pem;
    const der = Buffer.from(good.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const cases: [string, unknown, number, string][] = [
      ['garbage CSR', body('this is not a CSR at all'), 400, 'QT_ERR_CSR_MALFORMED'],
      ['binary garbage as base64', body(Buffer.from('\x30\x82\xff\xff garbage').toString('base64')), 400, 'QT_ERR_CSR_MALFORMED'],
      ['truncated CSR', body(der.subarray(0, der.length - 40).toString('base64')), 400, 'QT_ERR_CSR_MALFORMED'],
      ['oversized body', body('A'.repeat(300 * 1024)), 413, 'QT_ERR_TOO_LARGE'],
      ['oversized CSR text', body('A'.repeat(130 * 1024)), 413, 'QT_ERR_TOO_LARGE'],
      ['1024-bit key', body(small.pem), 422, 'QT_ERR_KEY_WEAK'],
      ['CA request', body(ca.pem), 422, 'QT_ERR_CSR_REQUESTS_CA'],
      ['unknown profile', body(good, { profile: 'super-user' }), 400, 'QT_ERR_PROFILE_UNKNOWN'],
      ['invalid IIN', body(good, { subject: { surname: 'А', name: 'Б', iin: '123456789012' } }), 400, 'QT_ERR_IIN_INVALID'],
      ['unknown field', body(good, { patronymc: 'typo' }), 400, 'QT_ERR_INPUT_INVALID'],
      ['unknown subject field', body(good, { subject: { surname: 'А', name: 'Б', iin: uniqueIin(), patronymc: 'typo' } }), 400, 'QT_ERR_INPUT_INVALID'],
      ['missing subject', { csr: good, profile: 'individual-auth', storage: 'file' }, 400, 'QT_ERR_INPUT_INVALID'],
      ['bad storage', body(good, { storage: 'cloud' }), 400, 'QT_ERR_INPUT_INVALID'],
      ['malformed JSON', '{"csr": "x", ', 400, 'QT_ERR_INPUT_INVALID'],
      ['JSON array', '[1,2,3]', 400, 'QT_ERR_INPUT_INVALID'],
      ['unknown CA', body(good, { ca: 'nope' }), 404, 'QT_ERR_CA_NOT_FOUND'],
    ];
    const before = await Promise.all([count('certificates'), count('idempotency_keys')]);
    for (const [what, payload, status, code] of cases) {
      const r = await post(payload, { 'idempotency-key': `bad-${what.replace(/\W/g, '-')}` });
      assert.equal(r.statusCode, status, `${what}: ${r.body.slice(0, 300)}`);
      assert.equal(r.json().error.code, code, what);
      assert.doesNotMatch(r.body, /at .*\.ts:\d+|node_modules/, what);
    }
    const wrongType = await h.app.inject({ method: 'POST', url: '/api/v1/certificates', headers: { authorization: h.auth.issuer, 'content-type': 'application/xml', 'idempotency-key': 'k' }, payload: '<csr/>' });
    assert.equal(wrongType.statusCode, 415);
    assert.equal(wrongType.json().error.code, 'QT_ERR_UNSUPPORTED_MEDIA_TYPE');
    assert.deepEqual(await Promise.all([count('certificates'), count('idempotency_keys')]), before);
    const next = await post(body(good), { 'idempotency-key': 'after-the-bad-ones' });
    assert.equal(next.statusCode, 201);
    assert.equal((await verifyAudit(ctx.store.db)).ok, true);
  });

  test('a CSR larger than limits.csrBytes is 413 even when the body fits; a smaller one passes', async () => {
    const ra = createRa({ ...h.fx.ctx, config: { ...h.fx.ctx.config, limits: { ...h.fx.ctx.config.limits, csrBytes: 900 } } }, { hooks: statusHooksFor(h.fx.status) });
    const app = await apiApp(ra);
    try {
      const big = await opensslCsr({ bits: 4096 });
      const r = await app.inject({ method: 'POST', url: '/api/v1/certificates', headers: { authorization: h.auth.issuer, 'content-type': 'application/json', 'idempotency-key': 'big' }, payload: JSON.stringify(body(big.pem)) });
      assert.equal(r.statusCode, 413, r.body);
      assert.equal(r.json().error.code, 'QT_ERR_TOO_LARGE');
      assert.equal(r.json().error.details.maxBytes, 900);
      const fits = await app.inject({ method: 'POST', url: '/api/v1/certificates', headers: { authorization: h.auth.issuer, 'content-type': 'application/json', 'idempotency-key': 'fits' }, payload: JSON.stringify(body((await opensslCsr()).pem)) });
      assert.equal(fits.statusCode, 201, fits.body.slice(0, 300));
    } finally {
      await app.close();
    }
  });
});

describeEachBackend('CA API: revocation over HTTP', (ctx) => {
  let h: ApiHarness;
  after(async () => h?.close());

  const call = (method: 'GET' | 'POST', url: string, authorization: string, payload?: unknown) =>
    h.app.inject({ method, url, headers: { authorization, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });

  test('revoke, hold and release move the status as RFC 5280 allows and refuse the rest with their codes', async () => {
    h = await apiHarness(ctx.store);
    const iin = uniqueIin();
    const a = await h.app.inject({ method: 'POST', url: '/api/v1/certificates', headers: { authorization: h.auth.issuer, 'content-type': 'application/json', 'idempotency-key': 'rev-a' }, payload: JSON.stringify(body((await opensslCsr()).pem, { subject: { surname: 'Омаров', name: 'Серік', iin } })) });
    const b = await h.app.inject({ method: 'POST', url: '/api/v1/certificates', headers: { authorization: h.auth.issuer, 'content-type': 'application/json', 'idempotency-key': 'rev-b' }, payload: JSON.stringify(body((await opensslCsr()).pem, { subject: { surname: 'Омаров', name: 'Серік', iin } })) });
    const A = a.json();
    const B = b.json();
    const url = (c: { ca: string; serial: string }, action: string) => `/api/v1/certificates/${c.ca}/${c.serial}/${action}`;

    const held = await call('POST', url(A, 'hold'), h.auth.revoker);
    assert.equal(held.statusCode, 200, held.body);
    assert.equal(held.json().status, 'on_hold');
    assert.equal(held.json().revocationReason, 'certificateHold');
    assert.equal((await call('POST', url(A, 'hold'), h.auth.revoker, {})).json().changed, false);
    const released = await call('POST', url(A, 'release'), h.auth.revoker);
    assert.equal(released.json().status, 'good');
    const notHeld = await call('POST', url(A, 'release'), h.auth.revoker);
    assert.equal(notHeld.statusCode, 409);
    assert.equal(notHeld.json().error.code, 'QT_ERR_CERT_NOT_ON_HOLD');

    const revoked = await call('POST', url(A, 'revoke'), h.auth.revoker, { reason: 'superseded', invalidityDate: '2020-01-01T00:00:00Z' });
    assert.equal(revoked.statusCode, 200);
    assert.equal(revoked.json().status, 'revoked');
    assert.equal(revoked.json().invalidityDate, '2020-01-01T00:00:00.000Z');
    const twice = await call('POST', url(A, 'revoke'), h.auth.revoker, { reason: 'cessationOfOperation' });
    assert.equal(twice.statusCode, 409);
    assert.equal(twice.json().error.code, 'QT_ERR_CERT_ALREADY_REVOKED');
    assert.equal((await call('POST', url(A, 'hold'), h.auth.revoker)).json().error.code, 'QT_ERR_CERT_ALREADY_REVOKED');
    const viaHoldReason = await call('POST', url(B, 'revoke'), h.auth.revoker, { reason: 'certificateHold' });
    assert.equal(viaHoldReason.statusCode, 400);
    assert.equal(viaHoldReason.json().error.code, 'QT_ERR_REVOCATION_REASON_INVALID');
    const noReason = await call('POST', url(B, 'revoke'), h.auth.revoker, {});
    assert.equal(noReason.json().error.code, 'QT_ERR_INPUT_INVALID');
    const badDate = await call('POST', url(B, 'revoke'), h.auth.revoker, { reason: 'superseded', invalidityDate: 'yesterday' });
    assert.equal(badDate.json().error.code, 'QT_ERR_INPUT_INVALID');
    const unknown = await call('POST', `/api/v1/certificates/${A.ca}/abcdef123/revoke`, h.auth.revoker, { reason: 'superseded' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'QT_ERR_CERT_NOT_FOUND');
    const notHex = await call('GET', `/api/v1/certificates/${A.ca}/zz-top`, h.auth.reader);
    assert.equal(notHex.statusCode, 400);
    assert.equal((await call('GET', `/api/v1/certificates/nope/${A.serial}`, h.auth.reader)).json().error.code, 'QT_ERR_CA_NOT_FOUND');

    const list = await call('GET', `/api/v1/subjects/${iin}/certificates`, h.auth.reader);
    assert.equal(list.statusCode, 200);
    const byStatus = Object.fromEntries(list.json().certificates.map((c: { serial: string; status: string }) => [c.serial, c.status]));
    assert.deepEqual(byStatus, { [A.serial]: 'revoked', [B.serial]: 'good' });

    const audit = await ctx.store.db.selectFrom('audit_log').select('action').where('target', '=', `certificate:${A.ca}/${A.serial}`).orderBy('seq').execute();
    assert.deepEqual(audit.map((r) => r.action), ['certificate.issued', 'certificate.held', 'certificate.released', 'certificate.revoked']);
    assert.equal((await verifyAudit(ctx.store.db)).ok, true);
  });
});

test('the OpenAPI document describes every route with its scope, schemas and error shape', async () => {
  const { createTestDatabase } = await import('../store/testing/backends.ts');
  const db = await createTestDatabase('postgres');
  const h = await apiHarness(db.store);
  try {
    const r = await h.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    assert.equal(r.statusCode, 200);
    const doc = r.json();
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      '/api/v1/certificates',
      '/api/v1/certificates/{ca}/{serial}',
      '/api/v1/certificates/{ca}/{serial}/hold',
      '/api/v1/certificates/{ca}/{serial}/release',
      '/api/v1/certificates/{ca}/{serial}/revoke',
      '/api/v1/subjects/{iin}/certificates',
    ]);
    const issue = doc.paths['/api/v1/certificates'].post;
    assert.equal(issue['x-qoltanba-scope'], 'issue');
    assert.deepEqual(issue.security, [{ apiToken: [] }]);
    assert.ok(issue.parameters.some((p: { in: string; name: string }) => p.in === 'header' && p.name === 'idempotency-key'));
    assert.deepEqual(issue.requestBody.content['application/json'].schema.required, ['csr', 'profile', 'subject', 'storage']);
    for (const status of ['200', '201', '401', '403', '409', '413', '422', '503']) assert.ok(issue.responses[status], status);
    assert.equal(doc.paths['/api/v1/certificates/{ca}/{serial}/revoke'].post['x-qoltanba-scope'], 'revoke');
    assert.equal(doc.paths['/api/v1/certificates/{ca}/{serial}'].get['x-qoltanba-scope'], 'read');
    assert.equal(doc.components.securitySchemes.apiToken.scheme, 'bearer');
    assert.ok(doc.paths['/api/v1/certificates/{ca}/{serial}'].get.parameters.every((p: { required: boolean }) => p.required));
  } finally {
    await h.close();
    await db.dispose();
  }
});
