/**
 * Decoded GOST public keys by their exact SPKI bytes. Verification is dominated by z2·Q for a point
 * without precomputed tables (about four times z1·G, whose tables noble keeps); relying parties check
 * many signatures of few keys (a CA's certificates, CRLs and OCSP responses), so a key seen twice gets
 * its own tables. Only public data is cached, keyed by the bytes it was decoded from, and the cache is
 * small and least-recently-used, so an attacker feeding keys can only evict, not grow it.
 */
import { toHex } from '../encoding.ts';
import { readKzGostSpki, type KzGostPublicKey } from './kz-encoding.ts';

const MAX_KEYS = 16;
/** Building the tables (window 4) costs about ten verifications' worth of z2·Q; worth it from the second use. */
const PRECOMPUTE_ON_USE = 2;
const WINDOW = 4;

const cache = new Map<string, { key: KzGostPublicKey; uses: number }>();

export function cachedKzGostSpki(spki: Uint8Array): KzGostPublicKey {
  const id = toHex(spki);
  let entry = cache.get(id);
  if (entry) {
    cache.delete(id);
  } else {
    entry = { key: readKzGostSpki(spki), uses: 0 };
    if (cache.size >= MAX_KEYS) cache.delete(cache.keys().next().value as string);
  }
  cache.set(id, entry);
  if (++entry.uses === PRECOMPUTE_ON_USE) entry.key.point.precompute(WINDOW, false);
  return entry.key;
}
