/**
 * TEST SUPPORT ONLY: forming a batch of issuances on purpose (ra/batch.ts), on either backend.
 */
import { sql } from 'kysely';
import { isQtError } from '@qoltanba/pki';
import type { Store } from '../../store/index.ts';
import { issue, issuanceBatchSizes, issuanceWaiting } from '../batch.ts';
import type { IssueRequest, IssueResult } from '../issue.ts';
import type { Ra } from '../ra.ts';

export type Answer = { ok: true; result: IssueResult } | { ok: false; code: string; message: string };

/** An issuance's answer or error, as a value. */
export const answer = (p: Promise<IssueResult>): Promise<Answer> =>
  p.then(
    (result) => ({ ok: true as const, result }),
    (e: unknown) => ({ ok: false as const, code: isQtError(e) ? e.code : String(e), message: e instanceof Error ? e.message : String(e) }),
  );

/**
 * Issues `blocker` while a transaction holds its idempotency key's row (on PGlite: the only connection), so its
 * transaction — a batch of one — stays in flight; submits `requests` meanwhile and lets go once `queued` of them wait
 * in the queue (requests refused on their own, before any transaction, never do). Those then go in as one batch (or
 * more, when some must not share one). Answers in request order.
 */
export async function issueAsOneBatch(
  store: Store,
  ra: Ra,
  blocker: IssueRequest,
  requests: readonly IssueRequest[],
  queued = requests.length,
  /** Submitted once `requests` wait, so they queue after them (checks finish in no set order). Answered after `requests`. */
  later: readonly IssueRequest[] = [],
): Promise<{ blocker: Answer; answers: Answer[] }> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let held!: () => void;
  const holding = new Promise<void>((r) => (held = r));
  const holder = store.db
    .transaction()
    .execute(async (trx) => {
      await sql`INSERT INTO idempotency_keys (scope, key, request_hash, expires_at)
                VALUES (${`certificates.issue ${blocker.actor}`}, ${blocker.idempotencyKey}, ${Buffer.alloc(32)}, now() + interval '1 hour')`.execute(trx);
      held();
      await gate;
      throw new Error('rolled back on purpose');
    })
    .catch(() => undefined);
  await holding;
  const sizesBefore = issuanceBatchSizes(ra).length;
  const first = answer(issue(ra, blocker));
  await until(() => issuanceBatchSizes(ra).length > sizesBefore);
  const answers = requests.map((r) => answer(issue(ra, r)));
  await until(() => issuanceWaiting(ra) === queued);
  answers.push(...later.map((r) => answer(issue(ra, r))));
  await until(() => issuanceWaiting(ra) === queued + later.length);
  release();
  await holder;
  return { blocker: await first, answers: await Promise.all(answers) };
}

async function until(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 2));
  }
}
