/**
 * Decoded GOST public keys by their exact SPKI bytes. Verification is dominated by z2·Q; relying parties
 * check many signatures of few keys (a CA's certificates, CRLs and OCSP responses), so a key seen a few times
 * gets its own comb table (fast-verify.ts: about 30 verifications' worth of work to build, then z2·Q costs one
 * addition per 6-bit digit). Only public data is cached, keyed by the bytes it was decoded from, and the
 * cache is small and least-recently-used, so an attacker feeding keys can only evict, not grow it.
 */
import { toHex } from '../encoding.ts';
import { readKzGostSpki, type KzGostPublicKey } from './kz-encoding.ts';
import { keyTable, type CombTable } from './fast-verify.ts';

const MAX_KEYS = 16;
/** Build the table on the third use: a key seen three times is a CA's, or a busy signer's. */
const TABLE_ON_USE = 3;

const cache = new Map<string, { key: KzGostPublicKey; uses: number; table: CombTable | undefined }>();

export function cachedKzGostSpki(spki: Uint8Array): { key: KzGostPublicKey; table: CombTable | undefined } {
  const id = toHex(spki);
  let entry = cache.get(id);
  if (entry) {
    cache.delete(id);
  } else {
    entry = { key: readKzGostSpki(spki), uses: 0, table: undefined };
    if (cache.size >= MAX_KEYS) cache.delete(cache.keys().next().value as string);
  }
  cache.set(id, entry);
  if (++entry.uses === TABLE_ON_USE) entry.table = keyTable(entry.key.curve, entry.key.point);
  return entry;
}
