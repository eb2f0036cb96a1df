import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gostCurve, curveOf, TC26_512_A, CRYPTOPRO_A, type GostCurve } from './curves.ts';
import { publicPointOf, randomScalar, signE, signWithNonce, verifyE } from './sign.ts';

// The examples of GOST R 34.10-2012 appendix A, reproduced in RFC 7091 §7: test curves, a private
// key d, the number e taken from a digest, a fixed nonce k, and the signature (r, s) they must give.
const example1 = {
  curve: gostCurve({
    name: 'id-GostR3410-2001-TestParamSet',
    p: '8000000000000000000000000000000000000000000000000000000000000431',
    a: '7',
    b: '5fbff498aa938ce739b8e022fbafef40563f6e6a3472fc2a514c0ce9dae23b7e',
    q: '8000000000000000000000000000000150fe8a1892976154c59cfc193accf5b3',
    x: '2',
    y: '08e2a8a0e65147d4bd6316030e16d19c85c97f0a9ca267122b96abbcea7e8fc8',
  }),
  d: 0x7a929ade789bb9be10ed359dd39a72c11b60961f49397eee1d19ce9891ec3b28n,
  qx: 0x7f2b49e270db6d90d8595bec458b50c58585ba1d4e9b788f6689dbd8e56fd80bn,
  qy: 0x26f1b489d6701dd185c8413a977b3cbbaf64d1c593d26627dffb101a87ff77dan,
  e: 0x2dfbc1b372d89a1188c09c52e0eec61fce52032ab1022e8e67ece6672b043ee5n,
  k: 0x77105c9b20bcd3122823c8cf6fcc7b956de33814e95b7fe64fed924594dceab3n,
  r: 0x41aa28d2f1ab148280cd9ed56feda41974053554a42767b83ad043fd39dc0493n,
  s: 0x01456c64ba4642a1653c235a98a60249bcd6d3f746b631df928014f6c5bf9c40n,
};

const example2 = {
  curve: gostCurve({
    name: 'id-tc26-gost-3410-12-512-paramSetTest',
    p: '4531acd1fe0023c7550d267b6b2fee80922b14b2ffb90f04d4eb7c09b5d2d15df1d852741af4704a0458047e80e4546d35b8336fac224dd81664bbf528be6373',
    a: '7',
    b: '1cff0806a31116da29d8cfa54e57eb748bc5f377e49400fdd788b649eca1ac4361834013b2ad7322480a89ca58e0cf74bc9e540c2add6897fad0a3084f302adc',
    q: '4531acd1fe0023c7550d267b6b2fee80922b14b2ffb90f04d4eb7c09b5d2d15da82f2d7ecb1dbac719905c5eecc423f1d86e25edbe23c595d644aaf187e6e6df',
    x: '24d19cc64572ee30f396bf6ebbfd7a6c5213b3b3d7057cc825f91093a68cd762fd60611262cd838dc6b60aa7eee804e28bc849977fac33b4b530f1b120248a9a',
    y: '2bb312a43bd2ce6e0d020613c857acddcfbf061e91e5f2c3f32447c259f39b2c83ab156d77f1496bf7eb3351e1ee4e43dc1a18b91b24640b6dbb92cb1add371e',
  }),
  d: 0x0ba6048aadae241ba40936d47756d7c93091a0e8514669700ee7508e508b102072e8123b2200a0563322dad2827e2714a2636b7bfd18aadfc62967821fa18dd4n,
  qx: 0x115dc5bc96760c7b48598d8ab9e740d4c4a85a65be33c1815b5c320c854621dd5a515856d13314af69bc5b924c8b4ddff75c45415c1d9dd9dd33612cd530efe1n,
  qy: 0x37c7c90cd40b0f5621dc3ac1b751cfa0e2634fa0503b3d52639f5d7fb72afd61ea199441d943ffe7f0c70a2759a3cdb84c114e1f9339fdf27f35eca93677beecn,
  e: 0x3754f3cfacc9e0615c4f4a7c4d8dab531b09b6f9c170c533a71d147035b0c5917184ee536593f4414339976c647c5d5a407adedb1d560c4fc6777d2972075b8cn,
  k: 0x0359e7f4b1410feacc570456c6801496946312120b39d019d455986e364f365886748ed7a44b3e794434006011842286212273a6d14cf70ea3af71bb1ae679f1n,
  r: 0x2f86fa60a081091a23dd795e1e3c689ee512a3c82ee0dcc2643c78eea8fcacd35492558486b20f1c9ec197c90699850260c93bcbcd9c5c3317e19344e173ae36n,
  s: 0x1081b394696ffe8e6585e7a9362d26b6325f56778aadbc081c0bfbe933d52ff5823ce288e8c4f362526080df7f70ce406a6eeb1f56919cb92a9853bde73e5b4an,
};

