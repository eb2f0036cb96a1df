/**
 * Time and abuse, on both backends with a movable clock: captured frames are deleted when the retention
 * setting says — decided or not (a check still waiting is withdrawn, and the applicant may film again) —
 * and the audit log records only counts; an application not completed in time expires (its waiting check
 * withdrawn, its frames deleted at once); and the daily limits per client address, per IIN and per phone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { operatorConsole } from '../operator/feature.ts';
import { operatorLogin } from '../operator/testing/login.ts';
import { createOperatorKey } from '../operator/testing/operator-key.ts';
import { portalHarness, type Answer, type PortalClient, type PortalHarness } from '../portal/testing/harness.ts';
import { uniqueIin } from '../ra/testing/fixture.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { remoteIssuance } from './feature.ts';
import type { RemoteOptions } from './options.ts';
import { sweepRemote } from './retention.ts';
import { remoteDb } from './tables.ts';
import { captureFrames, PEOPLE } from './testing/faces.ts';
import { importPeople, registerMobile, type TestPerson } from './testing/people.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Frames one capture uploads (face + liveness), each kept as one image. */
const FRAMES = ((f) => f.face.length + f.liveness.length)(captureFrames(PEOPLE.aigerim));
const OPTIONS: RemoteOptions = {
  imageRetentionHours: 2,
  applicationHours: 24,
  startsPerIpPerDay: 4,
  startsPerIinPerDay: 2,
  applicationsPerPhonePerDay: 1,
  applicationsPerIinPerDay: 10,
};

function person(surname: string, number: string): TestPerson {
  return { iin: uniqueIin(), surname, name: 'ТЕСТ', documentNumber: number, issuedOn: '2020-05-05', expiresOn: '2030-05-04', face: PEOPLE.aigerim };
}

