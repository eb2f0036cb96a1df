/**
 * GOST 34.10-2015 (256): the TC26 256-bit curve A (cofactor 4) under NCA's OIDs and encodings. No NCA sample of
 * this kind exists among the fixtures, so these tests prove it by itself — RFC 7836's base point has order q, keys
 * sign and verify through every registry, points outside the order-q subgroup are refused — and against the
 * OpenSSL GOST engine (openssl-interop.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBytes, utf8 } from '../encoding.ts';
import { isQtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { describePublicKey, verifySignature } from '../crypto/index.ts';
import { objectIdentifier, octetString, sequence, tlv } from '../der/write.ts';
import { TAG } from '../der/read.ts';
import { curveOf, TC26_256_A } from './curves.ts';
import { KZ_GOST_2015_256 } from './kz-algorithms.ts';
import { readKzGostPkcs8, readKzGostSpki, toLittleEndian } from './kz-encoding.ts';
import { generateGostKeyPair, gostSigner } from './signer.ts';

const curve = curveOf(TC26_256_A);
const data = utf8('Қолтаңба — GOST 34.10-2015 (256)');

test('the TC26 256-bit curve A: the base point is on the curve and has order q; the group has 4·q points', () => {
  const G = curve.Point.BASE;
  G.assertValidity();
  assert.equal(G.multiplyUnsafe(curve.q - 1n).add(G).is0(), true, 'q·G = O');
  assert.equal(curve.size, 32);
  // Hasse: #E = 4q lies within p + 1 ± 2√p.
  const order = 4n * curve.q;
  const bound = 2n * (1n << 128n);
  assert.ok(order > curve.p + 1n - bound && order < curve.p + 1n + bound);
});

test('a generated 256-bit key signs (64-byte r‖s) and verifies through the algorithm registry; another document or a changed byte does not', async () => {
  const pair = generateGostKeyPair(KZ_GOST_2015_256);
  const key = readKzGostSpki(pair.publicKey);
  assert.equal(key.algorithm, KZ_GOST_2015_256);
  assert.equal(key.curve.name, 'id-tc26-gost-3410-2012-256-paramSetA');
  assert.deepEqual(describePublicKey(pair.publicKey), { algorithm: 'GOST 34.10-2015 (256)', algorithmOid: oid.kzGost2015_256Key, bits: 256, exponent: undefined });
  assert.equal(readKzGostPkcs8(pair.privateKey).d > 0n, true);
  const signer = gostSigner(pair.privateKey);
  assert.equal(signer.algorithm.oid, oid.kzGost2015_256Sign);
  const signature = await signer.sign(data);
  assert.equal(signature.length, 64);
  assert.equal(await verifySignature(oid.kzGost2015_256Sign, { spki: pair.publicKey, data, signature }), true);
  assert.equal(await verifySignature(oid.kzGost2015_256Sign, { spki: pair.publicKey, data: data.subarray(1), signature }), false);
  const changed = new Uint8Array(signature);
  changed[5]! ^= 1;
  assert.equal(await verifySignature(oid.kzGost2015_256Sign, { spki: pair.publicKey, data, signature: changed }), false);
  // A 512-bit signature length is refused with the reason, not just "false".
  await assert.rejects(verifySignature(oid.kzGost2015_256Sign, { spki: pair.publicKey, data, signature: new Uint8Array(128) }), (e) => isQtError(e) && /128 bytes/.test(e.message));
});

type Affine = { x: bigint; y: bigint } | undefined; // undefined: the point at infinity

/**
 * Plain affine arithmetic on the curve, written out here so the test does not judge noble with noble:
 * it finds points of the whole group (order 4q) and multiplies them by q.
 */
const affine = (() => {
  const { p } = curve;
  const a = BigInt(`0x${TC26_256_A.a}`);
  const b = BigInt(`0x${TC26_256_A.b}`);
  const mod = (v: bigint) => ((v % p) + p) % p;
  const pow = (base: bigint, e: bigint): bigint => {
    let r = 1n;
    base = mod(base);
    for (; e > 0n; e >>= 1n, base = (base * base) % p) if (e & 1n) r = (r * base) % p;
    return r;
  };
  const inv = (v: bigint) => pow(v, p - 2n);
  const add = (P: Affine, Q: Affine): Affine => {
    if (!P) return Q;
    if (!Q) return P;
    let l: bigint;
    if (P.x === Q.x) {
      if (mod(P.y + Q.y) === 0n) return undefined;
      l = mod((3n * P.x * P.x + a) * inv(2n * P.y));
    } else l = mod((Q.y - P.y) * inv(Q.x - P.x));
    const x = mod(l * l - P.x - Q.x);
    return { x, y: mod(l * (P.x - x) - P.y) };
  };
  const mul = (k: bigint, P: Affine): Affine => {
    let r: Affine;
    for (let q: Affine = P; k > 0n; k >>= 1n, q = add(q, q)) if (k & 1n) r = add(r, q);
    return r;
  };
  /** A point with this x, when x³ + ax + b is a square (p ≡ 3 mod 4: the root is one power). */
  const withX = (x: bigint): Affine => {
    const rhs = mod(x * x * x + a * x + b);
    const y = pow(rhs, (p + 1n) / 4n);
    return (y * y) % p === rhs ? { x, y } : undefined;
  };
  return { mul, withX };
})();

test('points on the curve but outside the order-q subgroup (the cofactor 4 makes them exist) are refused as public keys', () => {
  const spki = (x: bigint, y: bigint) =>
    sequence(
      sequence(objectIdentifier(oid.kzGost2015_256Key), sequence(objectIdentifier(oid.kzGost2015_256Params), objectIdentifier(oid.kzStreebog256))),
      tlv(TAG.bitString, new Uint8Array([0]), octetString(concatBytes(toLittleEndian(x, 32), toLittleEndian(y, 32)))),
    );
  let found = 0;
  for (let x = 1n; found < 3 && x < 200n; x++) {
    const R = affine.withX(x);
    if (!R) continue;
    const qR = affine.mul(curve.q, R);
    if (!qR) continue; // R is in the subgroup of order q
    found++;
    // R itself (order 2q or 4q) and q·R (order 2 or 4): both are on the curve, neither is a usable key.
    for (const bad of [R, qR]) {
      assert.throws(() => readKzGostSpki(spki(bad.x, bad.y)), (e) => isQtError(e, 'QT_ERR_GOST_POINT_INVALID'), `x = ${x}`);
    }
  }
  assert.ok(found > 0, 'found points outside the subgroup');
  // And a key in the subgroup is accepted by the same path.
  const inSubgroup = affine.mul(12345n, { x: BigInt(`0x${TC26_256_A.x}`), y: BigInt(`0x${TC26_256_A.y}`) })!;
  assert.equal(readKzGostSpki(spki(inSubgroup.x, inSubgroup.y)).point.equals(curve.Point.BASE.multiply(12345n)), true);
});
