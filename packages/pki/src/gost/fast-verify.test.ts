import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CRYPTOPRO_A, TC26_256_A, TC26_512_A, curveOf, type GostCurve, type GostPoint } from './curves.ts';
import { combinedXMatches, keyTable, type CombTable } from './fast-verify.ts';
import { publicPointOf, signE, verifyE } from './sign.ts';

/** noble's answer: (z1·G + z2·Q).x mod q, or undefined at infinity. */
function nobleX(curve: GostCurve, z1: bigint, z2: bigint, Q: GostPoint): bigint | undefined {
  const sum = curve.Point.BASE.multiplyUnsafe(z1).add(Q.multiplyUnsafe(z2));
  return sum.is0() ? undefined : sum.toAffine().x % curve.q;
}

const randomBytes = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

for (const params of [TC26_512_A, TC26_256_A, CRYPTOPRO_A]) {
  const curve = curveOf(params);
  const q = curve.q;
  const d = (BigInt(`0x${Buffer.from(randomBytes(curve.size)).toString('hex')}`) % (q - 1n)) + 1n;
  const Q = publicPointOf(curve, d);
  const table: CombTable = keyTable(curve, Q) as CombTable;

  test(`${params.name}: z1·G + z2·Q agrees with noble for random scalars, with and without the key's table`, () => {
    assert.ok(table, 'the prime has the special form');
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: q - 1n }), fc.bigInt({ min: 1n, max: q - 1n }), (z1, z2) => {
        const x = nobleX(curve, z1, z2, Q);
        assert.ok(x !== undefined);
        for (const t of [table, undefined]) {
          assert.equal(combinedXMatches(curve, z1, z2, Q, t, x), true);
          assert.equal(combinedXMatches(curve, z1, z2, Q, t, x === q - 1n ? 1n : x + 1n), false);
        }
      }),
      { numRuns: 40 },
    );
  });

  test(`${params.name}: edge cases — digits at the window limits, the same point twice, a sum at infinity`, () => {
    const G = curve.Point.BASE;
    const gTable = keyTable(curve, G) as CombTable;
    const edges = [1n, 2n, 127n, 128n, 129n, 255n, 256n, (1n << 64n) - 1n, 1n << 253n, q - 2n, q - 1n, (q - 1n) / 2n];
    for (const z1 of edges) {
      for (const z2 of edges) {
        // Q = G: the accumulator meets the very points it adds (the doubling and infinity branches).
        const x = nobleX(curve, z1, z2, G);
        if (x === undefined) {
          assert.equal(combinedXMatches(curve, z1, z2, G, gTable, 1n), false, `${z1} ${z2} should be infinity`);
        } else {
          assert.equal(combinedXMatches(curve, z1, z2, G, gTable, x), true, `${z1} ${z2}`);
          assert.equal(combinedXMatches(curve, z1, z2, Q, table, nobleX(curve, z1, z2, Q) as bigint), true);
        }
      }
    }
    // z1·G + (q − z1)·G = O: refused, never "valid".
    assert.equal(combinedXMatches(curve, 5n, q - 5n, G, gTable, 1n), false);
  });

  test(`${params.name}: signatures made by noble's signing verify through the fast path, altered ones do not`, () => {
    for (let i = 0; i < 5; i++) {
      const e = (BigInt(`0x${Buffer.from(randomBytes(curve.size)).toString('hex')}`) % (q - 1n)) + 1n;
      const sig = signE(curve, d, e, randomBytes);
      assert.equal(verifyE(curve, Q, e, sig, table), true);
      assert.equal(verifyE(curve, Q, e, sig), true);
      assert.equal(verifyE(curve, Q, e, { r: sig.r, s: sig.s === q - 1n ? 1n : sig.s + 1n }, table), false);
      assert.equal(verifyE(curve, Q, e === q - 1n ? 1n : e + 1n, sig, table), false);
    }
  });
}