describeEachBackend('remote issuance over time: retention, expiry, limits', (b) => {
  let h: PortalHarness;
  let op: PortalClient;
  let n = 0;
  const client = () => h.client(`10.3.0.${++n}`);
  const kept = person('САҚТАУЛЫ', '050000001');
  const waiting = person('КҮТУШІ', '050000002');
  const late = person('КЕШІККЕН', '050000003');
  const often = person('ЖИІ', '050000004');
  const sharedA = person('ОРТАҚ', '050000005');
  const sharedB = person('ОРТАҚОВА', '050000006');
  const patient = person('ШЫДАМДЫ', '050000007');
  const phones: Record<string, string> = {
    [kept.iin]: '+77015550401', [waiting.iin]: '+77015550402', [late.iin]: '+77015550403', [often.iin]: '+77015550404',
    [sharedA.iin]: '+77015550405', [sharedB.iin]: '+77015550405', [patient.iin]: '+77015550407',
  };
  let operatorKey: Awaited<ReturnType<typeof createOperatorKey>>;
  /** The operator's console in a fresh browser: its session has an idle limit, and these tests move the clock by hours. */
  async function signInOperator(): Promise<void> {
    op = client();
    op.cookies.set('qt_lang', 'ru');
    const res = await operatorLogin(op, operatorKey, h.clock.now());
    assert.equal(res.status, 200, res.body);
  }
  /** Time passing while the applicant's page is open: it polls the step, as the waiting page does. */
  async function waitPolling(c: PortalClient, id: string, ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= 10 * MINUTE) {
      h.clock.advance(Math.min(left, 10 * MINUTE));
      assert.equal((await c.get(`/remote/applications/${id}/status`)).status, 200);
    }
  }
  const sweep = () => sweepRemote(b.store.db, h.ctx.now(), { imageRetentionMs: OPTIONS.imageRetentionHours! * HOUR });
  const imagesOf = async (checkId: string) => (await remoteDb(b.store.db).selectFrom('remote_face_images').select('idx').where('check_id', '=', checkId).execute()).length;
  const errorCode = (res: Answer) => /<code>(QT_ERR_[A-Z_]+)<\/code>/.exec(res.body)?.[1];

  async function start(c: PortalClient, p: TestPerson): Promise<Answer> {
    await c.get('/remote');
    return c.postForm('/remote', { iin: p.iin, storage: 'file', consent: 'yes' });
  }

  async function filmed(p: TestPerson): Promise<{ c: PortalClient; id: string; checkId: string }> {
    const c = client();
    const since = new Date(Date.now() - 1000);
    const res = await start(c, p);
    const id = String(res.headers.location).split('/').pop() as string;
    const code = /Код: (\d{6})/.exec((await h.sms.waitFor(phones[p.iin]!, { since })).text)?.[1] as string;
    assert.equal((await c.postForm(`/remote/applications/${id}/code`, { code })).status, 303);
    assert.equal((await c.postForm(`/remote/applications/${id}/document`, { number: p.documentNumber, issuedOn: p.issuedOn })).status, 303);
    const s = (await c.postJson(`/remote/applications/${id}/face/start`, {})).json<{ captureId: string }>();
    assert.equal((await c.postJson(`/remote/applications/${id}/face`, { captureId: s.captureId, ...captureFrames(PEOPLE.aigerim, { seed: ++n }) })).status, 200);
    const checkId = (await remoteDb(b.store.db).selectFrom('remote_face_checks').select('id').where('application_id', '=', id).where('state', '=', 'pending').executeTakeFirstOrThrow()).id;
    return { c, id, checkId };
  }

  test('setup', async () => {
    h = await portalHarness(b.store, { otp: { resendAfterSeconds: 0 }, extensions: [remoteIssuance(OPTIONS), operatorConsole({ remote: OPTIONS })] });
    await importPeople(b.store, [kept, waiting, late, often, sharedA, sharedB, patient]);
    await registerMobile(b.store, Object.entries(phones).map(([iin, phone]) => ({ iin, phone })));
    operatorKey = await createOperatorKey(h.deps.ra, { iin: uniqueIin(), surname: 'ОПЕРАТОР', name: 'ТЕСТ' });
    await signInOperator();
  });

  test('frames are deleted when the retention setting says, decided or waiting; a waiting check is withdrawn and the applicant films again', async () => {
    const decided = await filmed(kept);
    assert.equal((await op.get(`/operator/reviews/${decided.checkId}`)).status, 200);
    assert.equal((await op.postForm(`/operator/reviews/${decided.checkId}`, { decision: 'approve' })).status, 303);
    const pending = await filmed(waiting);
    assert.equal(await imagesOf(decided.checkId), FRAMES);
    assert.equal(await imagesOf(pending.checkId), FRAMES);

    await waitPolling(pending.c, pending.id, 1 * HOUR);
    let report = await sweep();
    assert.equal(report.imagesDeleted, 0, 'not yet');

    await waitPolling(pending.c, pending.id, 1.5 * HOUR);
    report = await sweep();
    assert.equal(report.imagesDeleted, 2 * FRAMES);
    assert.equal(report.withdrawn, 1);
    assert.equal(await imagesOf(decided.checkId), 0);
    assert.equal(await imagesOf(pending.checkId), 0);
    const checks = await remoteDb(b.store.db).selectFrom('remote_face_checks').select(['id', 'state', 'images_deleted_at']).where('id', 'in', [decided.checkId, pending.checkId]).execute();
    assert.deepEqual(checks.map((c) => [c.id === decided.checkId ? 'decided' : 'pending', c.state, c.images_deleted_at !== null]).sort(), [['decided', 'approved', true], ['pending', 'withdrawn', true]]);
    // What the log keeps is counts, never an image.
    const purged = await b.store.db.selectFrom('audit_log').select('details').where('action', '=', 'face-images.purged').execute();
    assert.equal(purged.length, 1);
    assert.deepEqual((({ checks, images, withdrawnUndecided, retentionHours }) => ({ checks, images, withdrawnUndecided, retentionHours }))(purged[0]!.details as Record<string, number>), { checks: 2, images: 2 * FRAMES, withdrawnUndecided: 1, retentionHours: 2 });
    const everything = JSON.stringify(await b.store.db.selectFrom('audit_log').select('details').execute());
    assert.doesNotMatch(everything, /iVBORw0KGgo/);
    // The operator (signed in again: hours went by) sees that the frames are gone; the applicant whose check was withdrawn may film again.
    await signInOperator();
    assert.match((await op.get(`/operator/reviews/${pending.checkId}`)).body, /уже принято решение: отозвана/);
    assert.equal((await op.get(`/operator/reviews/${pending.checkId}/frames/0`)).status, 404);
    assert.match((await pending.c.get(`/remote/applications/${pending.id}`)).body, /id="camera-on"/);
    const s = (await pending.c.postJson(`/remote/applications/${pending.id}/face/start`, {})).json<{ captureId: string }>();
    assert.equal((await pending.c.postJson(`/remote/applications/${pending.id}/face`, { captureId: s.captureId, ...captureFrames(PEOPLE.aigerim, { seed: 77 }) })).status, 200);
    assert.equal((await sweep()).imagesDeleted, 0, 'the new frames are kept');
  });

  test('the waiting page keeps its session as long as the application lives (hours for an operator), while an unused one still ends', async () => {
    const w = await filmed(patient);
    try {
      // The page polls while it waits: well past the 30 minutes an anonymous session otherwise lasts.
      for (let t = 0; t < 3 * 60; t += 20) {
        h.clock.advance(20 * MINUTE);
        const res = await w.c.get(`/remote/applications/${w.id}/status`);
        assert.equal(res.status, 200, `after ${t + 20} minutes of waiting`);
        assert.equal(res.json<{ step: string }>().step, 'waiting');
      }
      // A browser left alone is not: after the idle limit the page sends the person back to the IIN and a new code.
      h.clock.advance(31 * MINUTE);
      const page = await w.c.get(`/remote/applications/${w.id}`);
      assert.equal(page.status, 303);
      assert.equal(page.headers.location, '/remote?ended=session');
      assert.match((await w.c.get('/remote?ended=session')).body, /Сеанс в этом браузере завершился/);
      const since = new Date(Date.now() - 1000);
      const back = await start(w.c, patient);
      assert.equal(back.headers.location, `/remote/applications/${w.id}`, 'the same application, taken back with a new code');
      const code = /Код: (\d{6})/.exec((await h.sms.waitFor(phones[patient.iin]!, { since })).text)?.[1] as string;
      assert.equal((await w.c.postForm(`/remote/applications/${w.id}/code`, { code })).status, 303);
      assert.equal((await w.c.get(`/remote/applications/${w.id}/status`)).json<{ step: string }>().step, 'waiting');
    } finally {
      await w.c.postForm(`/remote/applications/${w.id}/cancel`, {});
    }
  });

  test('an application not completed in time expires: its waiting check is withdrawn and its frames deleted at once', async () => {
    const w = await filmed(late);
    const stateOf = async () => (await b.store.db.selectFrom('applications').select('state').where('id', '=', w.id).executeTakeFirstOrThrow()).state;
    h.clock.advance(23 * HOUR);
    await sweep();
    assert.notEqual(await stateOf(), 'expired', 'not yet');
    h.clock.advance(1.5 * HOUR);
    const report = await sweep();
    assert.ok(report.expired >= 1);
    const app = await b.store.db.selectFrom('applications').select(['state', 'decision_reason']).where('id', '=', w.id).executeTakeFirstOrThrow();
    assert.deepEqual(app, { state: 'expired', decision_reason: 'not completed in time' });
    assert.equal(await imagesOf(w.checkId), 0);
    // Withdrawn, so no operator's queue shows it any more.
    assert.equal((await remoteDb(b.store.db).selectFrom('remote_face_checks').select('state').where('id', '=', w.checkId).executeTakeFirstOrThrow()).state, 'withdrawn');
    // The applicant's browser session ended long ago; typing the IIN again begins a new application.
    assert.equal((await w.c.get(`/remote/applications/${w.id}`)).headers.location, '/remote?ended=session');
    const again = await start(w.c, late);
    assert.equal(again.status, 303);
    assert.notEqual(again.headers.location, `/remote/applications/${w.id}`);
    assert.equal((await w.c.postJson(`/remote/applications/${w.id}/face/start`, {})).json<{ error: { code: string } }>().error.code, 'QT_ERR_APPLICATION_NOT_FOUND');
  });

  test('an expired application is also closed when the person next starts, without waiting for the sweep', async () => {
    const c = client();
    const since = new Date(Date.now() - 1000);
    const res = await start(c, kept);
    assert.equal(res.status, 303);
    const id = String(res.headers.location).split('/').pop() as string;
    await h.sms.waitFor(phones[kept.iin]!, { since });
    h.clock.advance(25 * HOUR);
    const again = await start(client(), kept);
    assert.equal(again.status, 303);
    assert.notEqual(String(again.headers.location).split('/').pop(), id, 'a new application, not the expired one resumed');
    assert.deepEqual(await b.store.db.selectFrom('applications').select(['state', 'decision_reason']).where('id', '=', id).executeTakeFirstOrThrow(), { state: 'expired', decision_reason: 'not completed in time' });
  });

  test('limits: starts per client address, starts per IIN, applications per phone — and a day later again', async () => {
    // Per address: every start counts, whatever came of it (probing IINs costs the prober).
    const prober = client();
    for (let i = 0; i < 4; i++) assert.notEqual((await start(prober, { ...often, iin: uniqueIin() })).status, 429);
    const blocked = await start(prober, often);
    assert.equal(blocked.status, 429);
    assert.equal(errorCode(blocked), 'QT_ERR_RATE_LIMITED');
    assert.equal(blocked.headers['retry-after'], '3600');
    // Per IIN: starts that sent a code, from any address.
    assert.equal((await start(client(), often)).status, 303);
    assert.equal((await start(client(), often)).status, 303);
    const third = await start(client(), often);
    assert.equal(third.status, 429);
    assert.equal(errorCode(third), 'QT_ERR_RATE_LIMITED');
    // Per phone: two people sharing one number get one application a day between them.
    const a = client();
    const first = await start(a, sharedA);
    assert.equal(first.status, 303);
    await a.postForm(`${first.headers.location}/cancel`, {});
    const other = await start(client(), sharedB);
    assert.equal(other.status, 429);
    assert.equal(errorCode(other), 'QT_ERR_APPLICATION_LIMIT');
    h.clock.advance(25 * HOUR);
    assert.equal((await start(client(), sharedB)).status, 303);
    assert.equal((await start(prober, often)).status, 303, 'the address may start again a day later');
    const report = await sweep();
    assert.ok(report.startsDeleted >= 0);
    h.clock.advance(49 * HOUR);
    assert.ok((await sweep()).startsDeleted > 0, 'start records older than two days are deleted');
  });
});
