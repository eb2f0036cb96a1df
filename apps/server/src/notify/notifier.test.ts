import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import smpp from 'smpp';
import { createMailer, createSmsGateway } from './config.ts';
import { silentLog } from './log.ts';
import { bodyOf, parseMime } from './testing/mime.ts';
import { expiryReminderEmail, expiryReminderSms } from './messages.ts';
import { Notifier } from './notifier.ts';
import { outboxStatus, retryMessages } from './outbox/admin.ts';
import { resolveNotifySettings, type NotifySettingsInput } from './settings.ts';
import type { SmppSmsGateway } from './sms/smpp/smpp-gateway.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { DAY_MS, insertCa, insertCertificate, insertPair, insertPerson, testIins } from './testing/fixtures.ts';
import { ReceiptingSmsc } from './testing/receipting-smsc.ts';
import { startTestSmtp, type TestSmtp } from './testing/smtp.ts';

const PORTAL = 'https://qoltanba.kz';
const REJECTED = '77019990000';
const phoneOf = (i: number) => `+7701555${String(i).padStart(4, '0')}`;

function settings(smsc: ReceiptingSmsc, smtp: TestSmtp | undefined, extra: NotifySettingsInput = {}) {
  return resolveNotifySettings(
    {
      sms: { type: 'smpp', host: '127.0.0.1', port: smsc.port, systemId: 'qoltanba', password: 'secret', source: 'Qoltanba', bindWaitMs: 500, reconnect: { initialMs: 100, maxMs: 300 } },
      mail: smtp && { type: 'smtp', host: '127.0.0.1', port: smtp.port, security: 'none', from: '"Qoltanba" <noreply@qoltanba.kz>', timeoutMs: 3000 },
      retry: { maxAttempts: 30, baseSeconds: 0.1, maxSeconds: 0.3 },
      leaseSeconds: 5,
      ...extra,
    },
    { publicUrl: PORTAL, env: {} },
  );
}

