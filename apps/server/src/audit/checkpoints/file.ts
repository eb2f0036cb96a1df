/**
 * The append-only checkpoint file of one node's data directory (`$QOLTANBA_HOME/audit/checkpoints.jsonl`): one
 * signed checkpoint per line (format.ts), only ever appended to (O_APPEND, fsync after each write). Each node
 * keeps its own copy: the checkpoints it signs, and — taken up from the audit_checkpoints table — those the
 * other nodes signed, each checked against the audit checkpoint key before it is written. Deleting or changing
 * the database's copy does not reach the files; a line that does not verify is never taken up.
 *
 * Keep a copy elsewhere too (`/audit/checkpoints` serves the file; fetch it from another machine, or mount the
 * directory on append-only storage): a file on the same machine as the database is out of a database user's
 * reach, not out of root's.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { verifySignature } from '@qoltanba/pki';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { checkpointMessage, parseCheckpoint } from './format.ts';
import type { AuditKey } from './sign.ts';

/** Lines of the database are matched against the file's lines of this long before its newest (clock order between nodes). */
const OVERLAP_MS = 10 * 60_000;

export function checkpointFilePath(home: string): string {
  return join(home, 'audit', 'checkpoints.jsonl');
}

/** The audit checkpoint key's public half, written by the CA ceremony: `$QOLTANBA_HOME/audit/checkpoint-key.pem`. */
export function auditKeyFile(home: string): string {
  return join(home, 'audit', 'checkpoint-key.pem');
}

export class CheckpointFile {
  readonly path: string;
  /** The file's newest checkpoint time, and its lines from OVERLAP_MS before it: what a catch-up compares with. */
  #newest = 0;
  readonly #recent = new Map<string, number>();

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) return;
    const text = readFileSync(path, 'utf8');
    // A write cut short by a crash leaves a partial last line: end it, so the next line stands on its own
    // (audit verify names the damaged one).
    if (text.length && !text.endsWith('\n')) this.#write('\n');
    for (const line of text.split('\n')) this.#remember(line);
  }

  /** The file's lines. */
  lines(): string[] {
    return existsSync(this.path) ? readFileSync(this.path, 'utf8').split('\n').filter((l) => l.trim()) : [];
  }

  /** Appends lines this process signed. */
  append(lines: readonly string[]): void {
    const fresh = lines.filter((l) => !this.#recent.has(l));
    if (!fresh.length) return;
    this.#write(fresh.map((l) => `${l}\n`).join(''));
    for (const l of fresh) this.#remember(l);
  }

  /** Takes up checkpoints other nodes signed (verified against `key`); returns how many lines were appended. */
  async catchUp(db: Kysely<Database>, key: AuditKey): Promise<number> {
    const since = new Date(Math.max(0, this.#newest - OVERLAP_MS));
    const rows = await db.selectFrom('audit_checkpoints').select('line').where('at', '>=', since).orderBy('at').orderBy('id').execute();
    const take: string[] = [];
    for (const { line } of rows) {
      if (this.#recent.has(line) || take.includes(line)) continue;
      if (await verifiedBy(line, key)) take.push(line);
    }
    this.append(take);
    return take.length;
  }

  #remember(line: string): void {
    if (!line.trim()) return;
    let at: number;
    try {
      at = parseCheckpoint(line).at.getTime();
    } catch {
      return;
    }
    this.#newest = Math.max(this.#newest, at);
    this.#recent.set(line, at);
    for (const [l, t] of this.#recent) if (t < this.#newest - OVERLAP_MS) this.#recent.delete(l);
  }

  #write(text: string): void {
    const fd = openSync(this.path, 'a', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

async function verifiedBy(line: string, key: AuditKey): Promise<boolean> {
  try {
    const c = parseCheckpoint(line);
    if (c.key !== createHash('sha256').update(key.publicKey).digest('hex')) return false;
    return await verifySignature(c.alg, { spki: key.publicKey, data: checkpointMessage(c), signature: c.signature });
  } catch {
    return false;
  }
}
