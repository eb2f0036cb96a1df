/**
 * Applications at the RA, on both backends: the moves it allows are exactly those the database's
 * applications_guard trigger allows, every move leaves its audit entry, and a move from a state the
 * application has left changes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError } from '@qoltanba/pki';
import type { ApplicationState } from '../store/schema.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { APPLICATION_MOVES, moveApplication } from './applications.ts';
import { fileApplication } from './testing/applications.ts';

const STATES = Object.keys(APPLICATION_MOVES) as ApplicationState[];

const refused = (code: string) => (e: unknown) => {
  assert.ok(isQtError(e), `expected a QtError ${code}, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return true;
};

describeEachBackend('RA applications', (ctx) => {
  const now = new Date();
  const filed = async (reach: ApplicationState) => (await fileApplication(ctx.store.db, reach)).id;

  test('the moves the RA allows are exactly the moves the database trigger allows', async () => {
    for (const from of STATES) {
      for (const to of STATES.filter((s) => s !== from)) {
        const id = await filed(from);
        const byTrigger = await ctx.store.db
          .updateTable('applications')
          .set({ state: to })
          .where('id', '=', id)
          .execute()
          .then(
            () => true,
            (e: unknown) => {
              assert.match(String(e), /cannot go from/);
              return false;
            },
          );
        assert.equal(APPLICATION_MOVES[from].includes(to), byTrigger, `${from} → ${to}`);
      }
    }
  });

  test('a move not allowed, or from a state the application has left, changes nothing and says QT_ERR_APPLICATION_STATE', async () => {
    const id = await filed('approved');
    await assert.rejects(ctx.store.db.transaction().execute((trx) => moveApplication(trx, id, 'approved', 'verified', now, { actor: 'system:test' })), refused('QT_ERR_APPLICATION_STATE'));
    await assert.rejects(ctx.store.db.transaction().execute((trx) => moveApplication(trx, id, 'verified', 'approved', now, { actor: 'system:test' })), refused('QT_ERR_APPLICATION_STATE'));
    const row = await ctx.store.db.selectFrom('applications').select(['state', 'decision_reason']).where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { state: 'approved', decision_reason: null });
  });

  test('filing and every move leave their audit entry; an ending keeps its reason', async () => {
    const id = await filed('verified');
    await ctx.store.db.transaction().execute((trx) => moveApplication(trx, id, 'verified', 'rejected', now, { actor: 'system:test', reason: 'person-not-eligible', details: { note: 'x' } }));
    const row = await ctx.store.db.selectFrom('applications').select(['state', 'decision_reason']).where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { state: 'rejected', decision_reason: 'person-not-eligible' });
    const audit = await ctx.store.db.selectFrom('audit_log').select(['action', 'details']).where('target', '=', `application:${id}`).orderBy('seq').execute();
    assert.deepEqual(audit.map((a) => a.action), ['application.submitted', 'application.verified', 'application.rejected']);
    const last = audit[2]!.details as Record<string, unknown>;
    assert.deepEqual(
      { kind: last.kind, identification: last.identification, from: last.from, to: last.to, reason: last.reason, note: last.note },
      { kind: 'issue', identification: 'remote', from: 'verified', to: 'rejected', reason: 'person-not-eligible', note: 'x' },
    );
  });
});
