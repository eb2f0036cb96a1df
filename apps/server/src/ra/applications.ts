/**
 * Applications (table `applications`, migration 0002) are the RA's: the portal's re-issuance, its revocation
 * form and remote issuance ask for them here and never write the table themselves — as Boulder keeps the WFE
 * from writing what the RA decides. Every write appends its audit entry in the caller's transaction
 * (`application.submitted`, then `application.<state>` for each move), so an application's history is in
 * the log whoever moved it.
 *
 * An issuance may also name the application it fulfils: it must be approved and for this person.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { QtError } from '@qoltanba/pki';
import { appendAudit, queueAuditFrom } from '../audit/index.ts';
import { upsertSubject } from './subjects.ts';
import type { ApplicationKind, ApplicationState, Database, JsonObject, KeyStorage } from '../store/schema.ts';
import { isUuid } from '../store/uuid.ts';

/** The states an application is still open in (the unique index "one open issuance per person" counts these). */
export const OPEN_STATES: readonly ApplicationState[] = ['submitted', 'verified', 'approved'];

/**
 * submitted → verified (identity proven) → approved (policy passed) → completed; any open state may end as
 * rejected, cancelled or expired; terminal states never change. The applications_guard trigger of migration
 * 0002 refuses the same moves in the database (applications.test.ts proves the two agree): this copy turns a
 * wrong move into the catalogue's error before any SQL runs.
 */
export const APPLICATION_MOVES: Readonly<Record<ApplicationState, readonly ApplicationState[]>> = {
  submitted: ['verified', 'rejected', 'cancelled', 'expired'],
  verified: ['approved', 'rejected', 'cancelled', 'expired'],
  approved: ['completed', 'rejected', 'cancelled', 'expired'],
  completed: [],
  rejected: [],
  cancelled: [],
  expired: [],
};

export interface NewApplication {
  /** Chosen by the caller when it must name the application before the row exists; default: the database's. */
  id?: string | undefined;
  kind: ApplicationKind;
  iin: string;
  /** The person's name, for a person the RA does not know yet (applications.iin refers to subjects). */
  person?: { surname: string; givenName: string; patronymic: string | undefined } | undefined;
  storage?: KeyStorage | undefined;
  identification: 'in_person' | 'remote';
  /** For reissue and revoke: the certificate concerned. */
  targetCertificateId?: string | undefined;
  /** What was asked (stored as the row's `request`); never secrets. */
  request: JsonObject;
  now: Date;
  expiresAt: Date;
  /** Who submitted it, for the audit entry. */
  actor: string;
  /** What the `application.submitted` entry says besides the application, its kind and the person. */
  details: Record<string, unknown>;
  /**
   * The surface's per-person limit: refused with QT_ERR_APPLICATION_LIMIT when the person already filed `max`
   * applications of this kind since `since` (decided in the statement that files this one).
   */
  limit?: { max: number; since: Date } | undefined;
  /**
   * The surface's own row beside the application (e.g. an INSERT into portal_reissues naming the id given in `id`),
   * written in the same statement, so it exists exactly when the application does.
   */
  alongside?: RawBuilder<unknown> | undefined;
}

/**
 * Files an application (state `submitted`) and its `application.submitted` entry in the caller's transaction,
 * so that whatever the caller stores beside it commits with it. A second open issue or re-issue for the same
 * person fails on the unique index (PostgreSQL code 23505): the caller decides whether to join the open one.
 *
 * For a person the RA knows (no `person`), it is one statement — the limit's count, the row, its audit entry and
 * the surface's `alongside` row as CTEs — so a surface that needs nothing else needs no transaction of its own
 * (issue 16: the portal's «Подать заявку» went from six round trips to one).
 */
