/**
 * The face step on the server: the page asks for a capture (the server picks the liveness action and
 * binds the upload to a single-use capture id), films, and uploads the frames. The upload is checked
 * (capture.ts), stored as a face check with its frames (personal data: the retention sweep deletes them),
 * and handed to the FaceVerifier: the operators' queue leaves it waiting; a service decides at once.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { isQtError, QtError } from '@qoltanba/pki';
import { appendAudit } from '../../audit/index.ts';
import type { RemoteDeps, Visitor } from '../deps.ts';
import { accessOf, expectStep, loadRemote, type RemoteApplication } from '../store.ts';
import { LIVENESS_ACTIONS, remoteDb, type LivenessAction } from '../tables.ts';
import { checkCapture } from './capture.ts';
import { recordDecision, type DecisionOutcome } from './decide.ts';

async function owned(deps: RemoteDeps, visitor: Visitor, id: string, forUpdate: boolean, trx = deps.portal.ctx.store.db): Promise<RemoteApplication> {
  const r = await loadRemote(trx, id, { forUpdate });
  if ((await accessOf(trx, r, visitor.sessionSha256)) !== 'owner') throw new QtError('QT_ERR_APPLICATION_NOT_FOUND');
  return r;
}

export async function startCapture(deps: RemoteDeps, visitor: Visitor, id: string): Promise<{ captureId: string; action: LivenessAction; expiresAt: Date }> {
  const { ctx } = deps.portal;
  const now = ctx.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    const r = await owned(deps, visitor, id, true, trx);
    expectStep(r, 'face');
    const captureId = randomUUID();
    // Chosen here, not by the page: a recording made for another action does not fit.
    const action = LIVENESS_ACTIONS[randomInt(LIVENESS_ACTIONS.length)]!;
    const expiresAt = new Date(now.getTime() + deps.options.captureMs);
    await remoteDb(trx)
      .updateTable('remote_applications')
      .set({ capture_id: captureId, capture_action: action, capture_expires_at: expiresAt, updated_at: now })
      .where('application_id', '=', r.id)
      .execute();
    return { captureId, action, expiresAt };
  });
}

export interface SubmitResult {
  checkId: string;
  outcome: DecisionOutcome | 'queued';
}

export async function submitCapture(deps: RemoteDeps, visitor: Visitor, id: string, body: { captureId: unknown; face: unknown; liveness: unknown }): Promise<SubmitResult> {
  const { ctx } = deps.portal;
  // Decoding and measuring costs CPU only; it happens before any row is locked.
  const capture = checkCapture(body, deps.options);
  const now = ctx.now();
  const stored = await ctx.store.db.transaction().execute(async (trx) => {
    const r = await owned(deps, visitor, id, true, trx);
    expectStep(r, 'face');
    if (r.faceRejections >= deps.options.maxFaceRejections) throw new QtError('QT_ERR_FACE_ATTEMPTS');
    if (typeof body.captureId !== 'string' || body.captureId !== r.captureId || !r.captureExpiresAt || r.captureExpiresAt <= now || !r.captureAction) {
      throw new QtError('QT_ERR_CHALLENGE_INVALID', 'The capture is unknown, expired or already uploaded; film again');
    }
    const rdb = remoteDb(trx);
    const last = await rdb.selectFrom('remote_face_checks').select((eb) => eb.fn.max('attempt').as('n')).where('application_id', '=', r.id).executeTakeFirst();
    const attempt = Number(last?.n ?? 0) + 1;
    const frames = [...capture.face, ...capture.liveness];
    const check = await rdb
      .insertInto('remote_face_checks')
      .values({
        application_id: r.id,
        attempt,
        verifier: deps.faces.name,
        liveness_action: r.captureAction,
        frames: frames.length,
        measurements: JSON.stringify(capture.measurements),
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await rdb
      .insertInto('remote_face_images')
      .values(frames.map((f, idx) => ({ check_id: check.id, idx, role: f.role, media_type: f.mediaType, data: f.data })))
      .execute();
    await rdb.updateTable('remote_applications').set({ capture_id: null, capture_action: null, capture_expires_at: null, updated_at: now }).where('application_id', '=', r.id).execute();
    await appendAudit(trx, {
      actor: `citizen:${r.iin}`,
      action: 'face-check.submitted',
      target: `application:${r.id}`,
      details: { checkId: check.id, applicationId: r.id, attempt, verifier: deps.faces.name, action: r.captureAction, frames: frames.length, measurements: { ...capture.measurements } },
    });
    return { r, checkId: check.id, attempt, action: r.captureAction };
  });

  let verdict;
  try {
    verdict = await deps.faces.check({
      checkId: stored.checkId,
      applicationId: stored.r.id,
      attempt: stored.attempt,
      iin: stored.r.iin,
      reference: await deps.population.photo(stored.r.iin),
      face: capture.face,
      liveness: { action: stored.action, frames: capture.liveness },
    });
  } catch (e) {
    // No decision could be asked for: the check is void, its frames deleted now, and nothing is counted.
    const code = isQtError(e) ? e.code : 'QT_ERR_INTERNAL';
    await ctx.store.db.transaction().execute(async (trx) => {
      const rdb = remoteDb(trx);
      await rdb.deleteFrom('remote_face_images').where('check_id', '=', stored.checkId).execute();
      await rdb.updateTable('remote_face_checks').set({ state: 'failed', images_deleted_at: now }).where('id', '=', stored.checkId).where('state', '=', 'pending').execute();
      await appendAudit(trx, { actor: 'system:remote', action: 'face-check.failed', target: `application:${stored.r.id}`, details: { checkId: stored.checkId, applicationId: stored.r.id, verifier: deps.faces.name, errorCode: code } });
    });
    ctx.log.warn({ err: e, checkId: stored.checkId }, 'remote: the face verifier did not decide');
    throw isQtError(e) ? e : new QtError('QT_ERR_FACE_SERVICE_UNAVAILABLE', undefined, undefined, { cause: e });
  }
  if (verdict.kind === 'queued') return { checkId: stored.checkId, outcome: 'queued' };
  const outcome = await recordDecision(ctx.store.db, { population: deps.population, maxFaceRejections: deps.options.maxFaceRejections, now: ctx.now() }, stored.checkId, verdict);
  return { checkId: stored.checkId, outcome };
}
