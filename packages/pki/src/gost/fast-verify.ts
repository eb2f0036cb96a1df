/**
 * Faster GOST R 34.10 verification: z1·G + z2·Q without a single point doubling at verification time.
 *
 * Why hand-written: verification is where a country-wide verifier spends its time (NCA has issued mostly GOST
 * keys since 2024), and @noble/curves' generic Weierstrass code, which stays in charge of everything secret
 * (signing, key generation, point validation), pays for generality here: a full modular division after every
 * field addition, complete projective formulas for any `a` (about 17 multiplications per addition), wNAF
 * with doublings. Verification handles only public values, so none of the constant-time care signing needs
 * applies, and three things make it several times faster:
 *  1. field arithmetic for the special primes every GOST curve NCA uses has, p = 2^k − c with a small c
 *     (2^512 − 569, 2^256 − 617): a product is reduced with shifts and one small multiplication, sums with one
 *     comparison;
 *  2. fixed-base comb tables of affine points — T[j][d] = d·2^(w·j)·P for signed digits d — for the base point
 *     (built once per curve) and for public keys seen repeatedly (the key cache builds them), so a scalar
 *     multiplication is one mixed Jacobian addition (7M + 4S) per w-bit digit and nothing else;
 *  3. the final x is compared in Jacobian form (X == x·Z²), with no field inversion.
 * The results are checked against noble's on random and edge-case scalars (fast-verify.test.ts) and by every
 * GOST test that verifies a real NCA signature.
 */
import type { GostCurve, GostPoint } from './curves.ts';

/** Field arithmetic modulo p = 2^bits − c (c small), on non-negative bigints below p. */
class SpecialField {
  readonly p: bigint;
  private readonly bits: bigint;
  private readonly c: bigint;
  private readonly mask: bigint;

  constructor(p: bigint) {
    this.p = p;
    this.bits = BigInt(p.toString(2).length);
    this.c = (1n << this.bits) - p;
    this.mask = (1n << this.bits) - 1n;
  }

  /** Is p of the form 2^bits − c with c < 2^32 (so two folding steps reduce any product)? */
  static fits(p: bigint): boolean {
    const bits = BigInt(p.toString(2).length);
    const c = (1n << bits) - p;
    return c > 0n && c < 1n << 32n;
  }

  reduce(x: bigint): bigint {
    const { bits, c, mask, p } = this;
    x = (x & mask) + (x >> bits) * c;
    x = (x & mask) + (x >> bits) * c;
    return x >= p ? x - p : x;
  }

  mul(a: bigint, b: bigint): bigint {
    return this.reduce(a * b);
  }

  sqr(a: bigint): bigint {
    return this.reduce(a * a);
  }

  add(a: bigint, b: bigint): bigint {
    const s = a + b;
    return s >= this.p ? s - this.p : s;
  }

  sub(a: bigint, b: bigint): bigint {
    const d = a - b;
    return d < 0n ? d + this.p : d;
  }

  neg(a: bigint): bigint {
    return a === 0n ? 0n : this.p - a;
  }

  /** Inverse by Fermat would cost ~600 multiplications; extended Euclid on bigints is cheaper here. */
  inv(a: bigint): bigint {
    let [r0, r1] = [a % this.p, this.p];
    let [s0, s1] = [1n, 0n];
    while (r1 !== 0n) {
      const q = r0 / r1;
      [r0, r1] = [r1, r0 - q * r1];
      [s0, s1] = [s1, s0 - q * s1];
    }
    return s0 < 0n ? s0 + this.p : s0;
  }
}

/** A point in Jacobian coordinates (x = X/Z², y = Y/Z³); Z = 0 is infinity. */
interface Jacobian {
  X: bigint;
  Y: bigint;
  Z: bigint;
}

const INFINITY: Jacobian = { X: 1n, Y: 1n, Z: 0n };

/** An affine point of a table: x, y and −y (negative digits use −y). */
interface Affine {
  x: bigint;
  y: bigint;
  negY: bigint;
}

/** A comb table: for window j, the points d·2^(w·j)·P for d = 1 … 2^(w−1). */
export interface CombTable {
  window: number;
  points: Affine[][];
}

class Curve {
  readonly F: SpecialField;
  readonly a: bigint;

  constructor(readonly curve: GostCurve) {
    this.F = new SpecialField(curve.p);
    this.a = curve.Point.CURVE().a;
  }

