import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QtError } from '@qoltanba/pki';
import { createHttpApp } from './app.ts';

async function appWithRoutes() {
  const app = createHttpApp({ bodyLimit: 1024 });
  app.post('/echo', async (req) => ({ got: req.body }));
  app.get('/refuse', async () => {
    throw new QtError('QT_ERR_KEY_WEAK', 'RSA keys need at least 2048 bits', { bits: 1024 });
  });
  app.get('/crash', async () => {
    throw new Error('secret internal detail');
  });
  await app.ready();
  return app;
}

test('malformed JSON is a 400 with a stable code, not a stack trace', async () => {
  const app = await appWithRoutes();
  const r = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
  assert.equal(r.statusCode, 400);
  assert.equal(r.json().error.code, 'QT_ERR_INPUT_INVALID');
  assert.doesNotMatch(r.body, /at .*\.ts:\d+/);
  await app.close();
});

test('a body over the limit is refused with 413 QT_ERR_TOO_LARGE', async () => {
  const app = await appWithRoutes();
  const r = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'a'.repeat(5000) }) });
  assert.equal(r.statusCode, 413);
  assert.equal(r.json().error.code, 'QT_ERR_TOO_LARGE');
  await app.close();
});

test('a QtError keeps its code, message and details; an unknown path is QT_ERR_NOT_FOUND', async () => {
  const app = await appWithRoutes();
  const r = await app.inject({ method: 'GET', url: '/refuse' });
  assert.equal(r.statusCode, 422);
  assert.deepEqual(r.json(), { error: { code: 'QT_ERR_KEY_WEAK', message: 'RSA keys need at least 2048 bits', details: { bits: 1024 } } });
  const nf = await app.inject({ method: 'GET', url: '/nowhere?x=1' });
  assert.equal(nf.statusCode, 404);
  assert.equal(nf.json().error.code, 'QT_ERR_NOT_FOUND');
  await app.close();
});

test('an unexpected exception is a 500 QT_ERR_INTERNAL that reveals nothing of its message', async () => {
  const app = await appWithRoutes();
  const r = await app.inject({ method: 'GET', url: '/crash' });
  assert.equal(r.statusCode, 500);
  assert.equal(r.json().error.code, 'QT_ERR_INTERNAL');
  assert.doesNotMatch(r.body, /secret internal detail/);
  await app.close();
});

test('a URL with broken percent-encoding gets a stable code, not a bare framework 400', async () => {
  const app = createHttpApp({ bodyLimit: 1024 });
  app.get('/ocsp/*', async () => ({}));
  await app.ready();
  const r = await app.inject({ method: 'GET', url: '/ocsp/%E0%A4%A' });
  assert.equal(r.statusCode, 400);
  assert.equal(r.json().error.code, 'QT_ERR_INPUT_INVALID');
  await app.close();
});
