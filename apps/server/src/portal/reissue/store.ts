/**
 * The re-issuance wizard's state, all in the database so that any step survives a reload, a lost
 * connection or another portal node: the application (RA states submitted → verified → approved →
 * completed, moved only through ../../ra/applications.ts) and its portal_reissues row (what the wizard did in
 * between). The step shown is derived from both, never stored twice. This file only reads applications.
 */
import type { Kysely } from 'kysely';
import { QtError } from '@qoltanba/pki';
import type { ApplicationState, Database } from '../../store/schema.ts';
import { moveApplication, OPEN_STATES } from '../../ra/index.ts';
import { portalDb, type InstalledKeyFile } from '../tables.ts';
import type { WizardStep } from '../views/common.ts';
import { isUuid } from '../../store/uuid.ts';

export interface Reissue {
  id: string;
  state: ApplicationState;
  iin: string;
  /** How the application's identity is established (the RA's column; 'remote' for the portal's). */
  identification: 'in_person' | 'remote' | null;
  email: string | null;
  storage: 'file' | 'token';
  revokeOld: boolean;
  createdAt: Date;
  expiresAt: Date;
  decisionReason: string | null;
  oldCertificateIds: string[];
  signedAt: Date | null;
  signerCertificateId: string | null;
  agentRequestId: string | null;
  authCertificateId: string | null;
  signCertificateId: string | null;
  installed: InstalledKeyFile[] | null;
  installedAt: Date | null;
  oldRevokedAt: Date | null;
}

export type Step = WizardStep | 'closed';

export function stepOf(r: Reissue): Step {
  if (r.state === 'rejected' || r.state === 'cancelled' || r.state === 'expired') return 'closed';
  if (r.state === 'submitted') return r.signedAt ? 'code' : 'sign';
  if (r.state === 'verified' || r.state === 'approved') return 'keys';
  return r.installedAt ? 'done' : 'install';
}

/** Reads the application — only the person's own; anything else is "not found". */
export async function loadReissue(db: Kysely<Database>, id: string, iin: string, options: { forUpdate?: boolean } = {}): Promise<Reissue> {
  if (!isUuid(id)) throw notFound();
  let q = portalDb(db)
    .selectFrom('applications as a')
    .innerJoin('portal_reissues as r', 'r.application_id', 'a.id')
    .select([
      'a.id', 'a.state', 'a.iin', 'a.identification', 'a.created_at', 'a.expires_at', 'a.decision_reason',
      'r.email', 'r.storage', 'r.revoke_old', 'r.old_certificate_ids', 'r.signed_at', 'r.signer_certificate_id', 'r.agent_request_id',
      'r.auth_certificate_id', 'r.sign_certificate_id', 'r.installed', 'r.installed_at', 'r.old_revoked_at',
    ])
    .where('a.id', '=', id.toLowerCase())
    .where('a.iin', '=', iin)
    .where('a.kind', '=', 'reissue');
  if (options.forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw notFound();
  return {
    id: row.id,
    state: row.state,
    iin: row.iin,
    identification: row.identification,
    email: row.email,
    storage: row.storage,
    revokeOld: row.revoke_old,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decisionReason: row.decision_reason,
    oldCertificateIds: row.old_certificate_ids.map(String),
    signedAt: row.signed_at,
    signerCertificateId: row.signer_certificate_id,
    agentRequestId: row.agent_request_id,
    authCertificateId: row.auth_certificate_id,
    signCertificateId: row.sign_certificate_id,
    installed: row.installed,
    installedAt: row.installed_at,
    oldRevokedAt: row.old_revoked_at,
  };
}

/**
 * The person's unfinished re-issuance: open at the RA, or (with `uninstalled`) issued but not yet reported
 * installed by the agent. Only an open one stops a new application: keys lost before installation must
 * never leave a person unable to start again.
 */
export async function openReissue(db: Kysely<Database>, iin: string, options: { uninstalled?: boolean } = {}): Promise<{ id: string; createdAt: Date } | undefined> {
  const row = await portalDb(db)
    .selectFrom('applications as a')
    .innerJoin('portal_reissues as r', 'r.application_id', 'a.id')
    .select(['a.id', 'a.created_at', 'a.state', 'a.expires_at'])
    .where('a.iin', '=', iin)
    .where('a.kind', '=', 'reissue')
    .where((eb) =>
      options.uninstalled
        ? eb.or([eb('a.state', 'in', [...OPEN_STATES]), eb.and([eb('a.state', '=', 'completed'), eb('r.installed_at', 'is', null)])])
        : eb('a.state', 'in', [...OPEN_STATES]),
    )
    .orderBy('a.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { id: row.id, createdAt: row.created_at } : undefined;
}

/** An open application past its expiry is closed when it is next looked at (and by the RA's sweep, if any). */
export async function expireIfDue(db: Kysely<Database>, r: Reissue, now: Date): Promise<Reissue> {
  if (!OPEN_STATES.includes(r.state) || now < r.expiresAt) return r;
  await moveApplication(db, r.id, r.state, 'expired', now, { actor: 'system:portal', reason: 'not completed in time', known: identityOf(r) });
  return { ...r, state: 'expired' };
}

/** What moveApplication needs to move it in one statement (ra/applications.ts). */
export function identityOf(r: Reissue): { kind: 'reissue'; iin: string; identification: 'in_person' | 'remote' | null } {
  return { kind: 'reissue', iin: r.iin, identification: r.identification };
}

export function expectStep(r: Reissue, ...steps: Step[]): void {
  const step = stepOf(r);
  if (!steps.includes(step)) throw new QtError('QT_ERR_APPLICATION_STATE', `The application is at step "${step}", not ${steps.map((s) => `"${s}"`).join(' or ')}`, { step });
}

function notFound(): QtError {
  return new QtError('QT_ERR_APPLICATION_NOT_FOUND');
}
