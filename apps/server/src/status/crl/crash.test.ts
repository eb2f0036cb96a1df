import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { verifyCrl } from '@qoltanba/pki';
import { defaultConfig } from '../../config.ts';
import { silentLogger } from '../../context.ts';
import { openDatabase, type Store } from '../../store/index.ts';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { createStatusService, type StatusService } from '../service.ts';
import { createTestPki, insertRevokedBulk, type TestPki } from '../testing/pki.ts';

const child = fileURLToPath(new URL('../testing/crl-child.ts', import.meta.url));

describeEachBackend('CRL numbering across a crash and a restart', (ctx) => {
  let pki: TestPki;
  const serviceOn = (store: Store): StatusService =>
    createStatusService({ config: defaultConfig('/nonexistent-qoltanba-home'), store, signers: pki.signers, log: silentLogger, now: () => new Date() });

  test('a process killed in the middle of generating a CRL leaves no CRL and no used number; after a restart numbering continues without a gap', async () => {
    pki = await createTestPki(ctx.store);
    try {
      await insertRevokedBulk(ctx.store, pki.ca.id, 25_000);
      const before = serviceOn(ctx.store);
      assert.equal((await before.generateCrl(pki.ca.id, 'full'))?.crlNumber, 1n);
      assert.equal((await before.generateCrl(pki.ca.id, 'delta'))?.crlNumber, 2n);
      // The embedded database has one owner: this process lets go of it, as a stopped server would.
      await ctx.store.close();

      const paused = await runChildUntilPaused(JSON.stringify({ open: ctx.database.openOptions, keys: pki.keyStoreConfig, caId: pki.ca.id, pauseAt: 10_000 }));
      assert.match(paused, /^paused 10000$/m);

      const store = await openDatabase(ctx.database.openOptions);
      try {
        const after = serviceOn(store);
        const next = await after.generateCrl(pki.ca.id, 'full');
        assert.equal(next?.crlNumber, 3n);
        assert.equal(next?.entries, 25_000);
        assert.equal((await after.generateCrl(pki.ca.id, 'delta'))?.crlNumber, 4n);
        const rows = await store.db.selectFrom('crls').select(['crl_number', 'kind', 'der']).where('ca_id', '=', pki.ca.id).orderBy('crl_number').execute();
        assert.deepEqual(rows.map((r) => [Number(r.crl_number), r.kind]), [[1, 'full'], [2, 'delta'], [3, 'full'], [4, 'delta']]);
        for (const r of rows) assert.equal((await verifyCrl(r.der, pki.ca.der)).crlNumber, BigInt(r.crl_number));
        const state = await store.db.selectFrom('crl_state').select(['next_crl_number', 'last_full_number']).where('ca_id', '=', pki.ca.id).executeTakeFirstOrThrow();
        assert.deepEqual(state, { next_crl_number: '5', last_full_number: '3' });
        const audited = await store.db.selectFrom('audit_log').select('details').where('action', '=', 'crl.published').orderBy('seq').execute();
        assert.deepEqual(audited.map((a) => (a.details as { crlNumber: string }).crlNumber), ['1', '2', '3', '4']);
      } finally {
        await store.close();
      }
    } finally {
      await pki.close();
    }
  });
});

/** Starts the child, waits for it to report that it is mid-generation, kills it with SIGKILL. */
function runChildUntilPaused(input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, QT_CRL_CHILD: input }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`the child never paused: ${out}${err}`));
    }, 120_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^paused /m.test(out)) p.kill('SIGKILL');
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && /^paused /m.test(out)) resolve(out);
      else reject(new Error(`the child exited (${code ?? signal}) without pausing: ${out}${err}`));
    });
  });
}
