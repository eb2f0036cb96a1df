/**
 * The last steps: the agent's two CSRs become an AUTH and a SIGN certificate for the approved application —
 * subject as the population registry names the person, identification method "remote"
 * (1.2.398.3.3.4.3.2) — then the agent installs them («Загрузить сертификаты») and reports the files.
 * Idempotent per (application, agent request): a retry after a lost answer gets the same certificates.
 */
import { parseCsr, QtError, toPem } from '@qoltanba/pki';
import { appendAudit } from '../audit/index.ts';
import { issue } from '../ra/index.ts';
import type { RemoteDeps, Visitor } from './deps.ts';
import { accessOf, expectStep, expireIfDue, loadRemote, OPEN_STATES, moveRemote, type RemoteApplication } from './store.ts';
import { remoteDb } from './tables.ts';
import type { InstalledKeyFile } from '../portal/tables.ts';

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

export async function loadOwned(deps: RemoteDeps, visitor: Visitor, id: string): Promise<RemoteApplication> {
  const r = await expireIfDue(deps.portal.ctx.store.db, await loadRemote(deps.portal.ctx.store.db, id), deps.portal.ctx.now());
  if ((await accessOf(deps.portal.ctx.store.db, r, visitor.sessionSha256)) !== 'owner') throw new QtError('QT_ERR_APPLICATION_NOT_FOUND');
  return r;
}

export interface IssuedForAgent {
  requestId: string;
  certificates: string[];
  chain: string[];
}

export async function issueRemote(deps: RemoteDeps, visitor: Visitor, id: string, body: { requestId: unknown; keys: unknown }): Promise<IssuedForAgent> {
  const { ctx } = deps.portal;
  const r = await loadOwned(deps, visitor, id);
  if (typeof body.requestId !== 'string' || !REQUEST_ID.test(body.requestId)) throw new QtError('QT_ERR_INPUT_INVALID', 'requestId is missing or malformed');
  const requestId = body.requestId;
  if (r.authCertificateId && r.signCertificateId) {
    if (r.agentRequestId !== requestId) throw new QtError('QT_ERR_APPLICATION_STATE', 'Certificates were already issued for other keys');
    return issuedFor(deps, r);
  }
  expectStep(r, 'keys');
  const csrs = readCsrs(body.keys);
  const person = await deps.population.person(r.iin);
  if (!person || person.status !== 'alive') throw new QtError('QT_ERR_PERSON_NOT_ELIGIBLE');
  const common = {
    subject: { surname: person.surname, name: person.name, patronymic: person.patronymic, iin: r.iin },
    email: r.email ?? undefined,
    storage: r.storage,
    identification: 'remote' as const,
    applicationId: r.id,
    actor: `citizen:${r.iin}`,
  };
  await remoteDb(ctx.store.db).updateTable('remote_applications').set({ agent_request_id: requestId, updated_at: ctx.now() }).where('application_id', '=', r.id).execute();
  const auth = await issue(deps.portal.ra, { ...common, csr: csrs.AUTHENTICATION, profile: 'individual-auth', idempotencyKey: `remote-${r.id}-AUTH-${requestId}` });
  const sign = await issue(deps.portal.ra, { ...common, csr: csrs.SIGNATURE, profile: 'individual-sign', idempotencyKey: `remote-${r.id}-SIGN-${requestId}` });
  const now = ctx.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    const locked = await loadRemote(trx, id, { forUpdate: true });
    if (locked.authCertificateId) return; // a concurrent retry finished first
    await remoteDb(trx)
      .updateTable('remote_applications')
      .set({ auth_certificate_id: auth.certificate.id, sign_certificate_id: sign.certificate.id, agent_request_id: requestId, updated_at: now })
      .where('application_id', '=', r.id)
      .execute();
    await moveRemote(trx, locked, 'approved', 'completed', now, {
      actor: `citizen:${r.iin}`,
      details: { issued: [`${auth.certificate.ca}/${auth.certificate.serial}`, `${sign.certificate.ca}/${sign.certificate.serial}`], agentRequestId: requestId },
    });
  });
  return issuedFor(deps, await loadRemote(ctx.store.db, id));
}

