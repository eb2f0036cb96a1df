import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachBackend } from '../../store/testing.ts';
import { DAY_MS, insertCa, insertPeopleInBulk, testIins } from '../testing/fixtures.ts';
import { scanDueReminders } from '../schedule/scan.ts';
import { destinationHash } from './destination.ts';
import { resolveLapsedLeases } from './lapsed.ts';
import { recordReceipts } from './receipts.ts';
import { claimDue, recordDestinations } from './rows.ts';

describeEachBackend('messages whose worker died while sending', (ctx) => {
  test('never handed to a transport → pending again; proven by a receipt → sent; no proof after the grace period → sent again', async () => {
    const db = ctx.store.db;
    const people = testIins(4, 51).map((iin, i) => ({ iin, phone: `+7707000000${i}` }));
    await insertPeopleInBulk(db, await insertCa(db), people, new Date(Date.now() + 9 * DAY_MS));
    const now = new Date();
    await scanDueReminders(db, { channel: 'sms', thresholdsDays: [10], now, timeZone: 'Asia/Almaty', sendFromHour: 10, pageSize: 100 });
    const claimed = await claimDue(db, { now, leaseMs: 1000, limit: 10, channels: ['sms'] });
    assert.equal(claimed.length, 4);
    const byIin = new Map(claimed.map((c) => [c.iin, c]));
    const [noDestination, proven, unproven, late] = people.map((p) => byIin.get(p.iin)!);
    // Three of them got as far as the transport; the first did not.
    await recordDestinations(
      db,
      [proven!, unproven!, late!].map((c) => {
        const phone = people.find((p) => p.iin === c.iin)!.phone;
        return { id: c.id, attempts: c.attempts, masked: 'x', hash: destinationHash(phone), language: 'kk+ru' as const };
      }),
    );
    // The SMSC re-sends, to the next session, the receipt of what `proven` submitted (ids we never stored).
    const provenPhone = people.find((p) => p.iin === proven!.iin)!.phone;
    const matched = await recordReceipts(db, [
      { messageId: 'smsc-77', state: 'DELIVRD', final: true, errorCode: '000', recipient: provenPhone.slice(1), submittedAt: new Date(now.getTime() + 1000) },
      // A receipt for the same number from long before the claim proves nothing about this send.
      { messageId: 'smsc-12', state: 'DELIVRD', final: true, recipient: people.find((p) => p.iin === unproven!.iin)!.phone.slice(1), submittedAt: new Date(now.getTime() - 3_600_000) },
    ]);
    assert.deepEqual(matched, [undefined, undefined]);

    // Within the lease nothing is touched.
    assert.deepEqual(await resolveLapsedLeases(db, { now, graceMs: 5000 }), { neverSent: 0, provenByReceipt: 0, retried: 0, waiting: 0 });
    // Lease lapsed, grace period running: the unproven ones wait for a receipt that may still come.
    const lapsed = new Date(now.getTime() + 2000);
    assert.deepEqual(await resolveLapsedLeases(db, { now: lapsed, graceMs: 5000 }), { neverSent: 1, provenByReceipt: 1, retried: 0, waiting: 2 });
    // Grace over: sent again rather than lost.
    assert.deepEqual(await resolveLapsedLeases(db, { now: new Date(now.getTime() + 10_000), graceMs: 5000 }), { neverSent: 0, provenByReceipt: 0, retried: 2, waiting: 0 });

    const rows = await db.selectFrom('notify_messages').select(['id', 'state', 'attempts', 'uncertain_resolution', 'provider_ids', 'receipt_state']).execute();
    const state = new Map(rows.map((r) => [r.id, r]));
    assert.deepEqual(state.get(noDestination!.id), { id: noDestination!.id, state: 'pending', attempts: 0, uncertain_resolution: null, provider_ids: null, receipt_state: null });
    assert.deepEqual(state.get(proven!.id), { id: proven!.id, state: 'delivered', attempts: 1, uncertain_resolution: 'receipt', provider_ids: ['smsc-77'], receipt_state: 'DELIVRD' });
    assert.equal(state.get(unproven!.id)!.state, 'pending');
    assert.equal(state.get(unproven!.id)!.uncertain_resolution, 'retried');
    assert.equal(state.get(late!.id)!.uncertain_resolution, 'retried');
  });
});
