/**
 * What `qoltanba audit verify` checks the log against: checkpoint lines from a file or a URL (a node's
 * /audit/checkpoints), and the key they must be signed with — given (--audit-key), else the copy the ceremony
 * wrote to the data directory, else the database's (said so in `keyFrom`: a key read from the database being
 * checked proves less than one kept apart from it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { derFrom, QtError } from '@qoltanba/pki';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { activeAuditKey } from './sign.ts';
import { auditKeyFile, checkpointFilePath } from './file.ts';
import type { CheckpointEvidence } from './verify.ts';

const MAX_BYTES = 256 * 1024 * 1024;

export interface LoadedCheckpoints extends CheckpointEvidence {
  /** Where the lines came from (path or URL). */
  from: string;
  /** Where the key came from: a file path, or 'database'. */
  keyFrom: string;
}

/**
 * `source`: a path or an http(s) URL; undefined → the data directory's own file, when there is one (else
 * undefined: nothing to check against). `keyFile`: a PEM public key.
 */
export async function loadCheckpoints(db: Kysely<Database>, home: string, source: string | undefined, keyFile: string | undefined): Promise<LoadedCheckpoints | undefined> {
  const from = source ?? checkpointFilePath(home);
  if (source === undefined && !existsSync(from)) return undefined;
  const text = /^https?:\/\//i.test(from) ? await fetchText(from) : readText(from);
  const { publicKey, keyFrom } = await keyOf(db, home, keyFile);
  return { lines: text.split('\n'), publicKey, from, keyFrom };
}

async function keyOf(db: Kysely<Database>, home: string, keyFile: string | undefined): Promise<{ publicKey: Uint8Array; keyFrom: string }> {
  const file = keyFile ?? auditKeyFile(home);
  if (keyFile !== undefined || existsSync(file)) return { publicKey: derFrom(readText(file), 'PUBLIC KEY'), keyFrom: file };
  return { publicKey: new Uint8Array((await activeAuditKey(db)).publicKey), keyFrom: 'database' };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new QtError('QT_ERR_AUDIT_CHECKPOINTS_UNREADABLE', `${path} cannot be read: ${(e as Error).message}`, { path });
  }
}

async function fetchText(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new QtError('QT_ERR_AUDIT_CHECKPOINTS_UNREADABLE', `${url} cannot be reached: ${(e as Error).message}`, { url });
  }
  if (!res.ok) throw new QtError('QT_ERR_AUDIT_CHECKPOINTS_UNREADABLE', `${url} answered HTTP ${res.status}`, { url });
  const body = await res.arrayBuffer();
  if (body.byteLength > MAX_BYTES) throw new QtError('QT_ERR_AUDIT_CHECKPOINTS_UNREADABLE', `${url} sent more than ${MAX_BYTES} bytes`, { url });
  return Buffer.from(body).toString('utf8');
}
