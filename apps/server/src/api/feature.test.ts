import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpApp } from '../http/app.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { caFixture, type CaFixture } from '../ra/testing/fixture.ts';
import { opensslCsr } from '../ra/testing/openssl.ts';
import { uniqueIin } from '../ra/testing/fixture.ts';
import { caApiFeature } from './feature.ts';
import { createApiToken } from './tokens.ts';
import { normalizeSerial } from '../ra/serial.ts';

describeEachBackend('CA API feature', (ctx) => {
  let fx: CaFixture;
  after(async () => fx?.close());

  test('started as a feature it serves the API, issues through the status service it is given (OCSP pre-signed), and stops', async () => {
    fx = await caFixture(ctx.store, { statusHooks: false });
    const app = createHttpApp({ bodyLimit: fx.ctx.config.limits.bodyBytes });
    const feature = caApiFeature({ status: fx.status });
    assert.deepEqual([feature.name, feature.roles], ['ca-api', ['api']]);
    const stop = await feature.start(app, fx.ctx);
    await app.ready();
    try {
      assert.equal((await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).statusCode, 200);
      const { token } = await createApiToken(ctx.store.db, { name: 'feature-test', scopes: ['issue'], actor: 'operator:test' });
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/certificates',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'feature-1' },
        payload: JSON.stringify({ csr: (await opensslCsr()).pem, profile: 'individual-sign', subject: { surname: 'Ким', name: 'Ирина', iin: uniqueIin() }, storage: 'token' }),
      });
      assert.equal(r.statusCode, 201, r.body);
      const ocsp = await ctx.store.db.selectFrom('ocsp_responses').select('cert_status').where('serial', '=', normalizeSerial(r.json().serial)).executeTakeFirst();
      assert.equal(ocsp?.cert_status, 'good');
    } finally {
      await app.close();
      await stop();
    }
  });
});
