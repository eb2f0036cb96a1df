/**
 * Group commit for issuance (issue 16): the entry point `issue`, and the batch transaction it shares among the
 * requests that wait together.
 *
 * No timer. A request that finds no issuance transaction of this RA in flight starts one at once, alone — exactly
 * issue.ts's one-certificate transaction (issueAlone). Requests that arrive while one is in flight wait; when it ends,
 * those waiting (up to BATCH_CAP) become the next batch: one transaction whose statements carry every request's rows
 * at once (one text whatever the batch's size, so each is prepared once per connection):
 *   1. the idempotency claims, each public key's lock taken once its key is claimed (idempotency.ts);
 *   2. a later statement, so its snapshot sees what committed before the locks: each claimed key's clash, each
 *      unclaimed key's stored answer; then the CAs (and the applications named, FOR SHARE);
 *   3. after every request's verdict (in the order of old: CA, application, key) the accepted ones are signed — lint
 *      before sign, the CA signatures at the same time on the thread pool, each with its OCSP "good" response
 *      (hooks.fresh) — and one statement stores certificates, subjects, audit entries (one per certificate, in the
 *      chain in request order), idempotency answers and OCSP responses, and forgets the claims of the refused ones;
 *   then one COMMIT (and one WAL flush) for all of them.
 * A request refused on its own (CSR, lint, CA, application, key reuse, idempotency replay or conflict) gets the error
 * it would get alone, and the others are issued. Two requests that must not share a transaction — the same
 * idempotency key, or the same public key, which alone would wait for each other's commit — are never in one batch:
 * the later one waits for the next, and then sees the first one's commit, as alone. A batch whose transaction fails
 * as a whole (a statement refused, the connection lost) is rolled back and its requests are issued one by one, each
 * getting its own answer or error; a stale prepared statement runs the batch once more first (store/prepared.ts).
 * Nothing is answered before COMMIT: a crash loses only what no client was told.
 */
import { sql, type Kysely } from 'kysely';
import { QtError, type IssuedCertificate, type Signer } from '@qoltanba/pki';
import type { Database } from '../store/schema.ts';
import { retryOnStalePlan } from '../store/prepared.ts';
import { queueAuditsFrom } from '../audit/index.ts';
import type { Ra } from './ra.ts';
import { judgeApplication, type ApplicationForIssuance } from './applications.ts';
import type { FreshOcsp } from './hooks.ts';
import { claimIdempotencyKeys, storedAnswer } from './idempotency.ts';
import { keyClash, publicKeyLockKey, publicKeyLockOn, refuseKeyClash } from './key-reuse.ts';
import { selectCertificates, toRecord } from './records.ts';
import { normalizeSerial } from './serial.ts';
import { ON_SUBJECT_CONFLICT } from './subjects.ts';
import {
  announceIssued,
  checkRequest,
  issueAlone,
  issuedEntry,
  issuedRecord,
  openSigner,
  presignFresh,
  signPrepared,
  subjectOf,
  SERIAL_ATTEMPTS,
  type CheckedRequest,
  type IssueRequest,
  type IssueResult,
  type Outcome,
  type PreparedIssuance,
} from './issue.ts';

/** Requests per transaction at most: 32 RSA-4096 signatures are ≈ 60 ms on two cores, the wait of the last one. */
export const BATCH_CAP = 32;

/**
 * Issues one certificate: every check on the request alone first, then in the next issuance transaction of this RA
 * (alone when none is in flight, else with those waiting); answered after its COMMIT.
 */
export async function issue(ra: Ra, request: IssueRequest): Promise<IssueResult> {
  const checked = await checkRequest(ra, request);
  const outcome = await queueOf(ra).submit(checked, (batch) => runBatch(ra, batch));
  await announceIssued(ra, outcome);
  return { certificate: outcome.certificate, replayed: outcome.replayed };
}

/** The sizes of this RA's last issuance transactions (newest last): what tests and the bench read of the batching. */
export function issuanceBatchSizes(ra: Ra): readonly number[] {
  return queueOf(ra).sizes;
}

/** How many issuance transactions this RA ran, and for how many requests (the bench's mean batch size). */
export function issuanceBatchTotals(ra: Ra): { transactions: number; requests: number } {
  const q = queueOf(ra);
  return { transactions: q.transactions, requests: q.requests };
}

