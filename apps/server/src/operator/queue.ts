/**
 * The review queue as the console sees it: waiting face checks oldest first; opening one claims it for the
 * operator for a while (so two operators do not judge the same face) and is audited; the images are served
 * only to the operator holding the claim, and only while the check waits; the decision goes through the
 * same recordDecision as an external service's. An operator never reviews their own application.
 */
import type { Kysely } from 'kysely';
import { QtError } from '@qoltanba/pki';
import { appendAudit } from '../audit/index.ts';
import type { PopulationPerson, PopulationRegistry, ReferencePhoto } from '../population/index.ts';
import { recordDecision, type DecisionOutcome } from '../remote/face/decide.ts';
import { remoteDb, type FaceCheckState, type FaceMeasurements, type LivenessAction } from '../remote/tables.ts';
import type { Database } from '../store/schema.ts';
import { isUuid } from '../store/uuid.ts';

export interface QueueItem {
  id: string;
  applicationId: string;
  attempt: number;
  action: LivenessAction;
  createdAt: Date;
  claimedBy: string | null;
  claimedUntil: Date | null;
}

export async function listQueue(db: Kysely<Database>, limit = 100): Promise<QueueItem[]> {
  const rows = await remoteDb(db)
    .selectFrom('remote_face_checks')
    .select(['id', 'application_id', 'attempt', 'liveness_action', 'created_at', 'claimed_by', 'claimed_until'])
    .where('state', '=', 'pending')
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, applicationId: r.application_id, attempt: r.attempt, action: r.liveness_action, createdAt: r.created_at, claimedBy: r.claimed_by, claimedUntil: r.claimed_until }));
}

export interface Review {
  id: string;
  applicationId: string;
  iin: string;
  attempt: number;
  action: LivenessAction;
  state: FaceCheckState;
  createdAt: Date;
  measurements: FaceMeasurements;
  frames: { idx: number; role: 'face' | 'liveness' }[];
  imagesDeleted: boolean;
  person: PopulationPerson | undefined;
  /** Held by the operator looking at it (until), by someone else, or by nobody (decided checks). */
  claim: { mine: boolean; until: Date } | undefined;
  decidedBy: string | null;
  reason: string | null;
}

function notFound(): QtError {
  return new QtError('QT_ERR_NOT_FOUND', 'There is no such face check');
}

/** Opens a check for review: claims it when it waits and nobody else holds it; audited either way. */
export async function openReview(
  db: Kysely<Database>,
  env: { population: PopulationRegistry; claimMs: number; now: Date },
  id: string,
  operator: { iin: string; actor: string },
): Promise<Review> {
  if (!isUuid(id)) throw notFound();
  const { now } = env;
  const rdb = remoteDb(db);
  const head = await rdb
    .selectFrom('remote_face_checks as c')
    .innerJoin('applications as a', 'a.id', 'c.application_id')
    .select(['c.id', 'a.iin'])
    .where('c.id', '=', id.toLowerCase())
    .executeTakeFirst();
  if (!head) throw notFound();
  if (head.iin === operator.iin) throw new QtError('QT_ERR_FORBIDDEN', 'An operator cannot review their own application', { own: true });
  await rdb
    .updateTable('remote_face_checks')
    .set({ claimed_by: operator.actor, claimed_until: new Date(now.getTime() + env.claimMs) })
    .where('id', '=', head.id)
    .where('state', '=', 'pending')
    .where('images_deleted_at', 'is', null)
    .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('claimed_until', '<', now), eb('claimed_by', '=', operator.actor)]))
    .execute();
  const c = await rdb.selectFrom('remote_face_checks').selectAll().where('id', '=', head.id).executeTakeFirstOrThrow();
  const frames = await rdb.selectFrom('remote_face_images').select(['idx', 'role']).where('check_id', '=', c.id).orderBy('idx').execute();
  const claim = c.state === 'pending' && c.claimed_by && c.claimed_until && c.claimed_until > now ? { mine: c.claimed_by === operator.actor, until: c.claimed_until } : undefined;
  await appendAudit(db, {
    actor: operator.actor,
    action: 'face-check.viewed',
    target: `application:${c.application_id}`,
    details: { checkId: c.id, applicationId: c.application_id, state: c.state, claimed: claim?.mine ?? false },
  });
  return {
    id: c.id,
    applicationId: c.application_id,
    iin: head.iin,
    attempt: c.attempt,
    action: c.liveness_action,
    state: c.state,
    createdAt: c.created_at,
    measurements: c.measurements,
    frames,
    imagesDeleted: c.images_deleted_at !== null,
    person: await env.population.person(head.iin),
    claim,
    decidedBy: c.decided_by,
    reason: c.reason,
  };
}

