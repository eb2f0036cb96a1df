/**
 * GOST R 34.10-2001/2012 signing and verification (RFC 5832 / RFC 7091 §6) over a digest already
 * turned into the number e. Byte layouts (Kazakh or Russian) live in kz-encoding.ts; this file is
 * the arithmetic only.
 *
 * Private-key handling: k·G goes through noble's `multiply`, its constant-time path (fixed-window
 * with fake additions, so the work does not depend on k's bits), and our own code has no branch on
 * d or k. GOST signing needs no inverse of k, so the only other uses of secrets are the products
 * r·d + k·e (mod q). Those run on JavaScript BigInts, whose timing depends on operand length as
 * every JavaScript implementation (noble's own ECDSA included) accepts; keys that need more belong in
 * an HSM, which the keystore addresses through PKCS#11.
 */
import { QtError } from '@qoltanba/errors';
import type { GostCurve, GostPoint } from './curves.ts';
import { combinedXMatches, type CombTable } from './fast-verify.ts';

export interface GostSignatureValue {
  r: bigint;
  s: bigint;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Extended Euclid; only used on public values (s during verification). */
function invert(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new QtError('QT_ERR_SIGNATURE_INVALID', 'The signature value has no inverse modulo q');
  return mod(oldS, m);
}

/** e = α mod q, and 1 when that is 0 (GOST R 34.10 step 2). */
export function eFromNumber(alpha: bigint, curve: GostCurve): bigint {
  const e = mod(alpha, curve.q);
  return e === 0n ? 1n : e;
}

/**
 * The signature for a given nonce k (1 ≤ k < q), or undefined when k yields r = 0 or s = 0 (the
 * standard then asks for another k). Exposed for the RFC 7091 examples, which fix k.
 */
export function signWithNonce(curve: GostCurve, d: bigint, e: bigint, k: bigint): GostSignatureValue | undefined {
  const { q } = curve;
  if (k <= 0n || k >= q) throw new QtError('QT_ERR_INPUT_INVALID', 'The GOST nonce must be in [1, q-1]');
  const c = curve.Point.BASE.multiply(k).toAffine();
  const r = c.x % q;
  const s = (r * d + k * e) % q;
  return r === 0n || s === 0n ? undefined : { r, s };
}

/** A uniformly random scalar in [1, q-1] by rejection (the top bits are masked first, so few draws). */
export function randomScalar(curve: GostCurve, randomBytes: (n: number) => Uint8Array): bigint {
  const bits = curve.q.toString(2).length;
  const mask = (1n << BigInt(bits)) - 1n;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const bytes = randomBytes(curve.size);
    let v = 0n;
    for (const b of bytes) v = (v << 8n) | BigInt(b);
    v &= mask;
    if (v > 0n && v < curve.q) return v;
  }
  throw new QtError('QT_ERR_INTERNAL', 'The random source produced no usable GOST scalar');
}

export function signE(curve: GostCurve, d: bigint, e: bigint, randomBytes: (n: number) => Uint8Array): GostSignatureValue {
  if (d <= 0n || d >= curve.q) throw new QtError('QT_ERR_KEY_MALFORMED', 'The GOST private key is not in [1, q-1]');
  for (;;) {
    const sig = signWithNonce(curve, d, e, randomScalar(curve, randomBytes));
    if (sig) return sig;
  }
}

/**
 * GOST R 34.10 verification; `false` for any r, s outside (0, q) or a mismatch. Q must be validated. `table` is
 * Q's comb table when the key cache has built one (fast-verify.ts), which then does all the point arithmetic;
 * curves whose prime is not of the form 2^k − c fall back to noble.
 */
export function verifyE(curve: GostCurve, publicPoint: GostPoint, e: bigint, { r, s }: GostSignatureValue, table?: CombTable): boolean {
  const { q } = curve;
  if (r <= 0n || r >= q || s <= 0n || s >= q) return false;
  const v = invert(e, q);
  const z1 = (s * v) % q;
  const z2 = mod(-r * v, q);
  const fast = combinedXMatches(curve, z1, z2, publicPoint, table, r);
  if (fast !== undefined) return fast;
  // Public scalars only, so the variable-time multiplications are right here. Two of them rather than
  // noble's mulAddUnsafe: that one ignores precomputed tables, and Q has them when verified often.
  const c = curve.Point.BASE.multiplyUnsafe(z1).add(publicPoint.multiplyUnsafe(z2));
  if (c.is0()) return false;
  return c.toAffine().x % q === r;
}

/** d·G, through the constant-time multiplication. */
export function publicPointOf(curve: GostCurve, d: bigint): GostPoint {
  if (d <= 0n || d >= curve.q) throw new QtError('QT_ERR_KEY_MALFORMED', 'The GOST private key is not in [1, q-1]');
  return curve.Point.BASE.multiply(d);
}
