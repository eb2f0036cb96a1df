/**
 * A remote application's state, all in the database (any portal node, any reload): the RA application
 * (kind 'issue', identification 'remote'; submitted → verified → approved → completed, moved only through
 * ../ra/applications.ts) and its remote_applications row. The step shown is derived from both and from a waiting face check.
 *
 * Who may see it: the owner — the browser session that entered the SMS code — at its step; a session that
 * started or resumed it (remote_claims) only at the code step, to take it over by entering the current code.
 * Everyone else gets "not found".
 */
import type { Kysely } from 'kysely';
import { QtError } from '@qoltanba/pki';
import type { ApplicationState, Database } from '../store/schema.ts';
import { moveApplication, OPEN_STATES, type ApplicationMove } from '../ra/index.ts';
import type { InstalledKeyFile } from '../portal/tables.ts';
import { remoteDb, type LivenessAction } from './tables.ts';
import { isUuid } from '../store/uuid.ts';

export { OPEN_STATES };

export interface RemoteApplication {
  id: string;
  state: ApplicationState;
  iin: string;
  createdAt: Date;
  expiresAt: Date;
  decisionReason: string | null;
  email: string | null;
  storage: 'file' | 'token';
  sessionSha256: Buffer | null;
  codeVerifiedAt: Date | null;
  documentAttempts: number;
  documentCheckedAt: Date | null;
  faceRejections: number;
  captureId: string | null;
  captureAction: LivenessAction | null;
  captureExpiresAt: Date | null;
  agentRequestId: string | null;
  authCertificateId: string | null;
  signCertificateId: string | null;
  installed: InstalledKeyFile[] | null;
  installedAt: Date | null;
  /** The face check waiting for a decision, if any. */
  pendingCheckId: string | null;
}

export type RemoteStep = 'code' | 'document' | 'face' | 'waiting' | 'keys' | 'install' | 'done' | 'closed';
export type Access = 'owner' | 'claimant';

export function stepOf(r: RemoteApplication): RemoteStep {
  if (r.state === 'rejected' || r.state === 'cancelled' || r.state === 'expired') return 'closed';
  if (r.state === 'submitted') {
    if (!r.codeVerifiedAt) return 'code';
    if (!r.documentCheckedAt) return 'document';
    return r.pendingCheckId ? 'waiting' : 'face';
  }
  if (r.state === 'verified' || r.state === 'approved') return 'keys';
  return r.installedAt ? 'done' : 'install';
}

export async function loadRemote(db: Kysely<Database>, id: string, options: { forUpdate?: boolean } = {}): Promise<RemoteApplication> {
  if (!isUuid(id)) throw notFound();
  const rdb = remoteDb(db);
  let q = rdb
    .selectFrom('applications as a')
    .innerJoin('remote_applications as r', 'r.application_id', 'a.id')
    .select([
      'a.id', 'a.state', 'a.iin', 'a.created_at', 'a.expires_at', 'a.decision_reason',
      'r.email', 'r.storage', 'r.session_sha256', 'r.code_verified_at', 'r.document_attempts', 'r.document_checked_at',
      'r.face_rejections', 'r.capture_id', 'r.capture_action', 'r.capture_expires_at', 'r.agent_request_id',
      'r.auth_certificate_id', 'r.sign_certificate_id', 'r.installed', 'r.installed_at',
    ])
    .where('a.id', '=', id.toLowerCase());
  if (options.forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw notFound();
  const pending = await rdb.selectFrom('remote_face_checks').select('id').where('application_id', '=', row.id).where('state', '=', 'pending').executeTakeFirst();
  return {
    id: row.id,
    state: row.state,
    iin: row.iin,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decisionReason: row.decision_reason,
    email: row.email,
    storage: row.storage,
    sessionSha256: row.session_sha256,
    codeVerifiedAt: row.code_verified_at,
    documentAttempts: row.document_attempts,
    documentCheckedAt: row.document_checked_at,
    faceRejections: row.face_rejections,
    captureId: row.capture_id,
    captureAction: row.capture_action,
    captureExpiresAt: row.capture_expires_at,
    agentRequestId: row.agent_request_id,
    authCertificateId: row.auth_certificate_id,
    signCertificateId: row.sign_certificate_id,
    installed: row.installed,
    installedAt: row.installed_at,
    pendingCheckId: pending?.id ?? null,
  };
}

/** How this browser session may use the application, or undefined (then it is "not found" to it). */
export async function accessOf(db: Kysely<Database>, r: RemoteApplication, sessionSha256: Buffer | undefined): Promise<Access | undefined> {
  if (!sessionSha256) return undefined;
  if (r.sessionSha256 && r.sessionSha256.equals(sessionSha256)) return 'owner';
  const claim = await remoteDb(db)
    .selectFrom('remote_claims')
    .select('application_id')
    .where('application_id', '=', r.id)
    .where('session_sha256', '=', sessionSha256)
    .executeTakeFirst();
  return claim ? 'claimant' : undefined;
}

/** The step this session sees: a claimant sees the code form until it takes the application over. */
export function stepFor(r: RemoteApplication, access: Access): RemoteStep {
  const step = stepOf(r);
  return access === 'claimant' && step !== 'closed' ? 'code' : step;
}

/**
 * Moves the application at the RA (../ra/applications.ts: the move and its audit entry). What closing
 * means here is remote issuance's own: a waiting face check will never be decided (its frames go with the
 * retention sweep), and nobody may take the application over any more.
 */
export async function moveRemote(trx: Kysely<Database>, r: Pick<RemoteApplication, 'id'>, from: ApplicationState, to: ApplicationState, now: Date, move: ApplicationMove): Promise<void> {
  await moveApplication(trx, r.id, from, to, now, move);
  if (to === 'rejected' || to === 'cancelled' || to === 'expired') {
    await remoteDb(trx).updateTable('remote_face_checks').set({ state: 'withdrawn' }).where('application_id', '=', r.id).where('state', '=', 'pending').execute();
    await remoteDb(trx).deleteFrom('remote_claims').where('application_id', '=', r.id).execute();
  }
}

/** An open application past its expiry is closed when it is next looked at (and by the sweep). */
export async function expireIfDue(db: Kysely<Database>, r: RemoteApplication, now: Date): Promise<RemoteApplication> {
  if (!OPEN_STATES.includes(r.state) || now < r.expiresAt) return r;
  await db.transaction().execute(async (trx) => {
    const locked = await loadRemote(trx, r.id, { forUpdate: true });
    if (OPEN_STATES.includes(locked.state)) await moveRemote(trx, locked, locked.state, 'expired', now, { actor: 'system:remote', reason: 'not completed in time' });
  });
  return { ...r, state: 'expired', pendingCheckId: null };
}

export function expectStep(r: RemoteApplication, ...steps: RemoteStep[]): void {
  const step = stepOf(r);
  if (!steps.includes(step)) throw new QtError('QT_ERR_APPLICATION_STATE', `The application is at step "${step}", not ${steps.map((s) => `"${s}"`).join(' or ')}`, { step });
}

export function notFound(): QtError {
  return new QtError('QT_ERR_APPLICATION_NOT_FOUND');
}
