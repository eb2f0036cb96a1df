import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCeremonyConfig } from '../ca/ceremony-config.ts';
import { startServer } from '../start.ts';
import { createHttpApp } from '../http/app.ts';
import { caApiFeature } from '../api/feature.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { caFixture } from '../ra/testing/fixture.ts';
import { verifyFeature } from './feature.ts';

describeEachBackend('verify feature', (ctx) => {
  test('beside the CA API, one OpenAPI document describes both, /api/v1/verify with its request and verdict schemas', async () => {
    const fx = await caFixture(ctx.store, { statusHooks: false });
    const app = createHttpApp({ bodyLimit: fx.ctx.config.limits.bodyBytes });
    const feature = verifyFeature();
    assert.deepEqual([feature.name, feature.roles], ['verify', ['verify']]);
    const stops = [await caApiFeature({ status: fx.status }).start(app, fx.ctx), await feature.start(app, fx.ctx)];
    await app.ready();
    try {
      const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
      assert.ok(doc.paths['/api/v1/certificates'], 'the CA API is there');
      const verify = doc.paths['/api/v1/verify'].post;
      assert.equal(verify.operationId, 'verify');
      assert.deepEqual(verify.security, [], 'no token');
      const body = verify.requestBody.content['application/json'].schema;
      assert.deepEqual(Object.keys(body.properties).sort(), ['at', 'certificate', 'cms', 'crls', 'data', 'intermediates', 'ocspResponses', 'purpose', 'revocation', 'revocationKinds', 'xml']);
      const verdict = verify.responses['200'].content['application/json'].schema;
      assert.deepEqual(verdict.required, ['valid', 'kind', 'at', 'signers']);
      for (const s of ['400', '413', '429']) assert.equal(verify.responses[s].content['application/json'].schema.required[0], 'error');
      assert.equal(Object.keys(doc.paths).some((p) => p.startsWith('/cms') || p.startsWith('/x509')), false, "NCANode's routes are NCANode's, not in our document");
      // The local trust preset is this CA: its issuing CA certificate chains to its root.
      const issuing = readFileSync(fx.issuingFile, 'utf8');
      const r = await app.inject({ method: 'POST', url: '/api/v1/verify', payload: { certificate: issuing, revocation: 'off' } });
      assert.equal(r.json().valid, true, JSON.stringify(r.json().error));
      assert.equal(r.json().signers[0].chain.at(-1).trustAnchor, true);
    } finally {
      await app.close();
      for (const stop of stops) await stop();
      await fx.close();
    }
  });
});

test('`up --role verify` serves the verifier (and health) only; the default roles include it', async () => {
  const home = mkdtempSync(join(tmpdir(), 'qt-verify-role-'));
  after(() => rmSync(home, { recursive: true, force: true }));
  const plan = defaultCeremonyConfig();
  plan.root.key.bits = 2048;
  for (const i of plan.issuing) {
    i.key.bits = 2048;
    i.ocsp.key.bits = 2048;
  }
  plan.issuing = plan.issuing.filter((i) => i.key.algorithm !== 'GOST-2015-512');
  writeFileSync(join(home, 'ceremony.json'), JSON.stringify(plan));
  const env = { PATH: process.env.PATH, QOLTANBA_PASSPHRASE: 'verify role test passphrase' } as NodeJS.ProcessEnv;
  const server = await startServer({ home, env, overrides: { port: 0, roles: ['verify'] }, logger: false });
  try {
    assert.deepEqual(server.config.roles, ['verify']);
    const issuing = readFileSync(join(home, 'ca', 'rsa.crt'), 'utf8');
    const verdict = await fetch(`${server.url}/api/v1/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ certificate: issuing, revocation: 'off' }) });
    assert.equal(verdict.status, 200);
    assert.equal((await verdict.json()).valid, true);
    const nca = await fetch(`${server.url}/x509/info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ certs: [] }) });
    assert.deepEqual([nca.status, (await nca.json()).valid], [200, false]);
    const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
    assert.deepEqual(Object.keys(doc.paths), ['/api/v1/verify']);
    assert.equal((await fetch(`${server.url}/api/v1/ca`)).status, 404, 'no status role here');
  } finally {
    await server.close();
  }
  assert.ok((await import('../config.ts')).defaultConfig(home).roles.includes('verify'));
});
