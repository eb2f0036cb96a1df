import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { setStatusAudited } from '../../audit/testing/certificate-status.ts';
import { DAY_MS, insertCa, insertCertificate, insertPair, testIins } from '../testing/fixtures.ts';
import { scanDueReminders, type ScanOptions } from './scan.ts';

// Almaty is UTC+5. 08:00 local on 10 March 2030: before the 10:00 send hour.
const early = new Date('2030-03-10T03:00:00Z');
const late = new Date('2030-03-10T05:30:00Z'); // 10:30 local
const local = (iso: string) => new Date(new Date(`${iso}Z`).getTime() - 5 * 3_600_000);

describeEachBackend('finding due reminders', (ctx) => {
  const [a, b, pair, soon, held, entity] = testIins(6, 61) as [string, string, string, string, string, string];
  const scan = (o: Partial<ScanOptions> & Pick<ScanOptions, 'now'>) =>
    scanDueReminders(ctx.store.db, { channel: 'sms', thresholdsDays: [10], timeZone: 'Asia/Almaty', sendFromHour: 10, pageSize: 100, ...o });
  const reminded = async (channel: 'sms' | 'email') =>
    (
      await sql<{ subject_iin: string; threshold_days: number }>`
        SELECT c.subject_iin, m.threshold_days FROM notify_messages m CROSS JOIN LATERAL unnest(m.certificate_ids) AS r(id) JOIN certificates c ON c.id = r.id
        WHERE m.channel = ${channel} ORDER BY c.subject_iin`.execute(ctx.store.db)
    ).rows.map((r) => `${r.subject_iin}:${r.threshold_days}`);

  test('a day’s expiries become due together at the local send hour, T days before; a pair split across pages shares one message', async () => {
    const db = ctx.store.db;
    const ca = await insertCa(db);
    await insertCertificate(db, ca, { iin: a, kind: 'SIGN', notAfter: local('2030-03-19T12:00:00') }); // due since 09.03 10:00
    await insertCertificate(db, ca, { iin: b, kind: 'SIGN', notAfter: local('2030-03-20T00:30:00') }); // due from 10.03 10:00
    await insertPair(db, ca, pair, local('2030-03-20T23:59:00'));
    await insertCertificate(db, ca, { iin: held, kind: 'SIGN', notAfter: local('2030-03-20T09:00:00'), status: 'on_hold' });
    // A newer legal-entity certificate does not supersede the personal one; a newer personal one does (below).
    await insertCertificate(db, ca, { iin: entity, kind: 'AUTH', notAfter: local('2030-03-20T10:00:00') });
    await insertCertificate(db, ca, { iin: entity, kind: 'AUTH', notAfter: local('2031-03-20T10:00:00'), bin: '990340000123' });

    const first = await scan({ now: early });
    assert.deepEqual([first.created[10], first.messages], [1, 1]);
    assert.deepEqual(await reminded('sms'), [`${a}:10`]);

    const second = await scan({ now: late, pageSize: 1 });
    assert.deepEqual([second.created[10], second.messages], [4, 3]);
    assert.deepEqual(await reminded('sms'), [`${a}:10`, `${b}:10`, `${pair}:10`, `${pair}:10`, `${entity}:10`].sort());
    const pairMessages = await db.selectFrom('notify_messages').select(['id', 'expires_at']).where('iin', '=', pair).execute();
    assert.equal(pairMessages.length, 1, 'AUTH and SIGN of one day: one SMS');

    // Scanning again the same day reads nothing and creates nothing.
    const again = await scan({ now: new Date(late.getTime() + 60_000) });
    assert.deepEqual([again.examined[10], again.created[10]], [0, 0]);
  });

  test('a certificate released from hold behind the cursor is caught up by the next scan (not read again a day later)', async () => {
    const db = ctx.store.db;
    const heldIds = (await db.selectFrom('certificates').select('id').where('subject_iin', '=', held).execute()).map((r) => r.id);
    await setStatusAudited(db, heldIds, { status: 'good', revocation_reason: null, revoked_at: null, invalidity_date: null });
    const next = await scan({ now: new Date(late.getTime() + 120_000) });
    assert.deepEqual([next.created[10], next.caughtUp], [1, 1]);
    assert.ok((await reminded('sms')).includes(`${held}:10`));
    // Nor twice: the next day's first scan looks at a whole day of changes again, and finds it done.
    const nextDay = await scan({ now: new Date(late.getTime() + DAY_MS) });
    assert.equal(nextDay.created[10], 0);
    assert.ok(nextDay.caughtUp >= 1, 'the day’s changes were looked at again');
  });

  test('e-mail thresholds are exclusive: a certificate first seen 5 days ahead gets the 7-day reminder only', async () => {
    const db = ctx.store.db;
    const ca = await insertCa(db);
    await insertCertificate(db, ca, { iin: soon, kind: 'SIGN', notAfter: local('2030-03-15T12:00:00') });
    const result = await scan({ channel: 'email', thresholdsDays: [30, 14, 7], now: late });
    // The certificates of the first test expire 9–10 days ahead: the 14-day e-mail, not the 30-day one too.
    assert.deepEqual(result.created, { 30: 0, 14: 6, 7: 1 });
    assert.deepEqual((await reminded('email')).filter((r) => r.startsWith(soon)), [`${soon}:7`]);
  });

  test('a person who re-issued gets no reminder for the old certificate', async () => {
    const db = ctx.store.db;
    const ca = await insertCa(db);
    const [renewed] = testIins(1, 62) as [string];
    await insertPair(db, ca, renewed, local('2030-03-20T15:00:00'));
    await insertPair(db, ca, renewed, local('2031-03-01T15:00:00'));
    const result = await scan({ now: new Date(late.getTime() + DAY_MS + 60_000), thresholdsDays: [11] });
    assert.ok(!(await reminded('sms')).some((r) => r.startsWith(renewed)), 'the superseded pair was reminded');
    assert.ok(result.examined[11]! >= 2);
  });

  test('the next day reads only the day’s new arrivals; behind the cursors, a newer certificate revoked or one issued close to expiry is caught up', async () => {
    const db = ctx.store.db;
    const ca = await insertCa(db);
    const [tomorrow, older, shortLived] = testIins(3, 63) as [string, string, string];
    const day3 = new Date(late.getTime() + 3 * DAY_MS);
    // Read everything due on day 3 first: the cursor is at the end of the window.
    await scan({ now: day3 });
    await insertCertificate(db, ca, { iin: tomorrow, kind: 'SIGN', notAfter: local('2030-03-24T12:00:00') }); // enters the window on day 4
    const before = await scan({ now: day3 });
    assert.deepEqual([before.created[10], before.examined[10]], [0, 0], 'above the cursor, not due yet');
    const day4 = await scan({ now: new Date(late.getTime() + 4 * DAY_MS) });
    assert.deepEqual([day4.created[10], day4.examined[10]! - day4.caughtUp], [1, 1], 'one new expiry day read: one certificate');

    // A person re-issued (older superseded, not reminded), then the newer certificate is revoked: the older is due again.
    await insertCertificate(db, ca, { iin: older, kind: 'AUTH', notAfter: local('2030-03-23T12:00:00') });
    const newer = await insertCertificate(db, ca, { iin: older, kind: 'AUTH', notAfter: local('2031-03-23T12:00:00') });
    // Issued today and expiring within the window (a CA near its own end caps validity): behind the cursor too.
    await insertCertificate(db, ca, { iin: shortLived, kind: 'SIGN', notAfter: local('2030-03-16T12:00:00') });
    const sameDay = await scan({ now: new Date(late.getTime() + 4 * DAY_MS + 60_000) });
    assert.equal(sameDay.created[10], 1, 'the short-lived one; the older one is superseded');
    await setStatusAudited(db, [newer], { status: 'revoked', revocation_reason: 4, revoked_at: new Date() });
    const afterRevocation = await scan({ now: new Date(late.getTime() + 4 * DAY_MS + 120_000) });
    assert.equal(afterRevocation.created[10], 1);
    assert.ok((await reminded('sms')).includes(`${older}:10`));
    assert.ok((await reminded('sms')).includes(`${shortLived}:10`));
  });
});