async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeEachBackend('expiry reminders through a real SMSC and a real SMTP server', (ctx) => {
  const iins = testIins(12, 7);
  const [full, reissued, noRegistry, nobody, unverified, rejected, russian, revoked] = iins as [string, string, string, string, string, string, string, string];
  const expiresAt = new Date(Date.now() + 9 * DAY_MS);
  let smtp: TestSmtp | undefined;
  let smsc: ReceiptingSmsc | undefined;
  after(async () => {
    await smtp?.close();
    await smsc?.close();
  });

  test('one SMS and one e-mail per person and expiry day, in the person’s language; re-issued, revoked and unregistered people get none', async () => {
    smtp = await startTestSmtp();
    smsc = await ReceiptingSmsc.start({ statusFor: (d) => (d === REJECTED ? (smpp.errors.ESME_RINVDSTADR as number) : undefined), receiptDelayMs: 20 });
    const db = ctx.store.db;
    const ca = await insertCa(db);
    await insertPerson(db, full, { email: 'aigerim@mail.kz', givenName: 'АЙГЕРІМ' });
    await insertPerson(db, reissued, { email: 'reissued@mail.kz' });
    await insertPerson(db, noRegistry, { email: 'noreg@mail.kz' });
    for (const p of [nobody, unverified, rejected, russian, revoked]) await insertPerson(db, p);
    await insertPair(db, ca, full, expiresAt);
    // A legal-entity certificate of the same person expires later: it does not supersede the personal one.
    await insertCertificate(db, ca, { iin: full, kind: 'SIGN', notAfter: new Date(Date.now() + 700 * DAY_MS), bin: '123456789012' });
    await insertPair(db, ca, reissued, expiresAt);
    await insertPair(db, ca, reissued, new Date(Date.now() + 374 * DAY_MS));
    for (const p of [noRegistry, nobody, unverified, rejected, russian]) await insertPair(db, ca, p, expiresAt);
    await insertCertificate(db, ca, { iin: revoked, kind: 'SIGN', notAfter: expiresAt, status: 'revoked' });
    await db.insertInto('mobile_registry').values([
      { iin: full, phone: phoneOf(1), verified: true, source: 't', import_id: '00000000-0000-4000-8000-000000000001' },
      { iin: reissued, phone: phoneOf(2), verified: true, source: 't', import_id: '00000000-0000-4000-8000-000000000001' },
      { iin: unverified, phone: phoneOf(5), verified: false, source: 't', import_id: '00000000-0000-4000-8000-000000000001' },
      { iin: rejected, phone: `+${REJECTED}`, verified: true, source: 't', import_id: '00000000-0000-4000-8000-000000000001' },
      { iin: russian, phone: phoneOf(7), verified: true, source: 't', import_id: '00000000-0000-4000-8000-000000000001' },
      { iin: revoked, phone: phoneOf(8), verified: true, source: 't', import_id: '00000000-0000-4000-8000-000000000001' },
    ]).execute();
    await db.insertInto('notify_preferences').values({ iin: russian, language: 'ru' }).execute();

    const s = settings(smsc, smtp);
    const sms = createSmsGateway(s.sms!, { production: false }) as SmppSmsGateway;
    const mail = createMailer(s.mail!, { production: false });
    const notifier = new Notifier({ db, settings: s, sms, mail, log: { ...silentLog, error: (f, m) => console.log(m, f) } });
    try {
      const pass = await notifier.pass();
      // SMS (threshold 10): full, noRegistry, nobody, unverified, rejected, russian — one message per person.
      assert.equal(pass.scan!.sms.created[10], 12);
      assert.equal(pass.scan!.sms.messages, 6);
      // E-mail: 9 days ahead falls in the 14-day window (after 7, before 14); the 30-day one is not due for it.
      assert.deepEqual([pass.scan!.email.created[30], pass.scan!.email.created[14], pass.scan!.email.created[7]], [0, 12, 0]);
      assert.deepEqual(pass.delivery, { claimed: 12, sent: 4, retried: 0, failed: 1, skipped: 7, unknown: 0 });

      // What the SMSC received: UCS-2 texts, to the registered numbers, exactly the catalogue's words.
      const counts = smsc.countsByDestination();
      assert.deepEqual([...counts.entries()].sort(), [[phoneOf(1).slice(1), 1], [REJECTED, 1], [phoneOf(7).slice(1), 1]].sort());
      assert.deepEqual(smsc.textsTo(phoneOf(1).slice(1)), [expiryReminderSms('kk+ru', { kind: 'both', expiresAt, portalUrl: PORTAL })]);
      assert.deepEqual(smsc.textsTo(phoneOf(7).slice(1)), [expiryReminderSms('ru', { kind: 'both', expiresAt, portalUrl: PORTAL })]);
      assert.ok(smsc.received.filter((r) => r.destination !== REJECTED).every((r) => r.dataCoding === 8 && r.source === 'Qoltanba'));

      // What the mail server received: one mail to each person with an address, none for the re-issued one.
      assert.deepEqual(smtp.received.map((m) => m.to).sort(), [['aigerim@mail.kz'], ['noreg@mail.kz']]);
      const letter = parseMime(smtp.received.find((m) => m.to[0] === 'aigerim@mail.kz')!.raw);
      const expected = expiryReminderEmail('kk+ru', { kind: 'both', expiresAt, portalUrl: PORTAL, name: 'Айгерім' });
      assert.equal(letter.headers.get('subject'), expected.subject);
      assert.match(bodyOf(letter, 'text/plain')!, /Сәлеметсіз бе, Айгерім!/);
      assert.match(bodyOf(letter, 'text/plain')!, /qoltanba\.kz/);

      // Receipts come back and are recorded against the messages.
      await until('both SMS delivered', async () => (await outboxStatus(db)).counts.sms.delivered === 2).catch(async (e) => {
        console.log(await db.selectFrom('notify_receipts').select(['provider_id', 'message_id', 'state']).execute(), await db.selectFrom('notify_messages').select(['id', 'state', 'provider_ids', 'channel']).where('channel', '=', 'sms').execute());
        throw e;
      });
      const status = await outboxStatus(db);
      assert.deepEqual(status.counts.sms, { pending: 0, sending: 0, unknown: 0, sent: 0, delivered: 2, undelivered: 0, failed: 1, skipped: 3 });
      assert.deepEqual(status.counts.email, { pending: 0, sending: 0, unknown: 0, sent: 2, delivered: 0, undelivered: 0, failed: 0, skipped: 4 });
      assert.equal(status.reminders, 24);
      const why = Object.fromEntries(status.reasons.map((r) => [`${r.channel}:${r.state}:${r.code}`, r.count]));
      assert.deepEqual(why, {
        'email:skipped:no_email': 4,
        'sms:failed:QT_ERR_SMS_REJECTED': 1,
        'sms:skipped:not_in_registry': 2,
        'sms:skipped:number_not_verified': 1,
      });
      const dead = status.recentFailures[0]!;
      assert.match(dead.error!, /ESME_RINVDSTADR/);
      assert.equal(dead.destination, '+7******0000');
      const audit = await db.selectFrom('audit_log').select(['action', 'details']).where('action', '=', 'notify.dead_lettered').execute();
      assert.equal(audit.length, 1);
      assert.doesNotMatch(JSON.stringify(audit), /7019990000/);

      // A second pass (and a third) finds nothing new and sends nothing again.
      const again = await notifier.pass();
      assert.deepEqual([again.scan!.sms.messages, again.scan!.email.messages, again.delivery.claimed], [0, 0, 0]);
      assert.equal(smsc.received.length, 3 * 2);

      // The operator fixes the number and retries the dead letter: it goes out once more, and that is audited.
      await db.updateTable('mobile_registry').set({ phone: phoneOf(6) }).where('iin', '=', rejected).execute();
      const retried = await retryMessages(db, { allFailed: true }, 'operator:test');
      assert.equal(retried.length, 1);
      const third = await notifier.pass({ scan: false });
      assert.equal(third.delivery.sent, 1);
      assert.equal(smsc.countsByDestination().get(phoneOf(6).slice(1)), 1);
      assert.equal((await db.selectFrom('audit_log').select('action').where('action', '=', 'notify.retried').execute()).length, 1);
    } finally {
      await notifier.stop();
      await sms.close();
      await mail.close();
    }
  });
});

