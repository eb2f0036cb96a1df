/**
 * DSA signature verification (FIPS 186-4 §4.7), verify only. WebCrypto has no DSA and the libraries we use
 * (node-forge, @noble/curves, pkijs through WebCrypto) none either, so these few lines are hand-written over
 * BigInt. Verification handles only public values, so constant time does not matter here. It exists for
 * relying parties and conformance (NIST PKITS has DSA chains, including DSA parameter inheritance, which
 * path validation resolves by giving this verifier an SPKI with the inherited parameters filled in).
 * Nothing in this project signs with DSA.
 */
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { childrenOf, readWhole, TAG, type Tlv } from '../der/read.ts';
import { readSpki } from './spki.ts';
import { digest, type HashName } from './provider.ts';
import { registerSignatureAlgorithm } from './algorithms.ts';

function bigFrom(buf: Uint8Array, t: Tlv): bigint {
  if (t.tag !== TAG.integer || t.end === t.contentStart) throw new Error('expected an INTEGER');
  if ((buf[t.contentStart] as number) & 0x80) return -1n;
  let v = 0n;
  for (let i = t.contentStart; i < t.end; i++) v = (v << 8n) | BigInt(buf[i] as number);
  return v;
}

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return ((s0 % m) + m) % m;
}

function bitLength(v: bigint): number {
  return v.toString(2).length;
}

/** Dss-Parms ::= SEQUENCE { p, q, g } and DSAPublicKey ::= INTEGER, from an SPKI that carries its parameters. */
function readDsaKey(spki: Uint8Array): { p: bigint; q: bigint; g: bigint; y: bigint } {
  const info = readSpki(spki);
  if (info.algorithmOid !== oid.dsa) throw new QtError('QT_ERR_KEY_MALFORMED', 'The key is not a DSA key');
  if (!info.parameters || info.parameters[0] !== TAG.sequence) {
    throw new QtError('QT_ERR_KEY_MALFORMED', 'The DSA key has no domain parameters (and none were inherited from its issuer)');
  }
  const params = info.parameters;
  const [pT, qT, gT, extra] = childrenOf(params, readWhole(params, TAG.sequence, 'Dss-Parms'));
  if (!pT || !qT || !gT || extra) throw new QtError('QT_ERR_KEY_MALFORMED', 'The DSA parameters are not SEQUENCE { p, q, g }');
  const key = info.publicKey;
  const y = bigFrom(key, readWhole(key, TAG.integer, 'DSAPublicKey'));
  const p = bigFrom(params, pT);
  const q = bigFrom(params, qT);
  const g = bigFrom(params, gT);
  if (p <= 3n || q <= 1n || g <= 1n || g >= p || y <= 1n || y >= p || bitLength(p) > 4096) {
    throw new QtError('QT_ERR_KEY_MALFORMED', 'The DSA key or its parameters are out of range');
  }
  return { p, q, g, y };
}

function dsa(algOid: string, hash: HashName): void {
  registerSignatureAlgorithm({
    oid: algOid,
    name: `DSA/${hash}`,
    async verify({ spki, data, signature }) {
      const { p, q, g, y } = readDsaKey(spki);
      let r: bigint;
      let s: bigint;
      try {
        const [rT, sT, extra] = childrenOf(signature, readWhole(signature, TAG.sequence, 'Dss-Sig-Value'));
        if (!rT || !sT || extra) return false;
        r = bigFrom(signature, rT);
        s = bigFrom(signature, sT);
      } catch {
        return false;
      }
      if (r <= 0n || r >= q || s <= 0n || s >= q) return false;
      const h = await digest(hash, data);
      // z: the leftmost min(N, outlen) bits of the hash (FIPS 186-4 §4.6).
      let z = 0n;
      for (const b of h) z = (z << 8n) | BigInt(b);
      const excess = h.length * 8 - bitLength(q);
      if (excess > 0) z >>= BigInt(excess);
      const w = modInverse(s, q);
      const u1 = (z * w) % q;
      const u2 = (r * w) % q;
      const v = ((modPow(g, u1, p) * modPow(y, u2, p)) % p) % q;
      return v === r;
    },
  });
}

dsa(oid.dsaWithSha1, 'SHA-1');
dsa(oid.dsaWithSha256, 'SHA-256');
