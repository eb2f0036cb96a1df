/**
 * The last steps: the agent's two CSRs become an AUTH and a SIGN certificate for the approved application —
 * subject as the population registry names the person, identification method "remote"
 * (1.2.398.3.3.4.3.2) — then the agent installs them («Загрузить сертификаты») and reports the files.
 * The RA issues the pair and completes the application in one transaction (ra/issue-for-application.ts),
 * which names them in this application's remote_applications row. Idempotent per (application, agent
 * request): a retry after a lost answer gets the same certificates.
 */
import { QtError } from '@qoltanba/pki';
import { sql } from 'kysely';
import { appendAudit } from '../audit/index.ts';
import { issueForApplication, type IssuedForAgent } from '../ra/index.ts';
import type { RemoteDeps, Visitor } from './deps.ts';
import { accessOf, expectStep, expireIfDue, loadRemote, OPEN_STATES, moveRemote, type RemoteApplication } from './store.ts';
import { remoteDb } from './tables.ts';
import { answerKeys, readInstalled } from '../portal/reissue/agent.ts';

export async function loadOwned(deps: RemoteDeps, visitor: Visitor, id: string): Promise<RemoteApplication> {
  const r = await expireIfDue(deps.portal.ctx.store.db, await loadRemote(deps.portal.ctx.store.db, id), deps.portal.ctx.now());
  if ((await accessOf(deps.portal.ctx.store.db, r, visitor.sessionSha256)) !== 'owner') throw new QtError('QT_ERR_APPLICATION_NOT_FOUND');
  return r;
}

export async function issueRemote(deps: RemoteDeps, visitor: Visitor, id: string, body: { requestId: unknown; keys: unknown }): Promise<IssuedForAgent> {
  const db = deps.portal.ctx.store.db;
  return answerKeys(db, await loadOwned(deps, visitor, id), body, {
    expectKeys: (r) => expectStep(r, 'keys'),
    issue: async (r, requestId, csrs) => {
      const person = await deps.population.person(r.iin);
      if (!person || person.status !== 'alive') throw new QtError('QT_ERR_PERSON_NOT_ELIGIBLE');
      return issueForApplication(deps.portal.ra, {
        applicationId: r.id,
        via: 'remote',
        requestId,
        subject: { surname: person.surname, name: person.name, patronymic: person.patronymic, iin: r.iin },
        email: r.email ?? undefined,
        storage: r.storage,
        identification: 'remote',
        auth: { csr: csrs.AUTHENTICATION, profile: 'individual-auth' },
        sign: { csr: csrs.SIGNATURE, profile: 'individual-sign' },
        actor: `citizen:${r.iin}`,
        // Named in the statement that completes the application (one round trip with the move and its entry).
        recordAlong: (issued) => sql`UPDATE remote_applications SET auth_certificate_id = ${issued.auth.id}::bigint, sign_certificate_id = ${issued.sign.id}::bigint,
          agent_request_id = ${requestId}::text, updated_at = ${deps.portal.ctx.now()}::timestamptz FROM moved WHERE remote_applications.application_id = moved.id`,
      });
    },
  });
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
