import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OcspCache } from './cache.ts';

const answer = (bytes: number) => ({
  der: new Uint8Array(bytes),
  outcome: 'cached' as const,
  validity: { thisUpdate: new Date(0), nextUpdate: new Date(8.64e15) },
});
const fields = (serial: string) => ({ caId: 1, serial, signerId: 1, answer: answer(600), staleAt: 8.64e15, validFrom: 0 });

test('full, the cache drops the oldest answer not asked for since the last eviction; one asked for gets a second chance', () => {
  // Room for 80 % of 4 900 bytes = 3 920 for entries: three of 1 000 (600 DER + 400 bookkeeping), not four.
  const cache = new OcspCache({ maxBytes: 4_900 });
  cache.confirmFreshUntil(Number.MAX_SAFE_INTEGER);
  for (const serial of ['01', '02', '03']) assert.ok(cache.put(`k${serial}`, fields(serial), cache.generation));
  // 01 is the oldest but was just asked for: 02 (never asked for) goes instead when 04 comes.
  assert.ok(cache.get('k01'));
  cache.put('k04', fields('04'), cache.generation);
  assert.deepEqual(['01', '02', '03', '04'].map((s) => cache.has(1, s)), [true, false, true, true]);
  // 01 went behind 04 with its mark cleared: with nothing asked for since, 03 goes, then 04, then 01.
  cache.put('k05', fields('05'), cache.generation);
  assert.deepEqual(['01', '03', '04', '05'].map((s) => cache.has(1, s)), [true, false, true, true]);
  cache.put('k06', fields('06'), cache.generation);
  assert.deepEqual(['01', '04', '05', '06'].map((s) => cache.has(1, s)), [true, false, true, true]);
  cache.put('k07', fields('07'), cache.generation);
  assert.deepEqual(['01', '05', '06', '07'].map((s) => cache.has(1, s)), [false, true, true, true]);
  assert.equal(cache.get('k01'), undefined);
  assert.ok(cache.get('k06'));
});
