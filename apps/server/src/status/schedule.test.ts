import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type PgBoss from 'pg-boss';
import { createBoss } from '../store/index.ts';
import { describeEachBackend } from '../store/testing.ts';
import { TICK_QUEUE } from './schedule.ts';
import { createTestPki, setCertificateStatus, type TestPki } from './testing/pki.ts';
import { startStatusServer, type StatusHarness } from './testing/server.ts';

/** Polls until `check` returns a value (or fails after `ms`). */
async function eventually<T>(check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeEachBackend('the status schedule', (ctx) => {
  let pki: TestPki;
  let server: StatusHarness;
  let boss: PgBoss;
  const crls = () => ctx.store.db.selectFrom('crls').select(['crl_number', 'kind']).where('ca_id', '=', pki.ca.id).orderBy('crl_number').execute();

  test('the status service starts with pg-boss on the same database', async () => {
    pki = await createTestPki(ctx.store);
    server = await startStatusServer(ctx.store, pki);
    boss = createBoss(ctx.store);
    boss.on('error', (e) => assert.fail(e));
    await boss.start();
    await server.service.start({ boss, debounceSeconds: 2, pollingIntervalSeconds: 0.5 });
  });
  after(async () => {
    await server?.close();
    await pki?.close();
  });

  test('a tick job refreshes OCSP and publishes the CRLs that are due (the first full CRL; no delta right after it)', async () => {
    await boss.send(TICK_QUEUE, {});
    const made = await eventually(async () => ((await crls()).length > 0 ? crls() : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual((await crls()).map((c) => [c.crl_number, c.kind]), [['1', 'full']]);
    assert.equal(made.length, 1);
  });

  test('revocations in a burst are followed by one delta CRL soon, whichever node asks', async () => {
    for (let i = 0; i < 3; i++) {
      const leaf = await pki.issueLeaf();
      await setCertificateStatus(ctx.store, pki.ca.id, leaf.serial, { status: 'revoked', reason: 1, at: new Date() });
      await server.service.crlAfterRevocation(pki.ca.id);
    }
    const delta = await eventually(async () => (await crls()).find((c) => c.kind === 'delta'));
    assert.equal(delta.crl_number, '2');
    const entries = await ctx.store.db.selectFrom('crls').select('entry_count').where('ca_id', '=', pki.ca.id).where('crl_number', '=', '2').executeTakeFirstOrThrow();
    assert.equal(entries.entry_count, 3);
    // The asks made while the job waited were covered by it: no second delta follows.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await crls()).length, 2);
  });

  test('stops cleanly, and without pg-boss the same works on timers', async () => {
    await server.service.stop();
    await boss.stop({ graceful: true, wait: true, timeout: 5000 });
    const before = (await crls()).length;
    await server.service.start({ debounceSeconds: 0.3, tickSeconds: 3600 });
    const leaf = await pki.issueLeaf();
    await setCertificateStatus(ctx.store, pki.ca.id, leaf.serial, { status: 'on_hold', reason: 6, at: new Date() });
    await server.service.crlAfterRevocation(pki.ca.id);
    await server.service.crlAfterRevocation(pki.ca.id);
    await eventually(async () => ((await crls()).length > before ? true : undefined));
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await crls()).length, before + 1);
    await server.service.stop();
  });
});
