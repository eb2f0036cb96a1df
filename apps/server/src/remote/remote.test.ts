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
import { describeEachBackend } from '../store/testing/backends.ts';
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
  const codey = person({ surname: 'КОДОВ', name: 'ҚАНАТ' });
  const docy = person({ surname: 'ҚҰЖАТОВ', name: 'ДӘУРЕН' });
  const framy = person({ surname: 'КАДРОВА', name: 'ЖАНАР' });
  const twin = person({ surname: 'ЕГІЗОВА', name: 'АСЕЛЬ' });
  const nophoto = person({ surname: 'ФОТОСЫЗ', name: 'НҰРЛАН', face: undefined });
  const operatorIin = uniqueIin();
  const phones: Record<string, string> = {
    [aigerim.iin]: '+77015550167', [bolat.iin]: '+77055550123', [dana.iin]: '+77475550199', [erlan.iin]: '+77075550111',
    [codey.iin]: '+77015550201', [docy.iin]: '+77015550202', [framy.iin]: '+77015550203', [twin.iin]: '+77015550204', [nophoto.iin]: '+77015550205',
  };
  let clients = 0;
  /** A browser of its own address (the per-client request limits are per address). */
  const client = () => h.client(`10.1.0.${++clients}`);
  const errorCode = (res: Answer) => /<code>(QT_ERR_[A-Z_]+)<\/code>/.exec(res.body)?.[1] ?? res.json<{ error: { code: string } }>().error.code;

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
      otp: { resendAfterSeconds: 0, maxSends: 6 },
      extensions: [remoteIssuance(OPTIONS), operatorConsole({ remote: OPTIONS })],
    });
    await importPeople(b.store, [aigerim, bolat, dead, nophone, dana, erlan, codey, docy, framy, twin, nophoto]);
    await registerMobile(b.store, Object.entries(phones).map(([iin, phone]) => ({ iin, phone })));
    opKey = await createOperatorKey(h.deps.ra, { iin: operatorIin, surname: 'ОПЕРАТОРОВА', name: 'САУЛЕ' });
    op = h.client();
    op.cookies.set('qt_lang', 'ru');
    const res = await operatorLogin(op, opKey);
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json(), { redirect: '/operator' });
  });

  test('a first-time applicant: IIN, SMS code, document, frames, the operator approves, two certificates with the remote OID, good in OCSP', async () => {
    const c = client();
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

  test('the start explains itself: a mistyped IIN, one the registry lacks, a deceased person, no number in the mobile-citizens registry, no consent', async () => {
    const c = client();
    c.cookies.set('qt_lang', 'ru');
    const typo = `${aigerim.iin.slice(0, 11)}${(Number(aigerim.iin[11]) + 1) % 10}`;
    let res = await start(c, typo);
    assert.equal(res.status, 400);
    assert.equal(errorCode(res), 'QT_ERR_IIN_INVALID');
    assert.match(res.body, new RegExp(`value="${typo}"`), 'the form keeps what was typed');
    res = await start(c, uniqueIin());
    assert.equal(res.status, 422);
    assert.equal(errorCode(res), 'QT_ERR_PERSON_NOT_FOUND');
    assert.match(res.body, /Этот ИИН не найден в данных о регистрации населения/);
    res = await start(c, dead.iin);
    assert.equal(errorCode(res), 'QT_ERR_PERSON_NOT_ELIGIBLE');
    assert.doesNotMatch(res.body, /умер|deceased/i, 'the page never says why the registry refuses');
    res = await start(c, nophone.iin);
    assert.equal(res.status, 422);
    assert.equal(errorCode(res), 'QT_ERR_PHONE_NOT_REGISTERED');
    assert.match(res.body, /не привязан подтверждённый номер телефона в Базе мобильных граждан/);
    assert.match(res.body, /egov\.kz/);
    res = await start(c, aigerim.iin, { consent: '' });
    assert.equal(errorCode(res), 'QT_ERR_INPUT_INVALID');
    const opened = await b.store.db.selectFrom('applications').select('id').where('iin', 'in', [dead.iin, nophone.iin]).execute();
    assert.deepEqual(opened, []);
    const kk = client();
    kk.cookies.set('qt_lang', 'kk');
    assert.match((await start(kk, nophone.iin)).body, /Мобильді азаматтар базасында расталған телефон нөмірі тіркелмеген/);
  });

  test('wrong SMS codes are counted; the fifth refuses the application; a new start is a new application', async () => {
    const c = client();
    const since = new Date();
    const id = appIdOf(await start(c, codey.iin));
    const code = await codeFor(codey.iin, since);
    const wrong = code === '123456' ? '654321' : '123456';
    for (let left = 4; left >= 1; left--) {
      const res = await c.postForm(`/remote/applications/${id}/code`, { code: wrong });
      assert.equal(res.status, 422);
      assert.equal(errorCode(res), 'QT_ERR_OTP_INVALID');
      assert.match(res.body, new RegExp(`Остал(ось|ась) ${left} попытк`));
    }
    const last = await c.postForm(`/remote/applications/${id}/code`, { code: wrong });
    assert.match(last.body, /Код из SMS введён неверно слишком много раз/);
    assert.equal((await b.store.db.selectFrom('applications').select(['state', 'decision_reason']).where('id', '=', id).executeTakeFirstOrThrow()).decision_reason, 'otp-attempts');
    // The right code no longer opens it.
    assert.notEqual((await c.postForm(`/remote/applications/${id}/code`, { code })).status, 303);
    const again = appIdOf(await start(c, codey.iin));
    assert.notEqual(again, id);
  });

  test('the document: malformed input is not counted, wrong ones are, the third refuses; an expired document ends the remote route', async () => {
    const c = client();
    const since = new Date();
    const id = appIdOf(await start(c, docy.iin));
    await c.get(`/remote/applications/${id}`);
    assert.equal((await c.postForm(`/remote/applications/${id}/code`, { code: await codeFor(docy.iin, since) })).status, 303);
    let res = await c.postForm(`/remote/applications/${id}/document`, { number: 'Ж!', issuedOn: '2021-03-15' });
    assert.equal(errorCode(res), 'QT_ERR_INPUT_INVALID');
    res = await c.postForm(`/remote/applications/${id}/document`, { number: docy.documentNumber, issuedOn: '2021-02-30' });
    assert.equal(errorCode(res), 'QT_ERR_INPUT_INVALID');
    res = await c.postForm(`/remote/applications/${id}/document`, { number: docy.documentNumber, issuedOn: '2021-03-16' });
    assert.equal(errorCode(res), 'QT_ERR_DOCUMENT_MISMATCH');
    assert.match(res.body, /Осталось 2 попытки/);
    res = await c.postForm(`/remote/applications/${id}/document`, { number: '999999999', issuedOn: docy.issuedOn });
    assert.match(res.body, /Осталась 1 попытка/);
    res = await c.postForm(`/remote/applications/${id}/document`, { number: '999999999', issuedOn: docy.issuedOn });
    assert.equal(res.status, 429);
    assert.match(res.body, /обратитесь с удостоверением личности в любой ЦОН/);
    assert.equal((await b.store.db.selectFrom('applications').select('decision_reason').where('id', '=', id).executeTakeFirstOrThrow()).decision_reason, 'document-attempts');

    const e = client();
    const since2 = new Date();
    const eid = appIdOf(await start(e, erlan.iin));
    assert.equal((await e.postForm(`/remote/applications/${eid}/code`, { code: await codeFor(erlan.iin, since2) })).status, 303);
    res = await e.postForm(`/remote/applications/${eid}/document`, { number: erlan.documentNumber, issuedOn: erlan.issuedOn });
    assert.equal(errorCode(res), 'QT_ERR_DOCUMENT_EXPIRED');
    assert.match(res.body, /Сначала получите новое удостоверение личности/);
    assert.equal((await b.store.db.selectFrom('applications').select('decision_reason').where('id', '=', eid).executeTakeFirstOrThrow()).decision_reason, 'document-expired');
  });

  test('the frames are checked by the server: not PNG, oversize, identical, dark, no movement, a stale capture — nothing stored for any of them', async () => {
    const c = client();
    const id = await toFace(c, framy);
    const good = captureFrames(PEOPLE.aigerim, { seed: 7 });
    const refused = async (frames: { face: unknown; liveness: unknown }, code: string, status: number, why?: string) => {
      const res = await upload(c, id, frames as { face: string[]; liveness: string[] });
      assert.equal(res.status, status, res.body);
      const error = res.json<{ error: { code: string; what: string } }>().error;
      assert.equal(error.code, code);
      if (why) assert.match(error.what, new RegExp(why));
    };
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9]).toString('base64');
    await refused({ ...good, face: [jpeg, ...good.face.slice(1)] }, 'QT_ERR_IMAGE_INVALID', 400, 'повреждён');
    await refused({ ...good, face: ['not base64!', ...good.face.slice(1)] }, 'QT_ERR_IMAGE_INVALID', 400);
    await refused({ ...good, face: [Buffer.from(good.face[0]!, 'base64').subarray(0, 500).toString('base64'), ...good.face.slice(1)] }, 'QT_ERR_IMAGE_INVALID', 400);
    await refused({ ...good, face: [good.face[0]] }, 'QT_ERR_FACE_CAPTURE_INVALID', 422);
    await refused({ ...good, face: ['A'.repeat(800_000), ...good.face.slice(1)] }, 'QT_ERR_TOO_LARGE', 413, 'слишком велик');
    await refused({ face: good.face, liveness: [good.face[0], ...good.liveness.slice(1)] }, 'QT_ERR_FACE_CAPTURE_INVALID', 422, 'совсем не менялось');
    const dark = encodePng({ width: 320, height: 240, data: Buffer.alloc(320 * 240 * 3, 4) }).toString('base64');
    await refused({ ...good, liveness: [dark, ...good.liveness.slice(1)] }, 'QT_ERR_FACE_CAPTURE_INVALID', 422, 'слишком тёмный');
    const still = captureFrames(PEOPLE.aigerim, { seed: 100, turn: 0 });
    await refused(still, 'QT_ERR_FACE_CAPTURE_INVALID', 422, 'Поворот головы не был виден');
    const huge = encodePng(drawFace(PEOPLE.aigerim, { width: 1400, height: 240 })).toString('base64');
    await refused({ ...good, face: [huge, ...good.face.slice(1)] }, 'QT_ERR_IMAGE_INVALID', 400);
    // A capture id is single use and belongs to this application.
    const stale = await c.postJson(`/remote/applications/${id}/face`, { captureId: '6f1e2f6e-0000-4000-8000-000000000000', ...good });
    assert.equal(stale.json<{ error: { code: string } }>().error.code, 'QT_ERR_CHALLENGE_INVALID');
    const tooBig = await c.postJson(`/remote/applications/${id}/face`, { captureId: 'x', face: ['A'.repeat(5_000_000)], liveness: [] });
    assert.equal(tooBig.status, 413);
    assert.equal(await remoteDb(b.store.db).selectFrom('remote_face_checks').select('id').where('application_id', '=', id).executeTakeFirst(), undefined);
    const s1 = (await c.postJson(`/remote/applications/${id}/face/start`, {})).json<{ captureId: string }>();
    assert.equal((await c.postJson(`/remote/applications/${id}/face`, { captureId: s1.captureId, ...good })).status, 200);
    const replay = await c.postJson(`/remote/applications/${id}/face`, { captureId: s1.captureId, ...captureFrames(PEOPLE.aigerim, { seed: 9 }) });
    assert.equal(replay.json<{ error: { code: string } }>().error.code, 'QT_ERR_APPLICATION_STATE');
  });

  test('the operator rejects five times: each rejection tells the applicant why; the fifth refuses the application and sends them to a centre', async () => {
    const c = client();
    c.cookies.set('qt_lang', 'ru');
    const id = await toFace(c, bolat);
    for (let i = 1; i <= 5; i++) {
      assert.equal((await upload(c, id)).status, 200);
      const res = await operatorDecides(await pendingCheck(id), { decision: 'reject', reason: 'no-liveness' });
      assert.equal(res.headers.location, `/operator?decided=${i < 5 ? 'retry' : 'refused'}`);
      const page = await c.get(`/remote/applications/${id}`);
      if (i < 5) {
        assert.match(page.body, /Предыдущие снимки не приняты: запрошенное действие не выполнено/);
        assert.match(page.body, new RegExp(`Остал(ось|ась) ${5 - i} попытк`));
      } else {
        assert.match(page.body, /Лицо не удалось подтвердить 5 раз/);
        assert.match(page.body, /обратитесь с удостоверением личности в любой ЦОН/);
        assert.doesNotMatch(page.body, /id="camera-on"/);
      }
    }
    const app = await b.store.db.selectFrom('applications').select(['state', 'decision_reason']).where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(app, { state: 'rejected', decision_reason: 'face-attempts' });
    const s = await c.postJson(`/remote/applications/${id}/face/start`, {});
    assert.equal(s.json<{ error: { code: string } }>().error.code, 'QT_ERR_APPLICATION_STATE');
    // A rejection needs a reason; "other" needs a comment.
    const c2 = client();
    const id2 = await toFace(c2, nophoto);
    assert.equal((await upload(c2, id2)).status, 200);
    const check = await pendingCheck(id2);
    const review = await op.get(`/operator/reviews/${check}`);
    assert.match(review.body, /В реестре нет фото — одобрить нельзя/);
    assert.equal((await op.postForm(`/operator/reviews/${check}`, { decision: 'reject', reason: 'other' })).status, 422);
    assert.equal((await op.postForm(`/operator/reviews/${check}`, { decision: 'approve' })).status, 422, 'no registry photo, no approval');
    assert.equal((await op.postForm(`/operator/reviews/${check}`, { decision: 'reject', reason: 'other', comment: 'в реестре нет фото' })).status, 303);
  });

  test('one IIN from two windows: one application; the other window sees only the code step; entering the code takes it over', async () => {
    const w1 = client();
    const w2 = client();
    const since = new Date();
    const [r1, r2] = await Promise.all([start(w1, twin.iin), start(w2, twin.iin)]);
    const id = appIdOf(r1);
    assert.equal(appIdOf(r2), id);
    assert.equal((await b.store.db.selectFrom('applications').select('id').where('iin', '=', twin.iin).execute()).length, 1);
    const code = await codeFor(twin.iin, since);
    assert.equal((await w1.postForm(`/remote/applications/${id}/code`, { code })).status, 303);
    assert.match((await w1.get(`/remote/applications/${id}`)).body, /Номер документа/);
    // The other window lost its claim when the code was entered: it sees nothing any more.
    assert.equal((await w2.get(`/remote/applications/${id}`)).status, 404);
    assert.equal((await w2.postForm(`/remote/applications/${id}/document`, { number: twin.documentNumber, issuedOn: twin.issuedOn })).status, 404);
    // A third window resumes by the IIN: a new code goes to the same phone; until it is entered, only the code step.
    const w3 = client();
    const since3 = new Date();
    assert.equal(appIdOf(await start(w3, twin.iin)), id);
    const page3 = await w3.get(`/remote/applications/${id}`);
    assert.match(page3.body, /Заявка по этому ИИН уже начата в другом окне/);
    assert.equal((await w3.postForm(`/remote/applications/${id}/document`, { number: twin.documentNumber, issuedOn: twin.issuedOn })).status, 404);
    // A stranger guessing codes loses the claim, never the owner's application.
    const code3 = await codeFor(twin.iin, since3);
    const wrong = code3 === '123456' ? '654321' : '123456';
    for (let i = 0; i < 5; i++) await w3.postForm(`/remote/applications/${id}/code`, { code: wrong });
    assert.equal((await w3.get(`/remote/applications/${id}`)).status, 404);
    assert.equal((await b.store.db.selectFrom('applications').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state, 'submitted');
    assert.equal((await w1.postForm(`/remote/applications/${id}/document`, { number: twin.documentNumber, issuedOn: twin.issuedOn })).status, 303);
    // The owner resuming in a fresh window with the code: the application follows the new window.
    const w4 = client();
    const since4 = new Date();
    assert.equal(appIdOf(await start(w4, twin.iin)), id);
    assert.equal((await w4.postForm(`/remote/applications/${id}/code`, { code: await codeFor(twin.iin, since4) })).status, 303);
    assert.match((await w4.get(`/remote/applications/${id}`)).body, /id="camera-on"/);
    assert.equal((await w1.get(`/remote/applications/${id}`)).status, 404);
  });
});
