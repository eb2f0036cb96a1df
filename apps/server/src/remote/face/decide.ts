/**
 * A face check's decision and what follows from it, whoever made it (an operator in the console, the
 * external service): in one transaction the check is decided (only if still waiting — the first decision
 * wins), the audit log says who decided and why, and the application moves on — approved: verified (SMS
 * code, document, face) then approved (the registry still lists the person as alive); rejected: one more
 * rejection, and at the maximum the application is refused and the page sends the person to a centre.
 */
import type { Kysely } from 'kysely';
import { QtError } from '@qoltanba/pki';
import { appendAudit } from '../../audit/index.ts';
import type { PopulationRegistry } from '../../population/index.ts';
import type { Database } from '../../store/schema.ts';
import { loadRemote, moveRemote } from '../store.ts';
import { remoteDb } from '../tables.ts';
import type { FaceDecision } from './verifier.ts';

export type DecisionOutcome = 'approved' | 'retry' | 'refused' | 'withdrawn';

export async function recordDecision(
  db: Kysely<Database>,
  env: { population: PopulationRegistry; maxFaceRejections: number; now: Date },
  checkId: string,
  d: FaceDecision,
): Promise<DecisionOutcome> {
  const { now } = env;
  // Whether the registry still lists the person as alive is asked before the transaction (an adapter may
  // use its own connection; PGlite has only one).
  const head = await remoteDb(db)
    .selectFrom('remote_face_checks as c')
    .innerJoin('applications as a', 'a.id', 'c.application_id')
    .select('a.iin')
    .where('c.id', '=', checkId)
    .executeTakeFirst();
  if (!head) throw new QtError('QT_ERR_NOT_FOUND', 'There is no such face check');
  const person = d.approved ? await env.population.person(head.iin) : undefined;
  return db.transaction().execute(async (trx) => {
    const rdb = remoteDb(trx);
    const check = await rdb.selectFrom('remote_face_checks').select(['id', 'application_id', 'attempt', 'state', 'verifier', 'images_deleted_at']).where('id', '=', checkId).forUpdate().executeTakeFirst();
    if (!check) throw new QtError('QT_ERR_NOT_FOUND', 'There is no such face check');
    if (check.state !== 'pending') throw new QtError('QT_ERR_APPLICATION_STATE', `The face check is already ${check.state}`, { state: check.state });
    const r = await loadRemote(trx, check.application_id, { forUpdate: true });
    if (r.state !== 'submitted') {
      await rdb.updateTable('remote_face_checks').set({ state: 'withdrawn' }).where('id', '=', check.id).execute();
      return 'withdrawn';
    }
    await rdb
      .updateTable('remote_face_checks')
      .set({ state: d.approved ? 'approved' : 'rejected', decided_by: d.by, decided_at: now, reason: d.reason, score: d.score ?? null, claimed_by: null, claimed_until: null })
      .where('id', '=', check.id)
      .execute();
    const base = { checkId: check.id, applicationId: r.id, attempt: check.attempt, verifier: check.verifier, reason: d.reason, ...(d.score !== undefined ? { score: d.score } : {}) };
    await appendAudit(trx, { actor: d.by, action: d.approved ? 'face-check.approved' : 'face-check.rejected', target: `application:${r.id}`, details: base });
    if (d.approved) {
      await moveRemote(trx, r, 'submitted', 'verified', now, { actor: d.by, details: { by: ['sms', 'document', 'face'], faceCheckId: check.id } });
      if (!person || person.status !== 'alive') {
        await moveRemote(trx, r, 'verified', 'rejected', now, { actor: 'system:remote', reason: 'person-not-eligible' });
        return 'refused';
      }
      await moveRemote(trx, r, 'verified', 'approved', now, { actor: 'system:remote', details: { policy: 'remote-first-issuance' } });
      return 'approved';
    }
    const rejections = r.faceRejections + 1;
    await rdb.updateTable('remote_applications').set({ face_rejections: rejections, updated_at: now }).where('application_id', '=', r.id).execute();
    if (rejections >= env.maxFaceRejections) {
      await moveRemote(trx, r, 'submitted', 'rejected', now, { actor: 'system:remote', reason: 'face-attempts', details: { rejections } });
      return 'refused';
    }
    return 'retry';
  });
}