  /** dbl-2007-bl (any a). */
  double(P: Jacobian): Jacobian {
    const F = this.F;
    if (P.Z === 0n || P.Y === 0n) return INFINITY;
    const XX = F.sqr(P.X);
    const YY = F.sqr(P.Y);
    const YYYY = F.sqr(YY);
    const ZZ = F.sqr(P.Z);
    const S0 = F.sub(F.sub(F.sqr(F.add(P.X, YY)), XX), YYYY);
    const S = F.add(S0, S0);
    const M = F.add(F.add(F.add(XX, XX), XX), F.mul(this.a, F.sqr(ZZ)));
    const T = F.sub(F.sqr(M), F.add(S, S));
    const Y2 = F.add(YYYY, YYYY);
    const Y4 = F.add(Y2, Y2);
    const Y8 = F.add(Y4, Y4);
    const Z3 = F.sub(F.sub(F.sqr(F.add(P.Y, P.Z)), YY), ZZ);
    return { X: T, Y: F.sub(F.mul(M, F.sub(S, T)), Y8), Z: Z3 };
  }

  /** madd-2007-bl: P + (x2, y2) with the affine point given by coordinates; handles the exceptional cases. */
  addAffine(P: Jacobian, x2: bigint, y2: bigint): Jacobian {
    const F = this.F;
    if (P.Z === 0n) return { X: x2, Y: y2, Z: 1n };
    const Z1Z1 = F.sqr(P.Z);
    const U2 = F.mul(x2, Z1Z1);
    const S2 = F.mul(F.mul(y2, P.Z), Z1Z1);
    const H = F.sub(U2, P.X);
    const r = F.add(F.sub(S2, P.Y), F.sub(S2, P.Y));
    if (H === 0n) return r === 0n ? this.double(P) : INFINITY;
    const HH = F.sqr(H);
    const I = F.add(F.add(HH, HH), F.add(HH, HH));
    const J = F.mul(H, I);
    const V = F.mul(P.X, I);
    const X3 = F.sub(F.sub(F.sqr(r), J), F.add(V, V));
    const YJ = F.mul(P.Y, J);
    const Y3 = F.sub(F.mul(r, F.sub(V, X3)), F.add(YJ, YJ));
    const Z3 = F.sub(F.sub(F.sqr(F.add(P.Z, H)), Z1Z1), HH);
    return { X: X3, Y: Y3, Z: Z3 };
  }

  /** add-2007-bl: P + Q, both Jacobian (table building only). */
  add(P: Jacobian, Q: Jacobian): Jacobian {
    const F = this.F;
    if (P.Z === 0n) return Q;
    if (Q.Z === 0n) return P;
    const Z1Z1 = F.sqr(P.Z);
    const Z2Z2 = F.sqr(Q.Z);
    const U1 = F.mul(P.X, Z2Z2);
    const U2 = F.mul(Q.X, Z1Z1);
    const S1 = F.mul(F.mul(P.Y, Q.Z), Z2Z2);
    const S2 = F.mul(F.mul(Q.Y, P.Z), Z1Z1);
    const H = F.sub(U2, U1);
    const r = F.add(F.sub(S2, S1), F.sub(S2, S1));
    if (H === 0n) return r === 0n ? this.double(P) : INFINITY;
    const I = F.sqr(F.add(H, H));
    const J = F.mul(H, I);
    const V = F.mul(U1, I);
    const X3 = F.sub(F.sub(F.sqr(r), J), F.add(V, V));
    const SJ = F.mul(S1, J);
    const Y3 = F.sub(F.mul(r, F.sub(V, X3)), F.add(SJ, SJ));
    const Z3 = F.mul(F.sub(F.sub(F.sqr(F.add(P.Z, Q.Z)), Z1Z1), Z2Z2), H);
    return { X: X3, Y: Y3, Z: Z3 };
  }

  /** Jacobian points to affine with one inversion for all (Montgomery's trick). None may be infinity. */
  toAffine(points: Jacobian[]): Affine[] {
    const F = this.F;
    const prefix: bigint[] = new Array(points.length);
    let acc = 1n;
    for (let i = 0; i < points.length; i++) {
      prefix[i] = acc;
      acc = F.mul(acc, (points[i] as Jacobian).Z);
    }
    let inv = F.inv(acc);
    const out: Affine[] = new Array(points.length);
    for (let i = points.length - 1; i >= 0; i--) {
      const P = points[i] as Jacobian;
      const zInv = F.mul(inv, prefix[i] as bigint);
      inv = F.mul(inv, P.Z);
      const zz = F.sqr(zInv);
      const x = F.mul(P.X, zz);
      const y = F.mul(P.Y, F.mul(zz, zInv));
      out[i] = { x, y, negY: F.neg(y) };
    }
    return out;
  }

