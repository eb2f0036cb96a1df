/**
 * Sessions, CSRF, security headers, limits and language, at the HTTP level on both backends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniqueIin } from '../../ra/testing/fixture.ts';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { portalDb } from '../tables.ts';
import { createCitizen, type Citizen } from '../testing/citizens.ts';
import { portalHarness, type PortalHarness } from '../testing/harness.ts';

const MINUTE = 60_000;

describeEachBackend('portal sessions and browser defences', (b) => {
  let h: PortalHarness;
  let saule: Citizen;

  test('setup', async () => {
    h = await portalHarness(b.store, { rateLimits: { login: 20 } });
    saule = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'ӘБДІҚАДЫР', name: 'САУЛЕ' });
  });

  test('15 minutes without a request end the session; the login page says why', async () => {
    const c = h.client();
    await c.login(saule);
    h.clock.advance(16 * MINUTE);
    try {
      const res = await c.get('/keys');
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/login?ended=idle');
      const login = await c.get('/login?ended=idle');
      assert.match(login.body, /Сеанс завершён из-за бездействия|Әрекетсіздікке байланысты|ended after a period of inactivity/);
    } finally {
      h.clock.reset();
    }
  });

  test('activity keeps a session alive, but never beyond 8 hours', async () => {
    const c = h.client();
    await c.login(saule);
    try {
      for (let t = 10; t < 8 * 60; t += 10) {
        h.clock.advance(10 * MINUTE);
        const res = await c.get('/keys');
        assert.equal(res.status, 200, `after ${t} minutes of use`);
      }
      h.clock.advance(10 * MINUTE);
      const res = await c.get('/keys');
      assert.equal(res.headers.location, '/login?ended=absolute');
    } finally {
      h.clock.reset();
    }
  });

  test('logout ends the session on the server, not just in the browser', async () => {
    const c = h.client();
    await c.login(saule);
    const token = c.cookies.get('__Host-qt_session')!;
    const out = await c.postForm('/logout', {});
    assert.equal(out.status, 303);
    assert.equal(out.headers.location, '/login?ended=logout');
    assert.match(String(out.headers['set-cookie']), /__Host-qt_session=;/);
    const replayed = h.client();
    replayed.cookies.set('__Host-qt_session', token);
    assert.equal((await replayed.get('/keys')).status, 303);
    const row = await portalDb(b.store.db).selectFrom('portal_sessions').select(['end_reason']).where('iin', '=', saule.iin).where('end_reason', '=', 'logout').executeTakeFirst();
    assert.ok(row);
  });

  test('the purge removes expired login-page sessions at once and signed-in ones after a week', async () => {
    const { purgePortalState } = await import('./sessions.ts');
    const anonymous = h.client();
    await anonymous.get('/login');
    const signed = h.client();
    await signed.login(saule);
    const count = async () => Number((await portalDb(b.store.db).selectFrom('portal_sessions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    await purgePortalState(b.store.db, new Date(Date.now() + 31 * MINUTE));
    const afterAnonymous = await count();
    assert.ok(afterAnonymous < before, 'expired login-page sessions are gone');
    assert.equal((await signed.get('/keys')).status, 200, 'a live signed-in session is kept');
    await purgePortalState(b.store.db, new Date(Date.now() + 9 * 86_400_000));
    assert.equal(await count(), 0);
  });

  test('every state change needs our Origin and the session’s CSRF token', async () => {
    const c = h.client();
    await c.login(saule);
    const other = h.client();
    await other.login(saule);
    const cases: [string, { origin?: string | null; csrf?: string | null }][] = [
      ['no Origin', { origin: null }],
      ['another site', { origin: 'https://evil.example' }],
      ['no token', { csrf: null }],
      ['a wrong token', { csrf: 'x'.repeat(43) }],
      ['the token of another session', { csrf: other.csrf! }],
    ];
    for (const [why, o] of cases) {
      const form = await c.postForm('/reissue', { storage: 'file' }, o);
      assert.equal(form.status, 403, `form, ${why}`);
      assert.match(form.body, /QT_ERR_CSRF/);
      const json = await c.postJson('/revoke/challenge', { targets: [], reason: 'unspecified' }, o);
      assert.equal(json.status, 403, `json, ${why}`);
      assert.equal(json.json<{ error: { code: string } }>().error.code, 'QT_ERR_CSRF');
    }
    const count = await b.store.db.selectFrom('applications').select((eb) => eb.fn.countAll<string>().as('n')).where('iin', '=', saule.iin).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 0, 'nothing was created');
  });

  test('pages carry a strict CSP and no inline script or style', async () => {
    const c = h.client();
    const login = await c.get('/login');
    const csp = String(login.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:13579 wss:\/\/127\.0\.0\.1:13579/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe/);
    assert.equal(login.headers['x-frame-options'], 'DENY');
    assert.equal(login.headers['cache-control'], 'no-store');
    assert.equal(login.headers['x-content-type-options'], 'nosniff');
    await c.login(saule);
    for (const path of ['/login', '/keys', '/reissue', '/help/agent', '/help/remote']) {
      const page = await c.get(path);
      const scripts = page.body.match(/<script[^>]*>/g) ?? [];
      for (const s of scripts) assert.match(s, /src="\/assets\/[a-z-]+\.js"|type="application\/json"/, `${path}: ${s}`);
      assert.doesNotMatch(page.body, /\sstyle=|\son[a-z]+=/i, `${path} has inline style or handlers`);
    }
  });

  test('an unknown application is a helpful 404 page', async () => {
    const c = h.client();
    await c.login(saule);
    const res = await c.get('/applications/3f1c0e7a-0000-4000-8000-000000000000');
    assert.equal(res.status, 404);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.match(res.body, /Что делать|Не істеу керек|What to do/);
    assert.match(res.body, /QT_ERR_APPLICATION_NOT_FOUND/);
  });

  test('too many login requests from one address are refused for a while', async () => {
    const c = h.client();
    await c.get('/login');
    let last;
    for (let i = 0; i < 21; i++) last = await c.postJson('/login/challenge', {});
    assert.equal(last!.status, 429);
    assert.ok(Number(last!.headers['retry-after']) > 0);
    assert.equal(last!.json<{ error: { code: string } }>().error.code, 'QT_ERR_RATE_LIMITED');
  });

  test('the language: chosen by ?lang= and remembered, else the browser’s', async () => {
    const c = h.client();
    const en = await c.get('/login', { 'accept-language': 'en-GB,en;q=0.9' });
    assert.match(en.body, /<html lang="en">/);
    assert.match(en.body, /Refresh key list/);
    const switched = await c.get('/login?lang=kk');
    assert.equal(switched.status, 303);
    assert.equal(switched.headers.location, '/login');
    assert.match(String(switched.headers['set-cookie']), /qt_lang=kk/);
    const kk = await c.get('/login', { 'accept-language': 'en' });
    assert.match(kk.body, /<html lang="kk">/);
    assert.match(kk.body, /Кілттер тізімін жаңарту/);
    const ru = await c.get('/login?lang=ru').then(() => c.get('/login'));
    assert.match(ru.body, /Обновить список ключей/);
  });

  test('cleanup', async () => {
    await h.close();
  });
});
