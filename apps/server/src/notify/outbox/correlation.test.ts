/**
 * Each way an SMSC's evidence can reach the outbox, with the real smpp library as SMSC: the receipt before the
 * submit_sm_resp, after it, never; and the SMSC going down and coming back while submits are unanswered.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { createSmsGateway } from '../config.ts';
import { silentLog } from '../log.ts';
import { Notifier } from '../notifier.ts';
import { resolveNotifySettings } from '../settings.ts';
import type { SmppSmsGateway } from '../sms/smpp/smpp-gateway.ts';
import { DAY_MS, insertCa, insertPeopleInBulk, testIins } from '../testing/fixtures.ts';
import { ReceiptingSmsc, type ReceiptingSmscOptions } from '../testing/receipting-smsc.ts';
import { outboxStatus, retryMessages } from './admin.ts';

const phone = (i: number) => `+7705${String(i).padStart(7, '0')}`;

describeEachBackend('SMS evidence paths with a real SMSC', (ctx) => {
  const people = testIins(8, 61).map((iin, i) => ({ iin, phone: phone(i) }));
  const idOf = new Map<string, string>();

  test('set-up: eight people due for their SMS reminder; none released yet', async () => {
    const db = ctx.store.db;
    await insertPeopleInBulk(db, await insertCa(db), people, new Date(Date.now() + 9 * DAY_MS));
    const n = new Notifier({ db, settings: resolveNotifySettings({ emailThresholdsDays: [] }, { publicUrl: 'https://qoltanba.kz', env: {} }), sms: undefined, mail: undefined, log: silentLog });
    assert.equal((await n.scan()).sms.messages, people.length);
    // Nothing is due until a test says which of its people are.
    await sql`UPDATE notify_messages SET next_attempt_at = 'infinity'`.execute(db);
    for (const m of await db.selectFrom('notify_messages').select(['id', 'iin']).execute()) idOf.set(people.find((p) => p.iin === m.iin)!.phone, m.id);
  });

  /** Delivers the reminders of `who` through an SMSC behaving as `smsc` says; returns it, running. */
  async function withSmsc<T>(
    options: ReceiptingSmscOptions,
    who: number[],
    run: (s: { smsc: ReceiptingSmsc; notifier: Notifier; gateway: SmppSmsGateway }) => Promise<T>,
    sms: { receiptReference?: boolean } = {},
  ): Promise<T> {
    const db = ctx.store.db;
    await db.updateTable('notify_messages').set({ next_attempt_at: new Date() }).where('id', 'in', who.map((i) => idOf.get(phone(i))!)).execute();
    const smsc = await ReceiptingSmsc.start(options);
    const settings = resolveNotifySettings(
      {
        sms: { type: 'smpp', host: '127.0.0.1', port: smsc.port, systemId: 'qoltanba', password: 'secret', source: 'Qoltanba', bindWaitMs: 2000, reconnect: { initialMs: 100, maxMs: 300 }, ...sms },
        emailThresholdsDays: [],
        retry: { maxAttempts: 5, baseSeconds: 0.1, maxSeconds: 0.2 },
      },
      { publicUrl: 'https://qoltanba.kz', env: {} },
    );
    const gateway = createSmsGateway(settings.sms!, { production: false }) as SmppSmsGateway;
    const notifier = new Notifier({ db, settings: { ...settings, mail: undefined }, sms: gateway, mail: undefined, log: silentLog });
    try {
      return await run({ smsc, notifier, gateway });
    } finally {
      await notifier.stop();
      await gateway.close();
      await smsc.close();
    }
  }

  const row = (i: number) =>
    ctx.store.db.selectFrom('notify_messages').select(['state', 'provider_ids', 'uncertain_resolution', 'submit_reference']).where('id', '=', idOf.get(phone(i))!).executeTakeFirstOrThrow();
  const receiptsOf = (i: number) => ctx.store.db.selectFrom('notify_receipts').select(['provider_id', 'reference', 'attempt']).where('message_id', '=', idOf.get(phone(i))!).orderBy('provider_id').execute();

  test('the receipt comes before the submit_sm_resp: it names our reference, is recorded against the send at once, and the send ends delivered, once', async () => {
    await withSmsc({ receiptBeforeResponse: true, responseDelayMs: 400 }, [0], async ({ smsc, notifier }) => {
      const pass = await notifier.pass({ scan: false });
      assert.deepEqual([pass.delivery.sent, pass.delivery.unknown], [1, 0]);
      await smsc.receiptsAcknowledged();
      const m = await row(0);
      assert.equal(m.state, 'delivered');
      assert.equal(m.uncertain_resolution, null);
      // Both parts' receipts were attached by our reference while the send still waited for its answer.
      const receipts = await receiptsOf(0);
      assert.deepEqual(receipts.map((r) => r.reference), [m.submit_reference, m.submit_reference]);
      assert.deepEqual(receipts.map((r) => r.provider_id), [...m.provider_ids!].sort());
      assert.deepEqual(smsc.received.map((r) => r.userMessageReference), [m.submit_reference, m.submit_reference]);
      assert.equal(smsc.countsByDestination().get(phone(0).slice(1)), 1);
    });
  });

  test('the receipt comes after the submit_sm_resp, seconds late: delivered, once', async () => {
    await withSmsc({ receiptDelayMs: 1500 }, [1], async ({ smsc, notifier }) => {
      assert.equal((await notifier.pass({ scan: false })).delivery.sent, 1);
      assert.equal((await row(1)).state, 'sent');
      await smsc.receiptsAcknowledged();
      await notifier.receiptsSettled();
      assert.equal((await row(1)).state, 'delivered');
      assert.equal(smsc.countsByDestination().get(phone(1).slice(1)), 1);
    });
  });

  test('the receipt never comes: the SMSC’s answer alone makes it sent — not unknown, not sent again', async () => {
    await withSmsc({ receiptFor: () => false }, [2], async ({ smsc, notifier }) => {
      assert.equal((await notifier.pass({ scan: false })).delivery.sent, 1);
      const again = await notifier.pass({ scan: false });
      assert.equal(again.delivery.claimed, 0);
      const m = await row(2);
      assert.deepEqual([m.state, m.provider_ids!.length], ['sent', 2]);
      assert.equal(smsc.countsByDestination().get(phone(2).slice(1)), 1);
    });
  });

  test('the SMSC goes down with submits unanswered and comes back: what it had accepted is decided by its receipts, what it lost stays unknown until the operator sends it again — everyone gets exactly one', async () => {
    let submits = 0;
    let allIn!: () => void;
    const sixIn = new Promise<void>((resolve) => (allIn = resolve));
    // Person 3 answered; person 4 accepted but the answers died with the SMSC; person 5 lost in the crash.
    const fates: Record<string, 'answer' | 'silent' | 'lost'> = { [phone(3).slice(1)]: 'answer', [phone(4).slice(1)]: 'silent', [phone(5).slice(1)]: 'lost' };
    await withSmsc(
      {
        receiptDelayMs: 300,
        // Only until the outage: after it, the SMSC answers everything.
        submitFate: (_n, destination) => {
          if (++submits > 6) return 'answer';
          if (submits === 6) setImmediate(allIn);
          return fates[destination];
        },
      },
      [3, 4, 5],
      async ({ smsc, notifier, gateway }) => {
        const port = smsc.port;
        const passing = notifier.pass({ scan: false });
        await sixIn;
        await smsc.stop();
        const pass = await passing;
        assert.deepEqual([pass.delivery.sent, pass.delivery.unknown, pass.delivery.retried], [1, 2, 0], JSON.stringify(pass.delivery));
        assert.deepEqual([(await row(4)).state, (await row(5)).state], ['unknown', 'unknown']);
        // Nothing goes out again by itself, however many passes run.
        await notifier.pass({ scan: false });
        assert.equal(smsc.received.length, 4);
        await smsc.listen(port);
        await gateway.ready(5000);
        await smsc.receiptsAcknowledged();
        await notifier.receiptsSettled();
        const accepted = await row(4);
        assert.deepEqual([accepted.state, accepted.uncertain_resolution, accepted.provider_ids!.length], ['delivered', 'receipt', 2]);
        assert.equal((await row(3)).state, 'delivered');
        const status = await outboxStatus(ctx.store.db);
        assert.deepEqual(status.unknown.map((u) => u.id), [idOf.get(phone(5))]);
        assert.equal(smsc.countsByDestination().get(phone(5).slice(1)), undefined);
        // The operator (seeing nothing at the SMSC for it) sends it again.
        await retryMessages(ctx.store.db, { allUnknown: true }, 'operator:test');
        const third = await notifier.pass({ scan: false });
        assert.equal(third.delivery.sent, 1);
        await smsc.receiptsAcknowledged();
        await notifier.receiptsSettled();
        assert.equal((await row(5)).state, 'delivered');
        assert.deepEqual(
          [3, 4, 5].map((i) => smsc.countsByDestination().get(phone(i).slice(1))),
          [1, 1, 1],
        );
      },
    );
  });

  test('an SMSC that does not echo our reference, a connection lost mid-send: at-least-once sends it again and lists it as possibly twice', async () => {
    let dropped = false;
    await withSmsc(
      {
        echoReference: false,
        submitFate: () => (dropped ? 'answer' : 'silent'),
      },
      [6],
      async ({ smsc, gateway, notifier }) => {
        assert.equal(gateway.correlation, 'none');
        const port = smsc.port;
        const passing = notifier.pass({ scan: false });
        while (smsc.received.length < 2) await new Promise((r) => setTimeout(r, 20));
        dropped = true;
        await smsc.stop();
        const pass = await passing;
        assert.deepEqual([pass.delivery.retried, pass.delivery.unknown], [1, 0]);
        await smsc.listen(port);
        await gateway.ready(5000);
        for (let i = 0; i < 50 && (await row(6)).state !== 'sent' && (await row(6)).state !== 'delivered'; i++) {
          await notifier.pass({ scan: false });
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(smsc.countsByDestination().get(phone(6).slice(1)), 2, 'sent twice: the SMSC had the first one');
        const status = await outboxStatus(ctx.store.db);
        assert.deepEqual(status.possiblyTwice.map((t) => t.id), [idOf.get(phone(6))]);
      },
      // The deployment says what its SMSC does not do.
      { receiptReference: false },
    );
  });
});
