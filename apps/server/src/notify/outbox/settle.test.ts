import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isQtError } from '@qoltanba/pki';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { DAY_MS, insertCa, insertPeopleInBulk, testIins } from '../testing/fixtures.ts';
import { scanDueReminders } from '../schedule/scan.ts';
import type { SendCorrelation } from '../sms/gateway.ts';
import { destinationHash } from './destination.ts';
import { outboxStatus, retryMessages } from './admin.ts';
import { recordReceipts } from './receipts.ts';
import { claimDue, recordIntents, type Claimed } from './rows.ts';
import { settleLapsedLeases } from './settle.ts';

describeEachBackend('sends whose worker died, settled by the SMSC’s evidence only', (ctx) => {
  const people = testIins(7, 51).map((iin, i) => ({ iin, phone: `+7707000000${i}` }));
  const phoneOf = (c: Claimed) => people.find((p) => p.iin === c.iin)!.phone;
  let byIin: Map<string, Claimed>;
  const now = new Date();
  const references = new Map<string, number>();

  test('set-up: seven reminders claimed; six reached the point where the next hop may have them', async () => {
    const db = ctx.store.db;
    await insertPeopleInBulk(db, await insertCa(db), people, new Date(Date.now() + 9 * DAY_MS));
    await scanDueReminders(db, { channel: 'sms', thresholdsDays: [10], now, timeZone: 'Asia/Almaty', sendFromHour: 10, pageSize: 100 });
    const claimed = await claimDue(db, { now, leaseMs: 1000, limit: 10, channels: ['sms'] });
    assert.equal(claimed.length, 7);
    byIin = new Map(claimed.map((c) => [c.iin, c]));
    const correlations: Array<SendCorrelation | undefined> = [undefined, 'receipt-reference', 'receipt-reference', 'receipt-reference', 'none', 'idempotency-key', 'receipt-reference'];
    const intents = people.flatMap((p, i) => {
      const c = byIin.get(p.iin)!;
      const correlation = correlations[i];
      return correlation ? [{ id: c.id, attempts: c.attempts, masked: 'x', hash: destinationHash(p.phone), language: 'kk+ru' as const, parts: 2, correlation }] : [];
    });
    const recorded = await recordIntents(db, intents);
    assert.equal(recorded.size, 6);
    for (const [id, ref] of recorded) references.set(id, ref);
    assert.equal(new Set(recorded.values()).size, 6, 'each send its own reference');
  });

  test('a receipt naming our reference proves a send even before its submit_sm_resp was recorded; another number’s or another reference’s does not', async () => {
    const db = ctx.store.db;
    const [, proven, unproven] = people.map((p) => byIin.get(p.iin)!);
    const ref = references.get(proven!.id)!;
    const matched = await recordReceipts(db, [
      { messageId: 'smsc-77', state: 'DELIVRD', final: true, errorCode: '000', recipient: phoneOf(proven!).slice(1), reference: ref, submittedAt: new Date(now.getTime() + 1000) },
      // Our reference, but to another number; another reference to the number of a send still unproven.
      { messageId: 'smsc-78', state: 'DELIVRD', final: true, recipient: '77079999999', reference: ref },
      { messageId: 'smsc-79', state: 'DELIVRD', final: true, recipient: phoneOf(unproven!).slice(1), reference: (references.get(unproven!.id)! + 1) % 65536 },
      // A receipt with no reference at all (an OTP from the portal to the same number) proves nothing either.
      { messageId: 'smsc-80', state: 'DELIVRD', final: true, recipient: phoneOf(unproven!).slice(1), submittedAt: new Date(now.getTime() + 1000) },
    ]);
    assert.deepEqual(matched, [proven!.id, undefined, undefined, undefined]);
  });

  test('lease lapsed: never handed over → pending; proven → sent; reference-correlated without evidence → unknown, however long it waits; none → sent again (at-least-once); idempotency key → sent again', async () => {
    const db = ctx.store.db;
    // Within the lease nothing is touched.
    assert.deepEqual(await settleLapsedLeases(db, { now, uncorrelatedSends: 'at-least-once' }), { neverSent: 0, provenByReceipt: 0, unknown: 0, resent: 0 });
    // An hour later — or a year: time decides nothing.
    assert.deepEqual(await settleLapsedLeases(db, { now: new Date(now.getTime() + 3_600_000), uncorrelatedSends: 'at-least-once' }), { neverSent: 1, provenByReceipt: 1, unknown: 3, resent: 2 });
    const rows = new Map((await db.selectFrom('notify_messages').select(['id', 'state', 'attempts', 'uncertain_resolution', 'provider_ids', 'receipt_state']).execute()).map((r) => [r.id, r]));
    const [never, proven, unproven, late, none, keyed] = people.map((p) => rows.get(byIin.get(p.iin)!.id)!);
    assert.deepEqual([never!.state, never!.attempts, never!.uncertain_resolution], ['pending', 0, null]);
    // Two parts, one receipt: sent, not yet delivered.
    assert.deepEqual([proven!.state, proven!.uncertain_resolution, proven!.provider_ids], ['sent', 'receipt', ['smsc-77']]);
    assert.deepEqual([unproven!.state, late!.state], ['unknown', 'unknown']);
    assert.deepEqual([none!.state, none!.uncertain_resolution], ['pending', 'resent']);
    assert.deepEqual([keyed!.state, keyed!.uncertain_resolution], ['pending', 'resent-same-key']);
    const status = await outboxStatus(db);
    assert.equal(status.counts.sms.unknown, 3);
    assert.deepEqual(status.unknown.map((u) => u.id).sort(), [unproven!.id, late!.id, byIin.get(people[6]!.iin)!.id].sort());
    assert.deepEqual(status.possiblyTwice.map((t) => t.id), [none!.id]);
  });

  test('a receipt that comes days later still decides an unknown send; the second part’s receipt makes it delivered', async () => {
    const db = ctx.store.db;
    const [, proven, , late] = people.map((p) => byIin.get(p.iin)!);
    const ref = references.get(late!.id)!;
    await recordReceipts(db, [
      { messageId: 'smsc-90', state: 'DELIVRD', final: true, recipient: phoneOf(late!).slice(1), reference: ref },
      { messageId: 'smsc-91', state: 'DELIVRD', final: true, recipient: phoneOf(late!).slice(1), reference: ref },
      // The receipt of the proven send's second part, sent twice by the SMSC (its acknowledgement was lost): counted once.
      { messageId: 'smsc-76', state: 'DELIVRD', final: true, recipient: phoneOf(proven!).slice(1), reference: references.get(proven!.id)! },
      { messageId: 'smsc-76', state: 'DELIVRD', final: true, recipient: phoneOf(proven!).slice(1), reference: references.get(proven!.id)! },
    ]);
    const rows = new Map((await db.selectFrom('notify_messages').select(['id', 'state', 'uncertain_resolution', 'provider_ids']).execute()).map((r) => [r.id, r]));
    assert.deepEqual([rows.get(late!.id)!.state, rows.get(late!.id)!.uncertain_resolution, rows.get(late!.id)!.provider_ids], ['delivered', 'receipt', ['smsc-90', 'smsc-91']]);
    assert.deepEqual([rows.get(proven!.id)!.state, rows.get(proven!.id)!.provider_ids], ['delivered', ['smsc-76', 'smsc-77']]);
    const audit = await db.selectFrom('audit_log').select(['action', 'target']).where('action', 'like', 'notify.%').execute();
    assert.ok(audit.some((a) => a.action === 'notify.decided_by_receipt' && a.target === `notify_message:${late!.id}`));
    assert.equal(audit.filter((a) => a.action === 'notify.outcome_unknown').length, 3);
  });

  test('the operator decides the rest: one sent again, one recorded as sent; a sent one cannot be recorded so', async () => {
    const db = ctx.store.db;
    const unproven = byIin.get(people[2]!.iin)!;
    const last = byIin.get(people[6]!.iin)!;
    assert.deepEqual(await retryMessages(db, { ids: [unproven.id] }, 'operator:test', now), [unproven.id]);
    assert.deepEqual(await retryMessages(db, { ids: [last.id], asSent: true }, 'operator:test'), [last.id]);
    await assert.rejects(retryMessages(db, { ids: [byIin.get(people[1]!.iin)!.id], asSent: true }, 'operator:test'), (e) => isQtError(e, 'QT_ERR_NOTIFY_NOT_RETRYABLE'));
    const rows = new Map((await db.selectFrom('notify_messages').select(['id', 'state', 'uncertain_resolution']).execute()).map((r) => [r.id, r]));
    assert.deepEqual([rows.get(unproven.id)!.state, rows.get(unproven.id)!.uncertain_resolution], ['pending', 'operator-resent']);
    assert.deepEqual([rows.get(last.id)!.state, rows.get(last.id)!.uncertain_resolution], ['sent', 'operator-sent']);
    assert.equal((await outboxStatus(db)).counts.sms.unknown, 0);
    // A receipt for the original send turns up before the resend is taken: the resend is called off.
    await recordReceipts(db, [{ messageId: 'smsc-95', state: 'DELIVRD', final: true, recipient: phoneOf(unproven).slice(1), reference: references.get(unproven.id)! }]);
    const after = await db.selectFrom('notify_messages').select(['state', 'uncertain_resolution']).where('id', '=', unproven.id).executeTakeFirstOrThrow();
    assert.deepEqual([after.state, after.uncertain_resolution], ['sent', 'receipt']);
  });
});

