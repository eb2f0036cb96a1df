/** Applications for RA tests: filed for a new person and moved, through the RA, to the state a test needs. */
import type { Kysely } from 'kysely';
import type { ApplicationState, Database } from '../../store/schema.ts';
import { createApplication, moveApplication } from '../applications.ts';
import { uniqueIin } from './fixture.ts';

/** How to reach each state from 'submitted' through allowed moves. */
export const PATH_TO: Readonly<Record<ApplicationState, readonly ApplicationState[]>> = {
  submitted: [],
  verified: ['verified'],
  approved: ['verified', 'approved'],
  completed: ['verified', 'approved', 'completed'],
  rejected: ['rejected'],
  cancelled: ['cancelled'],
  expired: ['expired'],
};

/** A remote issue application of a new person (Ахметова Әйгерім), in state `reach`. */
export async function fileApplication(db: Kysely<Database>, reach: ApplicationState = 'submitted'): Promise<{ id: string; iin: string }> {
  const iin = uniqueIin();
  const now = new Date();
  const id = await db.transaction().execute(async (trx) => {
    const id = await createApplication(trx, {
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
    });
    let at: ApplicationState = 'submitted';
    for (const next of PATH_TO[reach]) {
      await moveApplication(trx, id, at, next, now, { actor: 'system:test' });
      at = next;
    }
    return id;
  });
  return { id, iin };
}
