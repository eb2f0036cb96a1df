/**
 * Walks the audit chain in seq order and names what was done to it:
 *  - changed:   a row's content no longer matches its hash, or a row was rewritten and re-hashed so its
 *               successor (or the head) no longer links to it;
 *  - deleted:   seqs missing in the middle or at the end (the head remembers a later seq);
 *  - reordered: a row's hash matches its content under another row's seq: the two were swapped;
 *  - inserted:  a row beyond the head, or a last row that does not link to the chain;
 *  - disagrees: a certificate the database describes otherwise than its audit events (reconcile.ts) — an
 *               edit made with the triggers switched off, which leaves the chain itself intact.
 * Reading happens in one REPEATABLE READ snapshot, so appends running meanwhile cannot look like
 * tampering (on PGlite, whose one connection that transaction holds, everything else waits meanwhile).
 *
 * A keyless chain cannot stop someone with write access from deleting its newest rows and moving the head back
 * consistently: the signed checkpoints kept outside the database (checkpoints/) are what catch that.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { GENESIS_HASH, rowHash, type ChainedRow } from './canonical.ts';
import { reconcileCertificates } from './reconcile.ts';
import { checkCheckpoints, type CheckpointEvidence, type CheckpointSummary } from './checkpoints/verify.ts';
import type { AuditProblem } from './problems.ts';

export type { AuditProblem, AuditProblemKind } from './problems.ts';

export interface AuditVerification {
  ok: boolean;
  /** Rows read. */
  rows: number;
  /** The last seq the chain's head records. */
  headSeq: number;
  problems: AuditProblem[];
  /** Present when checkpoints were given: how many verified, and the newest. */
  checkpoints?: CheckpointSummary;
}

export interface VerifyAuditOptions {
  /** Signed checkpoints kept outside the database (a node's file, /audit/checkpoints) and the key they are checked with. */
  checkpoints?: CheckpointEvidence | undefined;
}

interface StoredRow extends ChainedRow {
  prevHash: Buffer;
  hash: Buffer;
}

const BATCH = 5000;
// Swap detection compares suspects pairwise; beyond this many the rest are simply reported as changed.
const MAX_SWAP_CANDIDATES = 2000;

export async function verifyAudit(db: Kysely<Database>, options: VerifyAuditOptions = {}): Promise<AuditVerification> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const head = await trx.selectFrom('audit_head').select(['seq', 'hash']).executeTakeFirstOrThrow();
      const headSeq = BigInt(head.seq);
      const problems: AuditProblem[] = [];
      const selfMismatches: StoredRow[] = [];
      const brokenLinks: Array<{ seq: bigint; prevSeq: bigint }> = [];
      let prev = { seq: 0n, hash: GENESIS_HASH };
      let rows = 0;
      let headRowHash: Buffer | undefined;

      for (let after = '0'; ; ) {
        const batch = await trx.selectFrom('audit_log').selectAll().where('seq', '>', after).orderBy('seq').limit(BATCH).execute();
        for (const r of batch) {
          rows++;
          const row: StoredRow = { seq: r.seq, at: r.at, actor: r.actor, action: r.action, target: r.target, details: r.details, prevHash: r.prev_hash, hash: r.hash };
          const seq = BigInt(row.seq);
          if (seq > headSeq) {
            problems.push({ seq: Number(seq), kind: 'inserted', message: `row ${seq} lies beyond the chain's head (${headSeq}): it was added without the chain` });
          } else if (!rowHash(row.prevHash, row).equals(row.hash)) {
            selfMismatches.push(row);
          }
          if (seq === headSeq) headRowHash = row.hash;
          if (seq > prev.seq + 1n) {
            problems.push(deleted(prev.seq + 1n, seq - 1n, `row ${seq} follows row ${prev.seq}`));
          } else if (!row.prevHash.equals(prev.hash)) {
            brokenLinks.push({ seq, prevSeq: prev.seq });
          }
          prev = { seq, hash: row.hash };
        }
        if (batch.length < BATCH) break;
        after = batch[batch.length - 1]!.seq;
      }

      const lastSeq = prev.seq;
      if (headSeq > lastSeq) {
        problems.push(deleted(lastSeq + 1n, headSeq, `the head records seq ${headSeq} but the last row is ${lastSeq}`));
      }

      const swaps = findSwaps(selfMismatches);
      const explainedLinks = new Set<bigint>();
      for (const [seq, originalSeq] of swaps) {
        problems.push({ seq: Number(seq), kind: 'reordered', originalSeq: Number(originalSeq), message: `row ${seq} was written as row ${originalSeq}: rows were swapped` });
        // A moved row breaks the link into it and the link out of it.
        explainedLinks.add(seq).add(seq + 1n);
      }
      const changed = new Set<bigint>();
      for (const row of selfMismatches) {
        const seq = BigInt(row.seq);
        if (swaps.has(seq)) continue;
        changed.add(seq);
        problems.push({ seq: Number(seq), kind: 'changed', message: `row ${seq} no longer matches its hash: its content was changed` });
      }
      for (const { seq, prevSeq } of brokenLinks) {
        if (explainedLinks.has(seq) || seq > headSeq || changed.has(seq) || changed.has(prevSeq)) continue;
        if (seq === lastSeq) {
          problems.push({ seq: Number(seq), kind: 'inserted', message: `the last row ${seq} does not link to row ${prevSeq}: it was added without the chain` });
        } else {
          changed.add(prevSeq);
          problems.push({ seq: Number(prevSeq), kind: 'changed', message: `row ${seq} does not link to row ${prevSeq}: row ${prevSeq} was rewritten and re-hashed` });
        }
      }
      if (headRowHash && !headRowHash.equals(head.hash) && !changed.has(headSeq) && !swaps.has(headSeq)) {
        problems.push({ seq: Number(headSeq), kind: 'changed', message: `row ${headSeq} is not the row the head recorded: it was rewritten and re-hashed` });
      }

      for (const d of await reconcileCertificates(trx)) {
        problems.push({ seq: d.seq, kind: 'disagrees', certificate: d.certificate, message: `${d.certificate.slice('certificate:'.length)}: ${d.message}` });
      }

      let checkpoints: CheckpointSummary | undefined;
      if (options.checkpoints) {
        const checked = await checkCheckpoints(trx, options.checkpoints);
        checkpoints = checked.summary;
        problems.push(...checked.problems);
      }

      problems.sort((a, b) => a.seq - b.seq);
      return { ok: problems.length === 0, rows, headSeq: Number(headSeq), problems, ...(checkpoints ? { checkpoints } : {}) };
    });
}

/** seq -> original seq, for rows whose hash verifies under the seq of another mismatching row. */
function findSwaps(suspects: StoredRow[]): Map<bigint, bigint> {
  const swaps = new Map<bigint, bigint>();
  const candidates = suspects.slice(0, MAX_SWAP_CANDIDATES);
  for (const row of candidates) {
    for (const other of candidates) {
      if (other === row) continue;
      if (rowHash(row.prevHash, { ...row, seq: other.seq }).equals(row.hash)) {
        swaps.set(BigInt(row.seq), BigInt(other.seq));
        break;
      }
    }
  }
  return swaps;
}

function deleted(first: bigint, last: bigint, evidence: string): AuditProblem {
  const which = first === last ? `row ${first} is missing` : `rows ${first}..${last} are missing`;
  return { seq: Number(first), kind: 'deleted', through: Number(last), message: `${which} (${evidence})` };
}