/** How many requests wait for this RA's next issuance transaction (tests: to know a batch has formed). */
export function issuanceWaiting(ra: Ra): number {
  return queueOf(ra).waiting;
}

/** Each request's answer or error, as Promise.allSettled gives them. */
type Settled<R> = PromiseSettledResult<R>;

const rejected = (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason });
/** A request the batch did not settle (a bug): refused rather than left waiting. */
const noAnswer = () => rejected(new QtError('QT_ERR_INTERNAL', 'An issuance batch gave no answer for a request'));

interface Waiting<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/** One batch in flight at a time; what arrives meanwhile waits for the next (see above). */
class GroupCommitQueue<T, R> {
  readonly sizes: number[] = [];
  transactions = 0;
  requests = 0;
  readonly #cap: number;
  readonly #apart: (a: T, b: T) => boolean;
  #waiting: Waiting<T, R>[] = [];
  #running = false;

  constructor(cap: number, apart: (a: T, b: T) => boolean) {
    this.#cap = cap;
    this.#apart = apart;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  submit(item: T, run: (items: readonly T[]) => Promise<Settled<R>[]>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        void this.#drain(run);
      }
    });
  }

  async #drain(run: (items: readonly T[]) => Promise<Settled<R>[]>): Promise<void> {
    // A microtask, not a timer: requests submitted in this same tick share the first transaction; nothing waits for more.
    await undefined;
    try {
      // The emptiness check and clearing #running (finally) have no await between them: nothing submitted is left behind.
      while (this.#waiting.length > 0) {
        const batch = this.#take();
        this.sizes.push(batch.length);
        this.transactions++;
        this.requests += batch.length;
        if (this.sizes.length > 1000) this.sizes.splice(0, this.sizes.length - 1000);
        let settled: Settled<R>[];
        try {
          settled = await run(batch.map((w) => w.item));
        } catch (error) {
          settled = batch.map(() => rejected(error));
        }
        batch.forEach((w, i) => {
          const s = settled[i] ?? noAnswer();
          if (s.status === 'fulfilled') w.resolve(s.value);
          else w.reject(s.reason);
        });
      }
    } finally {
      this.#running = false;
    }
  }

  /** The waiting requests in arrival order, up to the cap, leaving for the next batch any that must not share this one. */
  #take(): Waiting<T, R>[] {
    const taken: Waiting<T, R>[] = [];
    const left: Waiting<T, R>[] = [];
    for (const w of this.#waiting) {
      if (taken.length < this.#cap && !taken.some((t) => this.#apart(t.item, w.item))) taken.push(w);
      else left.push(w);
    }
    this.#waiting = left;
    return taken;
  }
}

const queues = new WeakMap<Ra, GroupCommitQueue<CheckedRequest, Outcome>>();

function queueOf(ra: Ra): GroupCommitQueue<CheckedRequest, Outcome> {
  let queue = queues.get(ra);
  if (!queue) {
    // Alone, a second request with the same idempotency key or public key waits for the first one's commit (the claim's
    // row, the key's lock); in one transaction it could not see it. So such a request waits for the next batch.
    queue = new GroupCommitQueue(BATCH_CAP, (a, b) => (a.scope === b.scope && a.key === b.key) || a.spkiSha256.equals(b.spkiSha256));
    queues.set(ra, queue);
  }
  return queue;
}

async function settle<R>(p: Promise<R>): Promise<Settled<R>> {
  const [result] = await Promise.allSettled([p]);
  return result!;
}

async function runBatch(ra: Ra, batch: readonly CheckedRequest[]): Promise<Settled<Outcome>[]> {
  if (batch.length === 1) return [await settle(issueAlone(ra, batch[0]!))];
  try {
    return await retryOnStalePlan(() => ra.ctx.store.db.transaction().execute((trx) => issueBatchIn(ra, trx, batch)));
  } catch (err) {
    // Nothing of the batch committed. Alone, each request meets what failed it (or not) by itself.
    ra.ctx.log.warn({ err, requests: batch.length }, 'an issuance batch failed as a whole; issuing its requests one by one');
    const out: Settled<Outcome>[] = [];
    for (const c of batch) out.push(await settle(issueAlone(ra, c)));
    return out;
  }
}

