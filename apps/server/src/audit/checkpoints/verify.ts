/**
 * Holds the audit log up against checkpoints kept outside the database. Each line whose signature verifies
 * under the audit checkpoint key vouches that row `seq` existed with hash `hash` at `at`; since every row's
 * hash covers all rows before it, that vouches for the whole chain up to it. So:
 *  - truncated: a checkpoint names a row beyond the log's last row — the newest rows were deleted (and the
 *    head moved back, or the chain would say so itself);
 *  - rewritten: the row a checkpoint names has another hash — the log was rewritten from that row or before;
 *  - checkpoint: a line that is not a checkpoint signed by this key (damaged, forged, another key).
 */
import { createHash } from 'node:crypto';
import { verifySignature } from '@qoltanba/pki';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { checkpointMessage, parseCheckpoint, type Checkpoint } from './format.ts';
import type { AuditProblem } from '../problems.ts';

export interface CheckpointEvidence {
  /** The lines, as read from a file or /audit/checkpoints. */
  lines: readonly string[];
  /** DER SubjectPublicKeyInfo of the audit checkpoint key. */
  publicKey: Uint8Array;
}

export interface CheckpointSummary {
  /** Lines whose signature verified. */
  verified: number;
  /** Of those, the newest (highest seq). */
  newest: { seq: number; at: Date } | undefined;
}

export async function checkCheckpoints(trx: Kysely<Database>, evidence: CheckpointEvidence): Promise<{ summary: CheckpointSummary; problems: AuditProblem[] }> {
  const problems: AuditProblem[] = [];
  const fingerprint = createHash('sha256').update(evidence.publicKey).digest('hex');
  const valid: Checkpoint[] = [];
  for (const [i, raw] of evidence.lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    const where = `checkpoint line ${i + 1}`;
    let c: Checkpoint;
    try {
      c = parseCheckpoint(line);
    } catch (e) {
      problems.push({ seq: 0, kind: 'checkpoint', message: `${where}: ${(e as Error).message}` });
      continue;
    }
    if (c.key !== fingerprint) {
      problems.push({ seq: 0, kind: 'checkpoint', message: `${where} (row ${c.seq}) is signed by another key (${c.key.slice(0, 16)}…), not the audit checkpoint key (${fingerprint.slice(0, 16)}…)` });
      continue;
    }
    let ok = false;
    try {
      ok = await verifySignature(c.alg, { spki: evidence.publicKey, data: checkpointMessage(c), signature: c.signature });
    } catch {
      ok = false;
    }
    if (!ok) {
      problems.push({ seq: 0, kind: 'checkpoint', message: `${where} (row ${c.seq}): the signature does not verify under the audit checkpoint key: forged or damaged` });
      continue;
    }
    valid.push(c);
  }

  const last = await trx.selectFrom('audit_log').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const lastSeq = last ? BigInt(last.seq) : 0n;
  const named = [...new Set(valid.filter((c) => c.seq > 0n && c.seq <= lastSeq).map((c) => String(c.seq)))];
  const hashes = new Map<string, string>();
  for (let i = 0; i < named.length; i += 1000) {
    const rows = await trx.selectFrom('audit_log').select(['seq', 'hash']).where('seq', 'in', named.slice(i, i + 1000)).execute();
    for (const r of rows) hashes.set(String(r.seq), r.hash.toString('hex'));
  }

  // Beyond the end: one problem, for the checkpoint that reaches furthest.
  const beyond = valid.filter((c) => c.seq > lastSeq).sort((a, b) => (a.seq < b.seq ? 1 : -1));
  const furthest = beyond[0];
  if (furthest) {
    const first = lastSeq + 1n;
    const rows = first === furthest.seq ? `row ${first} is` : `rows ${first}..${furthest.seq} are`;
    problems.push({
      seq: Number(first),
      kind: 'truncated',
      through: Number(furthest.seq),
      message: `${rows} gone: the checkpoint of ${furthest.at.toISOString()} vouches for row ${furthest.seq}, the log ends at row ${lastSeq}${beyond.length > 1 ? ` (${beyond.length} checkpoints reach beyond it)` : ''}`,
    });
  }
  const reported = new Set<string>();
  for (const c of valid) {
    const seq = String(c.seq);
    if (c.seq === 0n || c.seq > lastSeq || reported.has(seq)) continue;
    const stored = hashes.get(seq);
    if (stored === c.hash) continue;
    reported.add(seq);
    problems.push({
      seq: Number(c.seq),
      kind: 'rewritten',
      message: stored
        ? `row ${seq} is not the row the checkpoint of ${c.at.toISOString()} signed: the log was rewritten at or before row ${seq}`
        : `row ${seq}, which the checkpoint of ${c.at.toISOString()} signed, is missing`,
    });
  }

  const newest = valid.reduce<Checkpoint | undefined>((a, c) => (!a || c.seq > a.seq || (c.seq === a.seq && c.at > a.at) ? c : a), undefined);
  return { summary: { verified: valid.length, newest: newest && { seq: Number(newest.seq), at: newest.at } }, problems };
}
