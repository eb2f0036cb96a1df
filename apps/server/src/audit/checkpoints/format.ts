/**
 * One audit checkpoint: the chain's head (seq and hash) at a time, signed by the audit checkpoint key. Kept as
 * one JSON line — in the append-only file of each node's data directory, in the audit_checkpoints table, on
 * /audit/checkpoints — with its members always in this order:
 *
 *   {"v":1,"seq":"1234","hash":"<64 hex>","at":"2026-05-20T10:15:00.000Z","key":"<SHA-256 of the key's SPKI, hex>",
 *    "alg":"<signature algorithm OID>","sig":"<base64>"}
 *
 * The signature covers the ASCII text `qoltanba-audit-checkpoint-v1\n<seq>\n<hash>\n<at>\n` and nothing else:
 * the signer refuses to sign anything else with that key (signer/purpose-guard.ts), and the key signs nothing
 * else, so a checkpoint cannot be passed off as a certificate or CRL signature, nor the reverse.
 */
import { QtError } from '@qoltanba/pki';

export interface Checkpoint {
  seq: bigint;
  /** The hash of row `seq` (the head's hash), hex. */
  hash: string;
  at: Date;
  /** SHA-256 of the signing key's DER SubjectPublicKeyInfo, hex. */
  key: string;
  /** Signature algorithm OID. */
  alg: string;
  signature: Buffer;
}

const PREFIX = 'qoltanba-audit-checkpoint-v1\n';
/** What a key opened for audit checkpoints agrees to sign: exactly a checkpoint message. */
export const CHECKPOINT_MESSAGE = /^qoltanba-audit-checkpoint-v1\n(0|[1-9][0-9]{0,18})\n[0-9a-f]{64}\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\n$/;

export function checkpointMessage(c: Pick<Checkpoint, 'seq' | 'hash' | 'at'>): Buffer {
  return Buffer.from(`${PREFIX}${c.seq}\n${c.hash}\n${c.at.toISOString()}\n`, 'ascii');
}

export function encodeCheckpoint(c: Checkpoint): string {
  return JSON.stringify({ v: 1, seq: String(c.seq), hash: c.hash, at: c.at.toISOString(), key: c.key, alg: c.alg, sig: c.signature.toString('base64') });
}

/** Reads one line; anything but a well-formed checkpoint is QT_ERR_INPUT_INVALID saying what is wrong. */
export function parseCheckpoint(line: string): Checkpoint {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw invalid('it is not JSON');
  }
  if (typeof o !== 'object' || o === null || o.v !== 1) throw invalid('it is not a version 1 checkpoint');
  const { seq, hash, at, key, alg, sig } = o;
  if (typeof seq !== 'string' || !/^(0|[1-9][0-9]{0,18})$/.test(seq)) throw invalid('seq is not a row number');
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) throw invalid('hash is not 64 hex digits');
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at)) || new Date(at).toISOString() !== at) throw invalid('at is not an ISO 8601 UTC time');
  if (typeof key !== 'string' || !/^[0-9a-f]{64}$/.test(key)) throw invalid('key is not a SHA-256 fingerprint');
  if (typeof alg !== 'string' || !/^[0-9]+(\.[0-9]+)+$/.test(alg)) throw invalid('alg is not an OID');
  if (typeof sig !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(sig)) throw invalid('sig is not base64');
  return { seq: BigInt(seq), hash, at: new Date(at), key, alg, signature: Buffer.from(sig, 'base64') };
}

function invalid(why: string): QtError {
  return new QtError('QT_ERR_INPUT_INVALID', `Not an audit checkpoint line: ${why}`);
}