/** A request accepted and signed, ready to store. */
interface Signed {
  i: number;
  p: PreparedIssuance;
  issued: IssuedCertificate;
  serial: string;
  attempt: number;
  fresh: FreshOcsp | undefined;
}

/** The batch in the caller's transaction: an answer or an error per request; throws only what fails the batch as a whole. */
export async function issueBatchIn(ra: Ra, trx: Kysely<Database>, list: readonly CheckedRequest[]): Promise<Settled<Outcome>[]> {
  const { ctx } = ra;
  const settled: (Settled<Outcome> | undefined)[] = list.map(() => undefined);
  const fail = (i: number, error: unknown) => (settled[i] = rejected(error));

  // 1. Claims, each public key's lock taken once its key is claimed.
  const claimed = await claimIdempotencyKeys(
    trx,
    list.map((c) => ({ scope: c.scope, key: c.key, hash: c.hash, lock: publicKeyLockKey(c.spkiSha256) })),
    ra.idempotencyHours,
    publicKeyLockOn,
  );

  // 2. A later statement than the locks: key clashes of the claimed, stored answers of the others. Then the CAs, and the
  //    applications the claimed requests name (FOR SHARE: not cancelled or rejected while this commits).
  const { rows: checks } = await sql<{ i: number; clash_ca: string | null; clash_serial: string | null; clash_reason: number | null; request_hash: Buffer | null; response_status: number | null; response: unknown }>`
    SELECT m.i, k.clash_ca, k.clash_serial, k.clash_reason, ik.request_hash, ik.response_status, ik.response
    FROM unnest(${list.map((c) => c.spkiSha256)}::bytea[], ${list.map((c) => c.request.subject.iin)}::text[], ${list.map((c) => c.scope)}::text[],
                ${list.map((c) => c.key)}::text[], ${list.map((_, i) => claimed.has(i))}::bool[], ${list.map((_, i) => i)}::int4[])
         AS m(spki, iin, scope, key, claimed, i)
    LEFT JOIN LATERAL ${keyClash(trx, sql<Buffer>`m.spki`, sql<string>`m.iin`)} AS k ON m.claimed
    LEFT JOIN idempotency_keys ik ON NOT m.claimed AND ik.scope = m.scope AND ik.key = m.key
    ORDER BY m.i`.execute(trx);
  const cas = await ra.cas.all(trx);
  const applications = await applicationsFor(
    trx,
    list.flatMap((c, i) => (claimed.has(i) && c.applicationId ? [c.applicationId] : [])),
  );

  // 3. Each request's verdict, in the order of old: the CA, then the application, then the key.
  const accepted: { i: number; p: PreparedIssuance }[] = [];
  const replays: { i: number; id: string }[] = [];
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    const row = checks[i];
    try {
      if (!row || Number(row.i) !== i) throw new QtError('QT_ERR_INTERNAL', 'The batch read lost a request');
      if (!claimed.has(i)) {
        const answer = storedAnswer(row.request_hash === null ? undefined : { request_hash: row.request_hash, response_status: row.response_status, response: row.response }, c.hash);
        const id = answer.kind === 'replay' ? answer.response.certificateId : undefined;
        if (typeof id !== 'string') throw new QtError('QT_ERR_INTERNAL', 'The stored answer for this Idempotency-Key names no certificate');
        replays.push({ i, id });
        continue;
      }
      const { request } = c;
      const ca = ra.cas.choose(ra.cas.among(cas, request.ca), request.ca, c.csr.publicKey.algorithm, ctx.now());
      const signer: Signer = await openSigner(ctx, ca);
      if (c.applicationId) judgeApplication(applications.get(c.applicationId), c.applicationId, request.subject.iin, request.subject.bin || undefined);
      refuseKeyClash(row);
      accepted.push({ i, p: { replayed: false, c, ca, signer } });
    } catch (e) {
      fail(i, e);
    }
  }
  if (replays.length > 0) {
    const rows = await selectCertificates(trx)
      .where('c.id', 'in', replays.map((r) => r.id))
      .execute();
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    for (const { i, id } of replays) {
      const row = byId.get(id);
      settled[i] = row ? { status: 'fulfilled', value: { replayed: true, certificate: toRecord(row) } } : rejected(new QtError('QT_ERR_INTERNAL', 'The stored answer for this Idempotency-Key names no certificate'));
    }
  }

  // 4. Lint and sign the accepted ones at the same time; a request whose lint or signature fails is refused alone.
  const signed = (
    await Promise.all(
      accepted.map(async ({ i, p }) => {
        try {
          return await signOne(ra, i, p, 1);
        } catch (e) {
          fail(i, e);
          return undefined;
        }
      }),
    )
  ).filter((s): s is Signed => s !== undefined);

  // 5. One statement stores them all and forgets the claims of the refused; a serial collision (stores nothing of that
  //    request) is signed again with a new serial and stored by the same statement.
  let refused = [...claimed].filter((i) => settled[i]?.status === 'rejected').map((i) => list[i]!);
  let ready = signed;
  for (let round = 1; ready.length > 0 || refused.length > 0; round++) {
    const stored = await storeBatch(ra, trx, ready, refused);
    refused = [];
    const again: Signed[] = [];
    for (const s of ready) {
      const row = stored.get(`${s.p.ca.id}/${s.serial}`);
      if (row) settled[s.i] = { status: 'fulfilled', value: { replayed: false, caId: s.p.ca.id, certificate: issuedRecord(s.p.c, s.p.ca, s.issued, s.serial, row), ocspStored: s.fresh !== undefined } };
      else again.push(s);
    }
    if (again.length === 0) break;
    for (const s of again) ctx.log.warn({ ca: s.p.ca.name, serial: s.serial }, 'serial number collision; signing again with a new serial');
    if (round >= SERIAL_ATTEMPTS) throw new QtError('QT_ERR_INTERNAL', `No free serial number after ${SERIAL_ATTEMPTS} attempts`);
    ready = await Promise.all(again.map((s) => signOne(ra, s.i, s.p, s.attempt + 1)));
  }
  return settled.map((s) => s ?? noAnswer());
}