export async function createApplication(trx: Kysely<Database>, a: NewApplication): Promise<string> {
  if (a.person) {
    // Only a first-time applicant: a known person's name stays as their certificates state it.
    const known = await trx.selectFrom('subjects').select('iin').where('iin', '=', a.iin).executeTakeFirst();
    if (!known) await upsertSubject(trx, { iin: a.iin, ...a.person, email: undefined });
  }
  if (a.id !== undefined && !isUuid(a.id)) throw new QtError('QT_ERR_INPUT_INVALID', 'An application id is a UUID', { field: 'id' });
  const id = (a.id ?? randomUUID()).toLowerCase();
  const audit = queueAuditFrom('app', {
    actor: a.actor,
    action: 'application.submitted',
    target: `application:${id}`,
    details: { applicationId: id, kind: a.kind, identification: a.identification, iin: a.iin, ...a.details },
  });
  const limit = a.limit
    ? sql`WHERE (SELECT count(*) FROM applications WHERE iin = ${a.iin} AND kind = ${a.kind} AND created_at > ${a.limit.since}) < ${a.limit.max}`
    : sql``;
  const { rows } = await sql<{ id: string }>`
    WITH app AS (
      INSERT INTO applications (id, kind, iin, storage, identification, target_certificate_id, request, created_at, updated_at, expires_at)
      SELECT ${id}::uuid, ${a.kind}::text, ${a.iin}::text, ${a.storage ?? null}::text, ${a.identification}::text, ${a.targetCertificateId ?? null}::bigint,
             ${JSON.stringify(a.request)}::jsonb, ${a.now}::timestamptz, ${a.now}::timestamptz, ${a.expiresAt}::timestamptz
      ${limit}
      RETURNING id
    ), audit AS (${audit})${a.alongside ? sql`, alongside AS (${a.alongside})` : sql``}
    SELECT id FROM app`.execute(trx);
  if (!rows[0]) throw new QtError('QT_ERR_APPLICATION_LIMIT');
  return id;
}

export interface ApplicationMove {
  /** Who moved it: 'citizen:<IIN>', 'operator:<login>', 'system:<component>'. */
  actor: string;
  /** Why it ended (kept as the row's decision_reason, and in the audit entry). */
  reason?: string | undefined;
  /** What else the audit entry says (e.g. how the identity was proven). */
  details?: Record<string, unknown> | undefined;
  /**
   * The application's kind, person and identification as the caller read them (they never change): the move and
   * its audit entry are then one statement instead of two.
   */
  known?: ApplicationIdentity | undefined;
  /**
   * With `known`: CTEs of the caller's own that go first in the move's statement (a locked read, a change of the
   * caller's table), and the one of them that must have a row for the application to move — the caller's change,
   * the move and its audit entry are then one statement, all or nothing. The move is only tried; when it does not
   * happen (the gate had no row), moveApplication returns undefined instead of refusing, so the caller can find
   * out why.
   */
  along?: { ctes: RawBuilder<unknown>; gate: string } | undefined;
  /**
   * With `known`: the surface's own change beside the move, as a CTE written in the same statement that reads
   * `moved` (so it happens exactly when the move does), e.g. its row naming what completed the application.
   */
  alongside?: RawBuilder<unknown> | undefined;
}

export interface ApplicationIdentity {
  kind: ApplicationKind;
  iin: string;
  identification: 'in_person' | 'remote' | null;
}

/**
 * Moves an application from `from` to `to` with its `application.<to>` audit entry, in the caller's
 * transaction. Only from the state the caller saw: when another request moved it first, nothing changes and
 * QT_ERR_APPLICATION_STATE says so. The entry names the application as its row does (kind, identification,
 * person), whoever asks for the move.
 */
export async function moveApplication(trx: Kysely<Database>, id: string, from: ApplicationState, to: ApplicationState, now: Date, move: ApplicationMove & { along: NonNullable<ApplicationMove['along']> }): Promise<ApplicationIdentity | undefined>;
export async function moveApplication(trx: Kysely<Database>, id: string, from: ApplicationState, to: ApplicationState, now: Date, move: ApplicationMove): Promise<ApplicationIdentity>;
export async function moveApplication(
  trx: Kysely<Database>,
  id: string,
  from: ApplicationState,
  to: ApplicationState,
  now: Date,
  move: ApplicationMove,
): Promise<ApplicationIdentity | undefined> {
  if (!APPLICATION_MOVES[from].includes(to)) throw new QtError('QT_ERR_APPLICATION_STATE', `An application cannot go from ${from} to ${to}`, { from, to });
  const entry = (moved: ApplicationIdentity) => ({
    actor: move.actor,
    action: `application.${to}`,
    target: `application:${id}`,
    details: {
      applicationId: id,
      kind: moved.kind,
      ...(moved.identification ? { identification: moved.identification } : {}),
      iin: moved.iin,
      from,
      to,
      ...(move.reason ? { reason: move.reason } : {}),
      ...move.details,
    },
  });
  if (move.known) {
    // The row is moved only if it is still what the entry says; the entry is queued only for a row moved.
    const k = move.known;
    const along = move.along;
    const { rows } = await sql<{ id: string }>`
      WITH ${along ? sql`${along.ctes}, ` : sql``}moved AS (
        UPDATE applications SET state = ${to}, updated_at = ${now}${move.reason ? sql`, decision_reason = ${move.reason}` : sql``}
        WHERE id = ${id} AND state = ${from} AND kind = ${k.kind} AND iin = ${k.iin} AND identification IS NOT DISTINCT FROM ${k.identification}
          ${along ? sql`AND EXISTS (SELECT 1 FROM ${sql.table(along.gate)})` : sql``}
        RETURNING id
      ), audit AS (${queueAuditFrom('moved', entry(k))})${move.alongside ? sql`, alongside AS (${move.alongside})` : sql``}
      SELECT id FROM moved`.execute(trx);
    if (!rows[0]) {
      if (along) return undefined;
      throw new QtError('QT_ERR_APPLICATION_STATE', `The application is no longer ${from}`);
    }
    return { kind: k.kind, iin: k.iin, identification: k.identification };
  }
  if (move.along || move.alongside) throw new QtError('QT_ERR_INTERNAL', 'A move along with other changes needs the application as the caller read it (known)');
  const moved = await trx
    .updateTable('applications')
    .set({ state: to, updated_at: now, ...(move.reason ? { decision_reason: move.reason } : {}) })
    .where('id', '=', id)
    .where('state', '=', from)
    .returning(['kind', 'iin', 'identification'])
    .executeTakeFirst();
  if (!moved) throw new QtError('QT_ERR_APPLICATION_STATE', `The application is no longer ${from}`);
  await appendAudit(trx, entry(moved));
  return moved;
}