describeEachBackend('expiry reminders while the SMSC is down', (ctx) => {
  test('the SMSC is down for a while: the reminder is retried with backoff and delivered once after it returns', async () => {
    const db = ctx.store.db;
    const [slow] = testIins(1, 8) as [string];
    const ca = await insertCa(db);
    await insertPerson(db, slow);
    await insertPair(db, ca, slow, new Date(Date.now() + 8 * DAY_MS));
    await db.insertInto('mobile_registry').values({ iin: slow, phone: phoneOf(9), verified: true, source: 't', import_id: '00000000-0000-4000-8000-000000000002' }).execute();
    const outage = await ReceiptingSmsc.start();
    const port = outage.port;
    await outage.stop();
    const s = settings(outage, undefined, { emailThresholdsDays: [] });
    const sms = createSmsGateway(s.sms!, { production: false }) as SmppSmsGateway;
    const notifier = new Notifier({ db, settings: { ...s, mail: undefined }, sms, mail: undefined, log: { ...silentLog, error: (f, m) => console.log(m, f) } });
    try {
      const first = await notifier.pass();
      assert.deepEqual([first.delivery.claimed, first.delivery.retried], [1, 1]);
      const row = await db.selectFrom('notify_messages').select(['state', 'attempts', 'last_error_code', 'next_attempt_at']).where('iin', '=', slow).executeTakeFirstOrThrow();
      assert.equal(row.state, 'pending');
      assert.equal(row.last_error_code, 'QT_ERR_SMS_UNAVAILABLE');
      // Two more failed attempts while it stays down, each after a longer wait.
      await until('a third attempt', async () => {
        await notifier.pass({ scan: false });
        return (await db.selectFrom('notify_messages').select('attempts').where('iin', '=', slow).executeTakeFirstOrThrow()).attempts >= 3;
      });
      await outage.listen(port);
      await until('delivered after the SMSC came back', async () => {
        await notifier.pass({ scan: false });
        const m = await db.selectFrom('notify_messages').select('state').where('iin', '=', slow).executeTakeFirstOrThrow();
        return m.state === 'delivered';
      });
      assert.equal(outage.countsByDestination().get(phoneOf(9).slice(1)), 1);
      assert.equal(outage.received.length, 2, 'a two-part SMS, received once');
    } finally {
      await notifier.stop();
      await sms.close();
      await outage.close();
    }
  });
});