/** The CA signature (lint before sign) and, when the status service offers it, the certificate's OCSP response. */
async function signOne(ra: Ra, i: number, p: PreparedIssuance, attempt: number): Promise<Signed> {
  const issued = await signPrepared(ra, p);
  const serial = normalizeSerial(issued.serialHex);
  return { i, p, issued, serial, attempt, fresh: await presignFresh(ra, p.ca, serial) };
}

async function applicationsFor(trx: Kysely<Database>, ids: readonly string[]): Promise<Map<string, ApplicationForIssuance>> {
  if (ids.length === 0) return new Map();
  const rows = await trx
    .selectFrom('applications')
    .select(['id', 'kind', 'state', 'iin', 'bin'])
    .where('id', '=', sql<string>`ANY(${[...new Set(ids)].sort()}::uuid[])`)
    .orderBy('id')
    .forShare()
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * One statement: the certificates, and for each one stored (a colliding serial stores nothing of its request) its
 * subject, audit entry, idempotency answer and OCSP response; and the claims of the refused requests forgotten (the
 * transaction commits for the others, so theirs would otherwise stay claimed with no answer). Returns what was stored
 * by "<ca id>/<serial>".
 */
async function storeBatch(ra: Ra, trx: Kysely<Database>, ready: readonly Signed[], refused: readonly CheckedRequest[]): Promise<Map<string, { id: string; issued_at: Date }>> {
  // A person twice in the batch is one subjects row: the last request's name, the last address given (as one after another).
  const people = new Map<string, ReturnType<typeof subjectOf>>();
  for (const s of ready) {
    const subject = subjectOf(s.p.c);
    const before = people.get(s.p.c.request.subject.iin);
    people.set(s.p.c.request.subject.iin, { ...subject, email: subject.email ?? before?.email ?? null });
  }
  const col = <T>(f: (s: Signed) => T) => ready.map(f);
  const audit = queueAuditsFrom(
    'c',
    sql<string>`c.ca_id::text || '/' || c.serial`,
    ready.map((s) => ({ key: `${s.p.ca.id}/${s.serial}`, entry: issuedEntry(s.p.c, s.p.ca, s.issued, s.serial, s.attempt) })),
  );
  const fresh = ready.flatMap((s) => (s.fresh ? [s.fresh] : []));
  const ocsp = ra.hooks.fresh && fresh.length > 0 ? sql`, o AS (${ra.hooks.fresh.storeFrom('c', fresh)})` : sql``;
  const { rows } = await sql<{ id: string; issued_at: Date; ca_id: number; serial: string }>`
    WITH v AS (
      -- Columns named, no star: a statement with one is never prepared (store/prepared.ts).
      SELECT v.ca_id, v.serial, v.der, v.kind, v.profile, v.iin, v.bin, v.dn, v.spki, v.not_before, v.not_after, v.storage, v.application_id, v.scope, v.key, v.ca_name, v.ord
      FROM unnest(${col((s) => s.p.ca.id)}::int4[], ${col((s) => s.serial)}::text[], ${col((s) => Buffer.from(s.issued.der))}::bytea[],
                           ${col((s) => s.p.c.kind)}::text[], ${col((s) => s.issued.profile)}::text[], ${col((s) => s.p.c.request.subject.iin)}::text[],
                           ${col((s) => s.p.c.request.subject.bin || null)}::text[], ${col((s) => s.issued.info.subject.display)}::text[],
                           ${col((s) => s.p.c.spkiSha256)}::bytea[], ${col((s) => s.issued.notBefore.toISOString())}::timestamptz[],
                           ${col((s) => s.issued.notAfter.toISOString())}::timestamptz[], ${col((s) => s.p.c.request.storage)}::text[],
                           ${col((s) => s.p.c.applicationId ?? null)}::uuid[], ${col((s) => s.p.c.scope)}::text[], ${col((s) => s.p.c.key)}::text[],
                           ${col((s) => s.p.ca.name)}::text[])
        WITH ORDINALITY AS v(ca_id, serial, der, kind, profile, iin, bin, dn, spki, not_before, not_after, storage, application_id, scope, key, ca_name, ord)
    ), c AS (
      INSERT INTO certificates (ca_id, serial, der, kind, profile, subject_iin, subject_bin, subject_dn, spki_sha256, not_before, not_after, storage, application_id)
      SELECT ca_id, serial, der, kind, profile, iin, bin, dn, spki, not_before, not_after, storage, application_id FROM v ORDER BY ord
      ON CONFLICT ON CONSTRAINT certificates_serial_unique_per_ca DO NOTHING
      RETURNING id, issued_at, ca_id, serial
    ), s AS (
      INSERT INTO subjects (iin, surname, given_name, patronymic, email)
      SELECT p.iin, p.surname, p.given_name, p.patronymic, p.email
      FROM unnest(${[...people.keys()]}::text[], ${[...people.values()].map((p) => p.surname)}::text[], ${[...people.values()].map((p) => p.givenName)}::text[],
                  ${[...people.values()].map((p) => p.patronymic)}::text[], ${[...people.values()].map((p) => p.email)}::text[])
           AS p(iin, surname, given_name, patronymic, email)
      WHERE EXISTS (SELECT 1 FROM v JOIN c ON c.ca_id = v.ca_id AND c.serial = v.serial WHERE v.iin = p.iin)
      ${ON_SUBJECT_CONFLICT}
    ), a AS (${audit}), i AS (
      UPDATE idempotency_keys k SET response_status = 201, completed_at = now(),
        response = jsonb_build_object('certificateId', c.id::text, 'ca', v.ca_name, 'serial', v.serial)
      FROM v JOIN c ON c.ca_id = v.ca_id AND c.serial = v.serial
      WHERE k.scope = v.scope AND k.key = v.key
    ), d AS (
      DELETE FROM idempotency_keys k USING unnest(${refused.map((c) => c.scope)}::text[], ${refused.map((c) => c.key)}::text[]) AS r(scope, key)
      WHERE k.scope = r.scope AND k.key = r.key
    )${ocsp}
    SELECT id, issued_at, ca_id, serial FROM c`.execute(trx);
  return new Map(rows.map((r) => [`${r.ca_id}/${r.serial}`, { id: String(r.id), issued_at: r.issued_at }]));
}