export async function issuedFor(deps: RemoteDeps, r: RemoteApplication): Promise<IssuedForAgent> {
  const db = deps.portal.ctx.store.db;
  if (!r.authCertificateId || !r.signCertificateId || !r.agentRequestId) throw new QtError('QT_ERR_APPLICATION_STATE', 'No certificates are issued yet');
  const rows = await db
    .selectFrom('certificates as c')
    .innerJoin('cas as ca', 'ca.id', 'c.ca_id')
    .select(['c.id', 'c.der', 'c.subject_iin', 'ca.certificate as ca_certificate', 'ca.parent_id'])
    .where('c.id', 'in', [r.authCertificateId, r.signCertificateId])
    .execute();
  const byId = new Map(rows.map((x) => [x.id, x]));
  const auth = byId.get(r.authCertificateId);
  const sign = byId.get(r.signCertificateId);
  if (!auth || !sign || auth.subject_iin !== r.iin || sign.subject_iin !== r.iin) throw new QtError('QT_ERR_INTERNAL', 'The issued certificates are not where the application says');
  const chain = [toPem('CERTIFICATE', auth.ca_certificate)];
  if (auth.parent_id !== null) {
    const root = await db.selectFrom('cas').select('certificate').where('id', '=', auth.parent_id).executeTakeFirst();
    if (root) chain.push(toPem('CERTIFICATE', root.certificate));
  }
  return { requestId: r.agentRequestId, certificates: [toPem('CERTIFICATE', auth.der), toPem('CERTIFICATE', sign.der)], chain };
}

export async function markInstalled(deps: RemoteDeps, visitor: Visitor, id: string, installed: unknown): Promise<void> {
  const { ctx } = deps.portal;
  const r = await loadOwned(deps, visitor, id);
  expectStep(r, 'install', 'done');
  if (r.installedAt) return;
  const files = readInstalled(installed);
  const now = ctx.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    const u = await remoteDb(trx)
      .updateTable('remote_applications')
      .set({ installed: JSON.stringify(files), installed_at: now, updated_at: now })
      .where('application_id', '=', r.id)
      .where('installed_at', 'is', null)
      .executeTakeFirst();
    if (Number(u.numUpdatedRows) === 1) {
      await appendAudit(trx, { actor: `citizen:${r.iin}`, action: 'remote.installed', target: `application:${r.id}`, details: { applicationId: r.id, files: files.map((f) => ({ ...f })) } });
    }
  });
}

export async function cancelRemote(deps: RemoteDeps, visitor: Visitor, id: string): Promise<void> {
  const { ctx } = deps.portal;
  const r = await loadOwned(deps, visitor, id);
  if (!OPEN_STATES.includes(r.state)) throw new QtError('QT_ERR_APPLICATION_STATE', 'The application is closed already');
  await ctx.store.db.transaction().execute(async (trx) => {
    const locked = await loadRemote(trx, id, { forUpdate: true });
    if (OPEN_STATES.includes(locked.state)) await moveRemote(trx, locked, locked.state, 'cancelled', ctx.now(), { actor: `citizen:${r.iin}`, reason: 'cancelled by the applicant' });
  });
}

function readCsrs(keys: unknown): { AUTHENTICATION: string; SIGNATURE: string } {
  if (!Array.isArray(keys) || keys.length !== 2) throw new QtError('QT_ERR_INPUT_INVALID', 'keys must hold the AUTHENTICATION and SIGNATURE requests');
  const out: Partial<Record<'AUTHENTICATION' | 'SIGNATURE', string>> = {};
  for (const k of keys as { keyType?: unknown; csr?: unknown }[]) {
    if ((k?.keyType !== 'AUTHENTICATION' && k?.keyType !== 'SIGNATURE') || typeof k.csr !== 'string' || k.csr.length > 32_768) {
      throw new QtError('QT_ERR_INPUT_INVALID', 'each key needs keyType AUTHENTICATION|SIGNATURE and a csr');
    }
    parseCsr(k.csr);
    out[k.keyType] = k.csr;
  }
  if (!out.AUTHENTICATION || !out.SIGNATURE) throw new QtError('QT_ERR_INPUT_INVALID', 'both AUTHENTICATION and SIGNATURE requests are needed');
  return { AUTHENTICATION: out.AUTHENTICATION, SIGNATURE: out.SIGNATURE };
}

function readInstalled(value: unknown): InstalledKeyFile[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 4) throw new QtError('QT_ERR_INPUT_INVALID', 'installed must list the installed keys');
  return value.map((v: Record<string, unknown>) => {
    const keyType = v?.keyType === 'AUTHENTICATION' || v?.keyType === 'SIGNATURE' ? v.keyType : undefined;
    if (!keyType) throw new QtError('QT_ERR_INPUT_INVALID', 'installed keyType must be AUTHENTICATION or SIGNATURE');
    const fileName = typeof v.fileName === 'string' && /^[A-Za-z0-9_.-]{1,128}$/.test(v.fileName) ? v.fileName : undefined;
    const subjectKeyId = typeof v.subjectKeyId === 'string' && /^[0-9a-f]{2,128}$/.test(v.subjectKeyId) ? v.subjectKeyId : undefined;
    return { keyType, ...(fileName ? { fileName } : {}), ...(subjectKeyId ? { subjectKeyId } : {}) };
  });
}
