/**
 * The audit hash chain's definition. Each row's hash is
 *
 *   SHA-256( "qoltanba-audit-v1\n" ‖ prev_hash (32 bytes) ‖ UTF-8(canonical row) )
 *
 * where the canonical row is the JSON object {action, actor, at, details, seq, target} written the RFC 8785
 * (JCS) way: object keys sorted by UTF-16 code units, no whitespace, strings and numbers as ECMAScript's
 * JSON.stringify writes them. seq is a decimal string (it is a bigint), at an ISO-8601 UTC time with
 * milliseconds, target a string or null. The first row's prev_hash is 32 zero bytes.
 *
 * Canonicalising matters because jsonb stores objects with its own key order: the hash must depend on the
 * data, not on how the database happens to hand it back.
 *
 * The database computes the same hash when it seals a row (audit_seal() in migration 0005), filling seq
 * and time into the text canonicalRowAround() prepared; this file is the reference both are tested against.
 */
import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '../store/schema.ts';

export const GENESIS_HASH: Buffer = Buffer.alloc(32);
const DOMAIN = Buffer.from('qoltanba-audit-v1\n', 'utf8');

export interface ChainedRow {
  /** Decimal digits: seq is a bigint column. */
  seq: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: JsonObject;
}

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
}

export function canonicalRow(row: ChainedRow): string {
  return canonicalJson({
    action: row.action,
    actor: row.actor,
    at: row.at.toISOString(),
    details: row.details,
    seq: row.seq,
    target: row.target,
  });
}

/**
 * canonicalRow() cut where seq and at go, for rows whose seq and time the database assigns: the text is
 * beforeAt + at + beforeSeq + seq + after. Keys sort as action, actor, at, details, seq, target.
 */
export function canonicalRowAround(row: Omit<ChainedRow, 'seq' | 'at'>): { beforeAt: string; beforeSeq: string; after: string } {
  return {
    beforeAt: `{"action":${JSON.stringify(row.action)},"actor":${JSON.stringify(row.actor)},"at":"`,
    beforeSeq: `","details":${canonicalJson(row.details)},"seq":"`,
    after: `","target":${JSON.stringify(row.target)}}`,
  };
}

export function rowHash(prevHash: Uint8Array, row: ChainedRow): Buffer {
  return createHash('sha256').update(DOMAIN).update(prevHash).update(canonicalRow(row), 'utf8').digest();
}
