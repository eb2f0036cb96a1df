/**
 * Signs a checkpoint of the chain's current head with the audit checkpoint key (through the signer, purpose
 * 'audit-checkpoint') and records its line in audit_checkpoints, so every node's file can take it up.
 */
import { QtError } from '@qoltanba/pki';
import { sql, type Kysely } from 'kysely';
import type { SignerProvider } from '../../signer/provider.ts';
import type { Database } from '../../store/schema.ts';
import { checkpointMessage, encodeCheckpoint, parseCheckpoint, type Checkpoint } from './format.ts';

export interface AuditKey {
  id: number;
  keyUri: string;
  publicKey: Buffer;
  fingerprint: string;
}

export async function activeAuditKey(db: Kysely<Database>): Promise<AuditKey> {
  const row = await db.selectFrom('audit_keys').select(['id', 'key_uri', 'public_key', 'fingerprint']).where('status', '=', 'active').executeTakeFirst();
  if (!row) throw new QtError('QT_ERR_AUDIT_KEY_MISSING', 'There is no audit checkpoint key: run the CA ceremony (qoltanba ca init, or the first qoltanba up) to make it');
  return { id: row.id, keyUri: row.key_uri, publicKey: row.public_key, fingerprint: row.fingerprint };
}

export interface SignedCheckpoint {
  checkpoint: Checkpoint;
  line: string;
}

/**
 * A signed checkpoint of the head as it is now, stored in audit_checkpoints. Undefined when the newest stored
 * checkpoint already names this head (nothing happened since: a second one would add nothing). The time is the
 * database's, like the audit log's own, so checkpoints of several nodes order by one clock.
 */
export async function signCheckpoint(db: Kysely<Database>, signers: SignerProvider): Promise<SignedCheckpoint | undefined> {
  const key = await activeAuditKey(db);
  const { rows } = await sql<{ seq: string; hash: Buffer; at: Date }>`
    SELECT seq, hash, date_trunc('milliseconds', clock_timestamp()) AS at FROM audit_head`.execute(db);
  const head = rows[0]!;
  const seq = BigInt(head.seq);
  const hash = head.hash.toString('hex');
  const last = await db.selectFrom('audit_checkpoints').select('line').orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (last) {
    const previous = parseCheckpoint(last.line);
    if (previous.seq === seq && previous.hash === hash) return undefined;
  }
  const at = head.at;
  const signer = await signers.signerFor(key.keyUri, 'audit-checkpoint');
  const signature = Buffer.from(await signer.sign(checkpointMessage({ seq, hash, at })));
  const checkpoint: Checkpoint = { seq, hash, at, key: key.fingerprint, alg: signer.algorithm.oid, signature };
  const line = encodeCheckpoint(checkpoint);
  await db.insertInto('audit_checkpoints').values({ seq: String(seq), at, line }).onConflict((oc) => oc.column('line').doNothing()).execute();
  return { checkpoint, line };
}
