/**
 * Applications at the RA, on both backends: the moves it allows are exactly those the database's
 * applications_guard trigger allows, every move leaves its audit entry, and a move from a state the
 * application has left changes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError } from '@qoltanba/pki';
import type { ApplicationState } from '../store/schema.ts';
import { describeEachBackend } from '../store/testing.ts';
import { APPLICATION_MOVES, createApplication, moveApplication } from './applications.ts';
import { uniqueIin } from './testing/fixture.ts';

const STATES = Object.keys(APPLICATION_MOVES) as ApplicationState[];
/** How to reach each state from 'submitted' through allowed moves. */
const PATH: Record<ApplicationState, ApplicationState[]> = {
  submitted: [],
  verified: ['verified'],
  approved: ['verified', 'approved'],
  completed: ['verified', 'approved', 'completed'],
  rejected: ['rejected'],
  cancelled: ['cancelled'],
  expired: ['expired'],
};

const refused = (code: string) => (e: unknown) => {
  assert.ok(isQtError(e), `expected a QtError ${code}, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return true;
};

describeEachBackend('RA applications', (ctx) => {
  const now = new Date();

  async function filed(reachState: ApplicationState = 'submitted'): Promise<string> {
    const iin = uniqueIin();
    const id = await ctx.store.db.transaction().execute((trx) =>
      createApplication(trx, {
        kind: 'issue',
        iin,
        person: { surname: 'Ахметова', givenName: 'Әйгерім', patronymic: undefined },
        storage: 'file',
        identification: 'remote',
        request: { via: 'test' },
        now,
        expiresAt: new Date(now.getTime() + 3_600_000),
        actor: `citizen:${iin}`,
        details: {},
      }),
    );
    let at: ApplicationState = 'submitted';
    for (const next of PATH[reachState]) {
      await ctx.store.db.transaction().execute((trx) => moveApplication(trx, id, at, next, now, { actor: 'system:test' }));
      at = next;
    }
    return id;
  }

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
