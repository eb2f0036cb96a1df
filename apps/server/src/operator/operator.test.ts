/**
 * The operators' console on both backends: who gets in (an AUTH key from our CA carrying the RA-operator
 * role, nothing else), that operator and citizen sessions never open each other's pages, that a review is
 * held by one operator (images only to them, decisions only by them), that nobody reviews their own
 * application, and that revoking an operator's certificate ends their session at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { revoke } from '../ra/index.ts';
import { uniqueIin } from '../ra/testing/fixture.ts';
import { createCitizen, signAs, type Citizen, type CitizenKey } from '../portal/testing/citizens.ts';
import { portalHarness, type PortalClient, type PortalHarness } from '../portal/testing/harness.ts';
import { remoteIssuance } from '../remote/feature.ts';
import { remoteDb } from '../remote/tables.ts';
import { captureFrames, PEOPLE } from '../remote/testing/faces.ts';
import { importPeople, registerMobile, type TestPerson } from '../remote/testing/people.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { operatorConsole } from './feature.ts';
import { operatorLogin } from './testing/login.ts';
import { createOperatorKey } from './testing/operator-key.ts';

const OPTIONS = { startsPerIpPerDay: 1000 };

describeEachBackend('operators’ console', (b) => {
  let h: PortalHarness;
  let op1Key: CitizenKey;
  let op2Key: CitizenKey;
  let plain: Citizen;
  let op1: PortalClient;
  let op2: PortalClient;
  let n = 0;
  const client = () => h.client(`10.2.0.${++n}`);
  const op1Iin = uniqueIin();
  const applicant: TestPerson = { iin: uniqueIin(), surname: 'ӨТІНІШОВА', name: 'ГҮЛНАР', documentNumber: '041234567', issuedOn: '2020-01-10', expiresOn: '2030-01-09', face: PEOPLE.aigerim };
  const operatorAsApplicant: TestPerson = { iin: op1Iin, surname: 'ОПЕРАТОРОВА', name: 'САУЛЕ', documentNumber: '041234568', issuedOn: '2020-01-10', expiresOn: '2030-01-09', face: PEOPLE.aigerim };
  const phones: Record<string, string> = { [applicant.iin]: '+77015550301', [op1Iin]: '+77015550302' };

  async function waitingCheck(p: TestPerson): Promise<string> {
    const c = client();
    await c.get('/remote');
    const since = new Date();
    const started = await c.postForm('/remote', { iin: p.iin, storage: 'file', consent: 'yes' });
    const id = String(started.headers.location).split('/').pop() as string;
    const code = /Код: (\d{6})/.exec((await h.sms.waitFor(phones[p.iin]!, { since })).text)?.[1] as string;
    assert.equal((await c.postForm(`/remote/applications/${id}/code`, { code })).status, 303);
    assert.equal((await c.postForm(`/remote/applications/${id}/document`, { number: p.documentNumber, issuedOn: p.issuedOn })).status, 303);
    const s = (await c.postJson(`/remote/applications/${id}/face/start`, {})).json<{ captureId: string }>();
    assert.equal((await c.postJson(`/remote/applications/${id}/face`, { captureId: s.captureId, ...captureFrames(PEOPLE.aigerim, { seed: n }) })).status, 200);
    return (await remoteDb(b.store.db).selectFrom('remote_face_checks').select('id').where('application_id', '=', id).where('state', '=', 'pending').executeTakeFirstOrThrow()).id;
  }

  test('setup: two operators with the role OID, a citizen without it, an applicant waiting for review', async () => {
    h = await portalHarness(b.store, { otp: { resendAfterSeconds: 0 }, extensions: [remoteIssuance(OPTIONS), operatorConsole({ remote: OPTIONS })] });
    await importPeople(b.store, [applicant, operatorAsApplicant]);
    await registerMobile(b.store, Object.entries(phones).map(([iin, phone]) => ({ iin, phone })));
    op1Key = await createOperatorKey(h.deps.ra, { iin: op1Iin, surname: 'ОПЕРАТОРОВА', name: 'САУЛЕ' });
    op2Key = await createOperatorKey(h.deps.ra, { iin: uniqueIin(), surname: 'ЕКІНШІ', name: 'ОПЕРАТОР' });
    plain = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'ҚАРАПАЙЫМ', name: 'АЗАМАТ' });
    op1 = client();
    op2 = client();
    op1.cookies.set('qt_lang', 'ru');
    op2.cookies.set('qt_lang', 'ru');
    assert.equal((await operatorLogin(op1, op1Key)).status, 200);
    assert.equal((await operatorLogin(op2, op2Key)).status, 200);
  });

  test('a citizen’s AUTH key without the operator role: described with the problem before signing, refused after', async () => {
    const c = client();
    c.cookies.set('qt_lang', 'ru');
    await c.get('/operator/login');
    const described = await c.postJson('/operator/login/key', { certificate: plain.auth.record.pem });
    const problem = described.json<{ problem: { code: string; what: string } }>().problem;
    assert.equal(problem.code, 'QT_ERR_OPERATOR_ROLE_REQUIRED');
    assert.match(problem.what, /нет роли оператора удостоверяющего центра/);
    assert.equal((await c.postJson('/operator/login/key', { certificate: op1Key.record.pem })).json<{ problem?: unknown }>().problem, undefined);
    const ch = (await c.postJson('/operator/login/challenge', {})).json<{ id: string; content: string }>();
    const res = await c.postJson('/operator/login', { challengeId: ch.id, cms: await signAs(plain.auth, ch.content) });
    assert.equal(res.status, 403);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'QT_ERR_OPERATOR_ROLE_REQUIRED');
    assert.match(String((await c.get('/operator')).headers.location), /^\/operator\/login\?ended=required$/);
    const refused = await b.store.db.selectFrom('audit_log').select('details').where('action', '=', 'operator.login-refused').execute();
    assert.ok(refused.some((r) => (r.details as { code?: string }).code === 'QT_ERR_OPERATOR_ROLE_REQUIRED'));
  });

  test('operator and citizen sessions never open each other’s pages, even with the cookie moved', async () => {
    // The operator is signed in to the console only: citizen pages send him to the citizen login.
    assert.equal((await op1.get('/keys')).headers.location, '/login?ended=required');
    const token = op1.cookies.get('__Host-qt_operator') as string;
    const thief = client();
    thief.cookies.set('__Host-qt_session', token);
    assert.equal((await thief.get('/keys')).headers.location, '/login?ended=required');
    // A citizen signed in to the portal gets no console.
    const citizen = client();
    assert.equal((await citizen.login(plain)).status, 200);
    assert.equal((await citizen.get('/operator')).headers.location, '/operator/login?ended=required');
    const session = citizen.cookies.get('__Host-qt_session') as string;
    const moved = client();
    moved.cookies.set('__Host-qt_operator', session);
    assert.equal((await moved.get('/operator')).headers.location, '/operator/login?ended=required');
  });

  test('a review is held by the operator who opened it: images and the decision are theirs alone', async () => {
    const check = await waitingCheck(applicant);
    const page1 = await op1.get(`/operator/reviews/${check}`);
    assert.match(page1.body, /рассматриваете вы/);
    assert.equal((await op1.get(`/operator/reviews/${check}/frames/0`)).status, 200);
    const page2 = await op2.get(`/operator/reviews/${check}`);
    assert.match(page2.body, /рассматривает другой оператор/);
    assert.doesNotMatch(page2.body, /name="decision"/);
    assert.doesNotMatch(page2.body, /\/frames\/0/);
    assert.equal((await op2.get(`/operator/reviews/${check}/frames/0`)).status, 404);
    assert.equal((await op2.get(`/operator/reviews/${check}/reference`)).status, 404);
    const stolen = await op2.postForm(`/operator/reviews/${check}`, { decision: 'approve' });
    assert.equal(stolen.status, 409);
    assert.equal((await op1.postForm(`/operator/reviews/${check}`, { decision: 'approve' }, { csrf: null })).status, 403, 'CSRF token required');
    const decided = await op1.postForm(`/operator/reviews/${check}`, { decision: 'approve' });
    assert.equal(decided.headers.location, '/operator?decided=approved');
    assert.equal((await op1.get(`/operator/reviews/${check}/frames/0`)).status, 404, 'no images once decided');
    const again = await op1.postForm(`/operator/reviews/${check}`, { decision: 'reject', reason: 'poor-quality' });
    assert.equal(again.status, 409);
    const viewed = await b.store.db.selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'face-check.viewed').execute();
    assert.ok(viewed.some((v) => v.actor === `operator:${op1Iin}`));
    assert.ok(viewed.every((v) => !JSON.stringify(v.details).includes('iVBOR')));
  });

  test('an operator never reviews their own application', async () => {
    const check = await waitingCheck(operatorAsApplicant);
    const own = await op1.get(`/operator/reviews/${check}`);
    assert.equal(own.status, 403);
    assert.match(own.body, /Оператор не может проверять собственную заявку/);
    const tried = await op1.postForm(`/operator/reviews/${check}`, { decision: 'approve' });
    assert.equal(tried.status, 403);
    assert.equal((await remoteDb(b.store.db).selectFrom('remote_face_checks').select('state').where('id', '=', check).executeTakeFirstOrThrow()).state, 'pending');
    assert.equal((await op2.get(`/operator/reviews/${check}`)).status, 200);
  });

  test('revoking an operator’s certificate ends the console session at once', async () => {
    assert.equal((await op2.get('/operator')).status, 200);
    await revoke(h.deps.ra, { ca: op2Key.record.ca, serial: op2Key.record.serial, reason: 'affiliationChanged', actor: 'operator:test' });
    assert.equal((await op2.get('/operator')).headers.location, '/operator/login?ended=required');
    const c = client();
    const res = await operatorLogin(c, op2Key);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'QT_ERR_CERT_REVOKED');
  });

  test('logout ends the operator session', async () => {
    const res = await op1.postForm('/operator/logout', {});
    assert.equal(res.headers.location, '/operator/login?ended=logout');
    assert.equal((await op1.get('/operator')).headers.location, '/operator/login?ended=required');
  });
});