for (const [name, ex] of [['example 1 (256-bit)', example1], ['example 2 (512-bit)', example2]] as const) {
  test(`RFC 7091 ${name}: d·P is the published public key, and the fixed nonce gives the published (r, s)`, () => {
    const Q = publicPointOf(ex.curve, ex.d);
    assert.deepEqual(Q.toAffine(), { x: ex.qx, y: ex.qy });
    assert.deepEqual(signWithNonce(ex.curve, ex.d, ex.e, ex.k), { r: ex.r, s: ex.s });
  });

  test(`RFC 7091 ${name}: the published signature verifies, and any change to e, r, s or the key does not`, () => {
    const Q = publicPointOf(ex.curve, ex.d);
    const sig = { r: ex.r, s: ex.s };
    assert.equal(verifyE(ex.curve, Q, ex.e, sig), true);
    assert.equal(verifyE(ex.curve, Q, ex.e + 1n, sig), false);
    assert.equal(verifyE(ex.curve, Q, ex.e, { r: ex.r + 1n, s: ex.s }), false);
    assert.equal(verifyE(ex.curve, Q, ex.e, { r: ex.r, s: ex.s - 1n }), false);
    assert.equal(verifyE(ex.curve, publicPointOf(ex.curve, ex.d + 1n), ex.e, sig), false);
    // r and s must lie in (0, q): 0 and q itself are refused before any arithmetic.
    for (const bad of [{ r: 0n, s: ex.s }, { r: ex.r, s: 0n }, { r: ex.curve.q, s: ex.s }, { r: ex.r, s: ex.s + ex.curve.q }]) {
      assert.equal(verifyE(ex.curve, Q, ex.e, bad), false);
    }
  });
}

function deterministicBytes(seed: number): (n: number) => Uint8Array {
  let state = seed;
  return (n) => new Uint8Array(n).map(() => (state = (state * 1103515245 + 12345) >>> 0) >>> 24);
}

test('random-nonce signatures on NCA’s curves verify, and two signatures of the same e differ', () => {
  for (const params of [TC26_512_A, CRYPTOPRO_A]) {
    const curve: GostCurve = curveOf(params);
    const d = randomScalar(curve, (n) => crypto.getRandomValues(new Uint8Array(n)));
    const Q = publicPointOf(curve, d);
    const e = randomScalar(curve, (n) => crypto.getRandomValues(new Uint8Array(n)));
    const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    const a = signE(curve, d, e, random);
    const b = signE(curve, d, e, random);
    assert.equal(verifyE(curve, Q, e, a), true, curve.name);
    assert.equal(verifyE(curve, Q, e, b), true, curve.name);
    assert.notEqual(a.r, b.r);
  }
});

test('scalars outside [1, q-1] are refused: private keys, nonces, and a random source that never yields one', () => {
  const curve = curveOf(TC26_512_A);
  assert.throws(() => publicPointOf(curve, 0n), /not in \[1, q-1\]/);
  assert.throws(() => publicPointOf(curve, curve.q), /not in \[1, q-1\]/);
  assert.throws(() => signE(curve, curve.q + 5n, 1n, deterministicBytes(1)), /not in \[1, q-1\]/);
  assert.throws(() => signWithNonce(curve, 5n, 1n, 0n), /nonce/);
  assert.throws(() => randomScalar(curve, (n) => new Uint8Array(n)), /no usable GOST scalar/);
});