/** The check's application and whether `actor` may see its images now (it waits, and the claim is theirs). */
async function heldBy(db: Kysely<Database>, id: string, actor: string, now: Date): Promise<{ iin: string }> {
  if (!isUuid(id)) throw notFound();
  const row = await remoteDb(db)
    .selectFrom('remote_face_checks as c')
    .innerJoin('applications as a', 'a.id', 'c.application_id')
    .select(['a.iin'])
    .where('c.id', '=', id.toLowerCase())
    .where('c.state', '=', 'pending')
    .where('c.claimed_by', '=', actor)
    .where('c.claimed_until', '>', now)
    .executeTakeFirst();
  if (!row) throw notFound();
  return row;
}

export async function frameOf(db: Kysely<Database>, id: string, idx: number, actor: string, now: Date): Promise<{ mediaType: string; data: Buffer }> {
  await heldBy(db, id, actor, now);
  const row = await remoteDb(db).selectFrom('remote_face_images').select(['media_type', 'data']).where('check_id', '=', id.toLowerCase()).where('idx', '=', idx).executeTakeFirst();
  if (!row) throw notFound();
  return { mediaType: row.media_type, data: row.data };
}

export async function referenceOf(db: Kysely<Database>, population: PopulationRegistry, id: string, actor: string, now: Date): Promise<ReferencePhoto> {
  const { iin } = await heldBy(db, id, actor, now);
  const photo = await population.photo(iin);
  if (!photo) throw notFound();
  return photo;
}

export const REJECT_REASONS = ['face-mismatch', 'no-liveness', 'poor-quality', 'photo-of-photo', 'other'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface OperatorDecision {
  approve: boolean;
  reason: RejectReason | 'match';
  comment: string | undefined;
}

export function readDecision(body: Record<string, unknown>): OperatorDecision {
  const comment = typeof body.comment === 'string' && body.comment.trim() ? body.comment.trim().slice(0, 300) : undefined;
  if (body.decision === 'approve') return { approve: true, reason: 'match', comment };
  if (body.decision !== 'reject') throw new QtError('QT_ERR_INPUT_INVALID', 'decision must be approve or reject', { field: 'decision' });
  const reason = REJECT_REASONS.find((r) => r === body.reason);
  if (!reason || (reason === 'other' && !comment)) throw new QtError('QT_ERR_INPUT_INVALID', 'A rejection needs a reason (and a comment for "other")', { field: 'reason' });
  return { approve: false, reason, comment };
}

/** The operator's decision: only by the operator holding the claim, only while the check waits. */
export async function decide(
  db: Kysely<Database>,
  env: { population: PopulationRegistry; maxFaceRejections: number; now: Date },
  id: string,
  operator: { iin: string; actor: string },
  d: OperatorDecision,
): Promise<DecisionOutcome> {
  const { iin } = await heldBy(db, id, operator.actor, env.now).catch(async () => {
    // Not (or no longer) held by this operator: say why in the stable terms the page knows.
    const state = await remoteDb(db).selectFrom('remote_face_checks').select('state').where('id', '=', id.toLowerCase()).executeTakeFirst();
    if (!state) throw notFound();
    throw new QtError('QT_ERR_APPLICATION_STATE', state.state === 'pending' ? 'Another operator holds this check' : `The check is already ${state.state}`, { state: state.state });
  });
  if (iin === operator.iin) throw new QtError('QT_ERR_FORBIDDEN', 'An operator cannot review their own application', { own: true });
  if (d.approve && !(await env.population.photo(iin))) throw new QtError('QT_ERR_INPUT_INVALID', 'Without a registry photo the face cannot be approved', { field: 'decision' });
  const outcome = await recordDecision(db, env, id.toLowerCase(), { approved: d.approve, by: operator.actor, reason: d.reason });
  if (d.comment) {
    await appendAudit(db, { actor: operator.actor, action: 'face-check.commented', target: `face-check:${id.toLowerCase()}`, details: { checkId: id.toLowerCase(), comment: d.comment } });
  }
  return outcome;
}

/** Minutes a check has waited (for the queue). */
export function waitedMinutes(createdAt: Date, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - createdAt.getTime()) / 60_000));
}