  /** The comb table of an affine point for signed w-bit digits of scalars below q. */
  table(x: bigint, y: bigint, window: number): CombTable {
    const windows = Math.ceil(this.curve.q.toString(2).length / window) + 1;
    const half = 1 << (window - 1);
    let base: Jacobian = { X: x, Y: y, Z: 1n };
    const all: Jacobian[] = [];
    for (let j = 0; j < windows; j++) {
      let multiple = base;
      for (let d = 1; d <= half; d++) {
        all.push(multiple);
        if (d < half) multiple = this.add(multiple, base);
      }
      for (let k = 0; k < window; k++) base = this.double(base);
    }
    const affine = this.toAffine(all);
    const points: Affine[][] = [];
    for (let j = 0; j < windows; j++) points.push(affine.slice(j * half, (j + 1) * half));
    return { window, points };
  }

  /** acc + k·P using P's comb table: one mixed addition per non-zero signed digit of k. */
  accumulate(acc: Jacobian, table: CombTable, k: bigint): Jacobian {
    const { window, points } = table;
    const size = 1n << BigInt(window);
    const half = size >> 1n;
    const mask = size - 1n;
    const shift = BigInt(window);
    for (let j = 0; k > 0n; j++) {
      let digit = k & mask;
      k >>= shift;
      if (digit > half) {
        digit -= size;
        k += 1n;
      }
      if (digit === 0n) continue;
      const row = points[j];
      if (!row) throw new Error('the scalar is larger than the table was built for');
      if (digit > 0n) {
        const p = row[Number(digit) - 1] as Affine;
        acc = this.addAffine(acc, p.x, p.y);
      } else {
        const p = row[Number(-digit) - 1] as Affine;
        acc = this.addAffine(acc, p.x, p.negY);
      }
    }
    return acc;
  }
}

/**
 * Windows: 8 bits for the base point (one table per curve: 8 320 points, about 2 MB for the 512-bit curve, built on
 * first use), 6 bits for public keys (2 784 points, about 0.7 MB each; the key cache keeps at most 16).
 */
const BASE_WINDOW = 8;
export const KEY_WINDOW = 6;

const curves = new WeakMap<GostCurve, { engine: Curve; base: CombTable } | null>();

function engineFor(curve: GostCurve): { engine: Curve; base: CombTable } | null {
  let entry = curves.get(curve);
  if (entry === undefined) {
    if (SpecialField.fits(curve.p)) {
      const engine = new Curve(curve);
      const G = curve.Point.BASE.toAffine();
      entry = { engine, base: engine.table(G.x, G.y, BASE_WINDOW) };
    } else {
      entry = null;
    }
    curves.set(curve, entry);
  }
  return entry;
}

/** The comb table of a public key, for keys verified often (the key cache keeps it); undefined when not applicable. */
export function keyTable(curve: GostCurve, point: GostPoint): CombTable | undefined {
  const entry = engineFor(curve);
  if (!entry) return undefined;
  const { x, y } = point.toAffine();
  return entry.engine.table(x, y, KEY_WINDOW);
}

/**
 * Does (z1·G + z2·Q).x mod q equal r? undefined when this engine does not apply to the curve (the caller uses
 * noble). Q's table is used when given; otherwise z2·Q comes from noble and is added once.
 */
export function combinedXMatches(curve: GostCurve, z1: bigint, z2: bigint, Q: GostPoint, table: CombTable | undefined, r: bigint): boolean | undefined {
  const entry = engineFor(curve);
  if (!entry) return undefined;
  const { engine, base } = entry;
  let acc = engine.accumulate(INFINITY, base, z1);
  if (table) {
    acc = engine.accumulate(acc, table, z2);
  } else {
    const partial = Q.multiplyUnsafe(z2);
    if (!partial.is0()) {
      const { x, y } = partial.toAffine();
      acc = engine.addAffine(acc, x, y);
    }
  }
  if (acc.Z === 0n) return false;
  // x = X/Z² lies in [0, p); x mod q = r means x = r + k·q for some k with r + k·q < p (k ≤ 1 when p ≈ q,
  // k ≤ 3 on the cofactor-4 curve, where p ≈ 4q).
  const F = engine.F;
  const zz = F.sqr(acc.Z);
  for (let candidate = r; candidate < curve.p; candidate += curve.q) if (F.mul(candidate, zz) === acc.X) return true;
  return false;
}