describeEachBackend('at-most-once for sends no SMSC evidence can ever settle', (ctx) => {
  test('a send without correlation whose worker died stays unknown (listed), never sent again by itself', async () => {
    const db = ctx.store.db;
    const people = testIins(1, 52).map((iin) => ({ iin, phone: '+77070000099' }));
    await insertPeopleInBulk(db, await insertCa(db), people, new Date(Date.now() + 9 * DAY_MS));
    const now = new Date();
    await scanDueReminders(db, { channel: 'sms', thresholdsDays: [10], now, timeZone: 'Asia/Almaty', sendFromHour: 10, pageSize: 100 });
    const [c] = await claimDue(db, { now, leaseMs: 1000, limit: 10, channels: ['sms'] });
    await recordIntents(db, [{ id: c!.id, attempts: c!.attempts, masked: 'x', hash: destinationHash('+77070000099'), language: 'kk', parts: 1, correlation: 'none' }]);
    assert.deepEqual(await settleLapsedLeases(db, { now: new Date(now.getTime() + 5000), uncorrelatedSends: 'at-most-once' }), { neverSent: 0, provenByReceipt: 0, unknown: 1, resent: 0 });
    const status = await outboxStatus(db);
    assert.deepEqual(status.unknown.map((u) => u.id), [c!.id]);
    assert.deepEqual(status.possiblyTwice, []);
  });
});
