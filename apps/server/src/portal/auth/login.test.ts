/**
 * Sign-in by signature, at the HTTP level on both backends: the server verifies the CMS, the chain to our
 * CA, validity and revocation itself; a replayed, foreign, expired, revoked or wrong-purpose signature is
 * refused with its own code and a sentence a person understands.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCsr, generateRsaKeyPair, issueCertificate, issueCaCertificate, webCryptoSigner } from '@qoltanba/pki';
import { revoke } from '../../ra/index.ts';
import { uniqueIin } from '../../ra/testing/fixture.ts';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { createCitizen, signAs, type Citizen } from '../testing/citizens.ts';
import { portalHarness, type PortalHarness } from '../testing/harness.ts';

describeEachBackend('portal sign-in', (b) => {
  let h: PortalHarness;
  let aigerim: Citizen;

  test('setup: a CA, the portal, a citizen with valid keys', async () => {
    h = await portalHarness(b.store);
    aigerim = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'НУРЛАНОВА', name: 'АЙГЕРИМ', patronymic: 'СЕРІКҚЫЗЫ' });
  });

  test('a signed challenge opens a session for the IIN in the certificate, with a new cookie', async () => {
    const c = h.client();
    await c.get('/login');
    const anonymous = c.cookies.get('__Host-qt_session');
    assert.ok(anonymous, 'the login page starts a session for its CSRF token');
    const challenge = (await c.postJson('/login/challenge', {})).json<{ id: string; content: string }>();
    assert.match(challenge.content, /Вход в Личный кабинет Qoltanba|Qoltanba Жеке кабинетіне кіру|Sign-in to the Qoltanba/);
    const res = await c.postJson('/login', { challengeId: challenge.id, cms: await signAs(aigerim.auth, challenge.content) });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json(), { redirect: '/keys' });
    const setCookie = String(res.headers['set-cookie']);
    assert.match(setCookie, /__Host-qt_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict/);
    assert.notEqual(c.cookies.get('__Host-qt_session'), anonymous, 'signing in issues a new token');
    const keys = await c.get('/keys');
    assert.equal(keys.status, 200);
    assert.match(keys.body, /НУРЛАНОВА АЙГЕРИМ СЕРІКҚЫЗЫ/);
    assert.match(keys.body, new RegExp(aigerim.auth.record.serial.toUpperCase()));
    // The pre-login token is worth nothing now.
    const stale = h.client();
    stale.cookies.set('__Host-qt_session', anonymous);
    const again = await stale.get('/keys');
    assert.equal(again.status, 303);
    assert.match(String(again.headers.location), /^\/login/);
    const audit = await b.store.db.selectFrom('audit_log').select(['actor', 'action', 'target']).where('action', '=', 'portal.login').execute();
    assert.ok(audit.some((a) => a.actor === `citizen:${aigerim.iin}` && a.target === `certificate:${aigerim.auth.record.ca}/${aigerim.auth.record.serial}`));
  });

  test('a replayed signature is refused: the challenge was single-use', async () => {
    const c = h.client();
    await c.get('/login');
    const challenge = (await c.postJson('/login/challenge', {})).json<{ id: string; content: string }>();
    const cms = await signAs(aigerim.auth, challenge.content);
    assert.equal((await c.postJson('/login', { challengeId: challenge.id, cms })).status, 200);
    // The same signature again, from the same browser after logout and from another browser.
    const other = h.client();
    await other.get('/login');
    for (const who of [other]) {
      const replay = await who.postJson('/login', { challengeId: challenge.id, cms });
      assert.equal(replay.status, 422);
      const error = replay.json<{ error: { code: string; what: string; todo: string } }>().error;
      assert.equal(error.code, 'QT_ERR_CHALLENGE_INVALID');
      assert.ok(error.what.length > 10 && error.todo.length > 10, 'a sentence says what happened and what to do');
    }
    // A signature over another text than the challenge is refused too.
    const fresh = (await other.postJson('/login/challenge', {})).json<{ id: string; content: string }>();
    const wrongText = await other.postJson('/login', { challengeId: fresh.id, cms: await signAs(aigerim.auth, `${fresh.content} `) });
    assert.equal(wrongText.json<{ error: { code: string } }>().error.code, 'QT_ERR_CHALLENGE_INVALID');
  });

  test('a challenge expires', async () => {
    const c = h.client();
    await c.get('/login');
    const challenge = (await c.postJson('/login/challenge', {})).json<{ id: string; content: string }>();
    const cms = await signAs(aigerim.auth, challenge.content);
    h.clock.advance(6 * 60_000);
    try {
      const res = await c.postJson('/login', { challengeId: challenge.id, cms });
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'QT_ERR_CHALLENGE_INVALID');
    } finally {
      h.clock.reset();
    }
  });

  test('a key from another CA is refused, even with the same name and IIN', async () => {
    const rootKeys = await generateRsaKeyPair(2048);
    const rootSigner = await webCryptoSigner(rootKeys.privateKey, rootKeys.publicKey);
    const now = new Date();
    const root = await issueCaCertificate({
      profile: 'root-ca',
      subject: [{ type: 'CN', value: 'НУЦ РК (RSA) поддельный' }, { type: 'C', value: 'KZ' }],
      signer: rootSigner,
      notBefore: now,
      notAfter: new Date(now.getTime() + 86_400_000 * 365),
    });
    const keys = await generateRsaKeyPair(2048);
    const leaf = await issueCertificate({
      csr: (await createCsr(await webCryptoSigner(keys.privateKey, keys.publicKey))).der,
      profile: 'individual-auth',
      subject: { surname: 'НУРЛАНОВА', name: 'АЙГЕРИМ', iin: aigerim.iin },
      issuer: { certificate: root.info, signer: rootSigner },
      urls: { crl: 'http://evil.example/crl', deltaCrl: 'http://evil.example/delta', ocsp: 'http://evil.example/ocsp', caIssuers: 'http://evil.example/ca' },
      notBefore: now,
    } as Parameters<typeof issueCertificate>[0]);
    const c = h.client();
    await c.get('/login');
    const challenge = (await c.postJson('/login/challenge', {})).json<{ id: string; content: string }>();
    const foreign = { ...aigerim.auth, record: { ...aigerim.auth.record, der: Buffer.from(leaf.der) }, keys };
    const res = await c.postJson('/login', { challengeId: challenge.id, cms: await signAs(foreign, challenge.content) });
    assert.equal(res.status, 422);
    const error = res.json<{ error: { code: string; what: string } }>().error;
    assert.equal(error.code, 'QT_ERR_CHAIN_INCOMPLETE');
    assert.match(error.what, /не удостоверяющим центром Qoltanba|Qoltanba куәландырушы орталығы бермеген|not issued by the Qoltanba/);
    assert.equal((await c.get('/keys')).status, 303, 'no session was opened');
  });

  test('the SIGN key cannot sign in (clientAuth is checked by the server, not just asked of the agent)', async () => {
    const c = h.client();
    const res = await c.login(aigerim, aigerim.sign);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'QT_ERR_KEY_USAGE');
  });

  test('an expired certificate is refused with its end date and a pointer to remote issuance', async () => {
    // A key file's certificate lasts a year; the server's clock is moved 400 days on (the CA is fresh, so
    // no certificate of it can have expired yet in real time).
    const old = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'ЕСКІ', name: 'КІЛТ' });
    const c = h.client();
    c.cookies.set('qt_lang', 'ru');
    await c.get('/login');
    h.clock.advance(400 * 86_400_000);
    let res;
    try {
      res = await c.login(old);
    } finally {
      h.clock.reset();
    }
    assert.equal(res.status, 422);
    const error = res.json<{ error: { code: string; what: string; remote: boolean } }>().error;
    assert.equal(error.code, 'QT_ERR_CERT_EXPIRED');
    assert.match(error.what, /Срок действия ключа истёк \d+ \S+ \d{4}/);
    assert.equal(error.remote, true);
  });

  test('a revoked certificate is refused: our own OCSP answer says revoked', async () => {
    const gone = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'ҚАЙТАРЫЛҒАН', name: 'КІЛТ' });
    await revoke(h.deps.ra, { ca: gone.auth.record.ca, serial: gone.auth.record.serial, reason: 'keyCompromise', actor: 'operator:test' });
    const c = h.client();
    c.cookies.set('qt_lang', 'en');
    const res = await c.login(gone);
    const error = res.json<{ error: { code: string; what: string } }>().error;
    assert.equal(error.code, 'QT_ERR_CERT_REVOKED');
    assert.match(error.what, /The key was revoked on \d+ \w+ \d{4}/);
  });

  test('«Обновить список ключей»: the shared certificate is described before anything is signed', async () => {
    const c = h.client();
    c.cookies.set('qt_lang', 'kk');
    await c.get('/login');
    const res = await c.postJson('/login/key', { certificate: aigerim.auth.record.pem });
    const body = res.json<{ key: { owner: string; iin: string; daysLeft: string }; problem?: unknown }>();
    assert.equal(body.key.owner, 'НУРЛАНОВА АЙГЕРИМ');
    assert.equal(body.key.iin, aigerim.iin);
    assert.match(body.key.daysLeft, /^\d+ күн$/);
    assert.equal(body.problem, undefined);
    const sign = (await c.postJson('/login/key', { certificate: aigerim.sign.record.pem })).json<{ problem: { what: string } }>();
    assert.match(sign.problem.what, /AUTH_RSA256_/);
  });

  test('cleanup', async () => {
    await h.close();
  });
});

