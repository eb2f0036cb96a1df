/**
 * The elliptic curves of GOST R 34.10 that NCA uses, on @noble/curves' generic Weierstrass code (a
 * reviewed library carries the point arithmetic; we only supply parameters). Parameters are those
 * of RFC 7836 / RFC 4357 as the OpenSSL GOST engine defines them; the Kazakh parameter OIDs name the
 * same curves, which the NCA fixtures prove (their signatures verify on these curves only).
 */
import { weierstrass, type WeierstrassPoint, type WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';

export interface GostCurveParams {
  name: string;
  p: string;
  a: string;
  b: string;
  /** Order of the base point's subgroup (q in the standard, n in noble). */
  q: string;
  x: string;
  y: string;
  /** Cofactor (#E / q) when it is not 1: the 256-bit TC26 curve has 4. */
  h?: bigint;
}

export interface GostCurve {
  readonly name: string;
  readonly Point: WeierstrassPointCons<bigint>;
  readonly p: bigint;
  readonly q: bigint;
  /** Bytes per coordinate and per signature half: 32 or 64. */
  readonly size: 32 | 64;
}

export type GostPoint = WeierstrassPoint<bigint>;

const big = (hex: string): bigint => BigInt(`0x${hex}`);

/**
 * Builds a curve from its parameters. With a cofactor above 1, noble's point validation also checks that
 * a point lies in the subgroup of order q, so a public key of small order is refused, not used.
 */
export function gostCurve(params: GostCurveParams): GostCurve {
  const p = big(params.p);
  const q = big(params.q);
  const Point = weierstrass({ p, n: q, h: params.h ?? 1n, a: big(params.a), b: big(params.b), Gx: big(params.x), Gy: big(params.y) });
  const size = p > 1n << 256n ? 64 : 32;
  return { name: params.name, Point, p, q, size };
}

/** id-tc26-gost-3410-12-512-paramSetA: NCA's GOST 34.10-2015 (512) keys (Kazakh OID 1.2.398.3.10.1.1.2.2.1). */
export const TC26_512_A: GostCurveParams = {
  name: 'id-tc26-gost-3410-12-512-paramSetA',
  p: 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffdc7',
  a: 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffdc4',
  b: 'e8c2505dedfc86ddc1bd0b2b6667f1da34b82574761cb0e879bd081cfd0b6265ee3cb090f30d27614cb4574010da90dd862ef9d4ebee4761503190785a71c760',
  q: 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff27e69532f48d89116ff22b8d4e0560609b4b38abfad2b85dcacdb1411f10b275',
  x: '3',
  y: '7503cfe87a836ae3a61b8816e25450e6ce5e1c93acf1abc1778064fdcbefa921df1626be4fd036e93d75e6a50e3a41e98028fe5fc235f5b889a589cb5215f2a4',
};

/**
 * id-tc26-gost-3410-2012-256-paramSetA (RFC 7836 A.2, in its Weierstrass form; cofactor 4): NCA's GOST 34.10-2015
 * (256) keys (Kazakh OID 1.2.398.3.10.1.1.2.1.1). No NCA sample of this kind was available; that the Kazakh OID
 * names this curve is what published descriptions of NCA's Kalkan named curves say, and the OpenSSL engine's TCA paramset
 * (the same curve) is what the interop test checks our signatures against.
 */
export const TC26_256_A: GostCurveParams = {
  name: 'id-tc26-gost-3410-2012-256-paramSetA',
  p: 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97',
  a: 'c2173f1513981673af4892c23035a27ce25e2013bf95aa33b22c656f277e7335',
  b: '295f9bae7428ed9ccc20e7c359a9d41a22fccd9108e17bf7ba9337a6f8ae9513',
  q: '400000000000000000000000000000000fd8cddfc87b6635c115af556c360c67',
  x: '91e38443a5e82c0d880923425712b2bb658b9196932e02c78b2582fe742daa28',
  y: '32879423ab1a0375895786c4bb46e9565fde0b5344766740af268adb32322e5c',
  h: 4n,
};

/** id-GostR3410-2001-CryptoPro-A-ParamSet: NCA's GOST 34.310-2004 keys (Kazakh OID 1.2.398.3.10.1.1.1.1.1). */
export const CRYPTOPRO_A: GostCurveParams = {
  name: 'id-GostR3410-2001-CryptoPro-A-ParamSet',
  p: 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97',
  a: 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd94',
  b: 'a6',
  q: 'ffffffffffffffffffffffffffffffff6c611070995ad10045841b09b761b893',
  x: '1',
  y: '8d91e471e0989cda27df505a453f2b7635294f2ddf23e3b122acc99c9e9f1e14',
};

const cache = new Map<GostCurveParams, GostCurve>();

/** The curve for a parameter set, built once (noble precomputes the base point on first use). */
export function curveOf(params: GostCurveParams): GostCurve {
  let curve = cache.get(params);
  if (!curve) {
    curve = gostCurve(params);
    cache.set(params, curve);
  }
  return curve;
}