/** How many applications of this kind the person filed since `since` (the surfaces' per-day limits). */
export async function countApplications(
  db: Kysely<Database>,
  q: { iin: string; kind: ApplicationKind; identification?: 'in_person' | 'remote' | undefined; since: Date },
): Promise<number> {
  let query = db
    .selectFrom('applications')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('iin', '=', q.iin)
    .where('kind', '=', q.kind)
    .where('created_at', '>', q.since);
  if (q.identification) query = query.where('identification', '=', q.identification);
  const row = await query.executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The person's open issue or re-issue, if any (there is at most one: the unique index). */
export async function openIssuance(db: Kysely<Database>, iin: string): Promise<{ id: string; kind: ApplicationKind } | undefined> {
  return db
    .selectFrom('applications')
    .select(['id', 'kind'])
    .where('iin', '=', iin)
    .where('kind', 'in', ['issue', 'reissue'])
    .where('state', 'in', [...OPEN_STATES])
    .executeTakeFirst();
}

export function checkApplicationId(id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  if (!isUuid(id)) throw new QtError('QT_ERR_INPUT_INVALID', `"${id.slice(0, 64)}" is not an application id (UUID)`, { field: 'applicationId' });
  return id.toLowerCase();
}

export async function checkApplication(trx: Kysely<Database>, id: string, iin: string, bin: string | undefined): Promise<void> {
  // FOR SHARE: the application cannot be cancelled or rejected while this issuance commits.
  const app = await trx.selectFrom('applications').select(['kind', 'state', 'iin', 'bin']).where('id', '=', id).forShare().executeTakeFirst();
  judgeApplication(app, id, iin, bin);
}

/** What an issuance reads of the application it fulfils (under a lock that lasts until its COMMIT). */
export interface ApplicationForIssuance {
  kind: ApplicationKind;
  state: ApplicationState;
  iin: string;
  bin: string | null;
}

/**
 * Refuses an issuance for this application unless it is an approved issue or re-issue for this person:
 * checkApplication's verdict on a row the caller already read under a lock (issue-for-application.ts locks it
 * FOR UPDATE first, so reading it again per certificate would only cost round trips).
 */
export function judgeApplication(app: ApplicationForIssuance | undefined, id: string, iin: string, bin: string | undefined): void {
  if (!app) throw new QtError('QT_ERR_APPLICATION_NOT_FOUND', `There is no application ${id}`, { applicationId: id });
  const problems: string[] = [];
  if (app.kind === 'revoke') problems.push('it is a revocation application');
  if (app.state !== 'approved') problems.push(`it is ${app.state}, not approved`);
  if (app.iin !== iin || (app.bin ?? undefined) !== bin) problems.push('it was made for another person or organisation');
  if (problems.length) {
    throw new QtError('QT_ERR_APPLICATION_NOT_APPROVED', `Application ${id} cannot be fulfilled: ${problems.join('; ')}`, { applicationId: id, state: app.state });
  }
}
