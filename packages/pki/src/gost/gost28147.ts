/**
 * The GOST 28147-89 block cipher, encryption only: GOST R 34.11-94 is built on it and needs nothing
 * else from it. Hand-written (no maintained JavaScript library has the cipher with selectable
 * S-boxes); the keys here are hash-internal values, never secrets.
 */

/** Eight 4-bit substitution rows, K1 (lowest nibble) to K8. */
export type SBox = readonly (readonly number[])[];

/**
 * The "test" S-box printed in GOST R 34.11-94 itself (id-GostR3411-94-TestParamSet). Kazakhstan's
 * GOST 34.311-95 is GOST R 34.11-94 with exactly this S-box (NCA's hash parameter OID
 * 1.2.398.3.10.1.3.1.1.0), which is why OpenSSL's engine (CryptoPro S-box) cannot compute it.
 */
export const TEST_SBOX: SBox = [
  [4, 10, 9, 2, 13, 8, 0, 14, 6, 11, 1, 12, 7, 15, 5, 3],
  [14, 11, 4, 12, 6, 13, 15, 10, 2, 3, 8, 1, 0, 7, 5, 9],
  [5, 8, 1, 13, 10, 3, 4, 2, 14, 15, 12, 7, 6, 0, 9, 11],
  [7, 13, 10, 1, 0, 8, 9, 15, 14, 4, 6, 12, 11, 2, 5, 3],
  [6, 12, 7, 1, 5, 15, 13, 8, 4, 10, 9, 14, 0, 3, 11, 2],
  [4, 11, 10, 0, 7, 2, 1, 13, 3, 6, 8, 5, 9, 12, 15, 14],
  [13, 11, 4, 1, 3, 15, 5, 9, 0, 10, 14, 7, 6, 8, 2, 12],
  [1, 15, 13, 0, 5, 7, 10, 4, 9, 2, 3, 14, 6, 11, 8, 12],
];

/**
 * The CryptoPro S-box for GOST R 34.11-94 (RFC 4357 id-GostR3411-94-CryptoProParamSet): what Russian
 * software and OpenSSL's GOST engine use. Kept so the tests can check the hash construction against
 * the engine independently of the Kazakh S-box.
 */
export const CRYPTOPRO_SBOX: SBox = [
  [10, 4, 5, 6, 8, 1, 3, 7, 13, 12, 14, 0, 9, 2, 11, 15],
  [5, 15, 4, 0, 2, 13, 11, 9, 1, 7, 6, 3, 12, 14, 10, 8],
  [7, 15, 12, 14, 9, 4, 1, 0, 3, 11, 5, 2, 6, 10, 8, 13],
  [4, 10, 7, 12, 0, 15, 2, 8, 14, 1, 6, 5, 13, 11, 9, 3],
  [7, 6, 4, 11, 9, 12, 2, 10, 1, 8, 0, 14, 15, 13, 3, 5],
  [7, 6, 2, 4, 13, 9, 15, 0, 10, 1, 5, 11, 8, 14, 12, 3],
  [13, 14, 4, 1, 7, 0, 5, 10, 3, 12, 8, 15, 6, 2, 9, 11],
  [1, 3, 10, 9, 5, 11, 4, 15, 8, 6, 7, 14, 13, 0, 2, 12],
];

/** The S-box expanded to four byte-wide tables with the 11-bit rotation folded in. */
export interface Gost28147Tables {
  readonly t: readonly [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
}

export function expandSBox(sbox: SBox): Gost28147Tables {
  const rot = (x: number) => ((x << 11) | (x >>> 21)) >>> 0;
  const t = [0, 1, 2, 3].map((byte) => {
    const table = new Uint32Array(256);
    const lo = sbox[2 * byte]!;
    const hi = sbox[2 * byte + 1]!;
    for (let b = 0; b < 256; b++) table[b] = rot(((hi[b >> 4]! << 4) | lo[b & 15]!) << (8 * byte));
    return table;
  }) as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  return { t };
}

const K = new Uint32Array(8);

/**
 * Encrypts one 8-byte block (simple substitution mode) with a 32-byte key. Key and block are read
 * as little-endian 32-bit words, as the standard and every implementation do.
 */
export function encryptBlock(tables: Gost28147Tables, key: Uint8Array, input: Uint8Array, inOff: number, out: Uint8Array, outOff: number): void {
  for (let i = 0; i < 8; i++) {
    K[i] = (key[4 * i]! | (key[4 * i + 1]! << 8) | (key[4 * i + 2]! << 16) | (key[4 * i + 3]! << 24)) >>> 0;
  }
  const [t0, t1, t2, t3] = tables.t;
  let n1 = (input[inOff]! | (input[inOff + 1]! << 8) | (input[inOff + 2]! << 16) | (input[inOff + 3]! << 24)) >>> 0;
  let n2 = (input[inOff + 4]! | (input[inOff + 5]! << 8) | (input[inOff + 6]! << 16) | (input[inOff + 7]! << 24)) >>> 0;
  // 32 rounds: K0…K7 three times, then K7…K0; the halves trade places by naming instead of copying.
  for (let r = 0; r < 32; r += 2) {
    const i = r < 24 ? r & 7 : 31 - r;
    const j = r < 24 ? i + 1 : i - 1;
    let x = (n1 + K[i]!) >>> 0;
    n2 = (n2 ^ t0[x & 255]! ^ t1[(x >>> 8) & 255]! ^ t2[(x >>> 16) & 255]! ^ t3[x >>> 24]!) >>> 0;
    x = (n2 + K[j]!) >>> 0;
    n1 = (n1 ^ t0[x & 255]! ^ t1[(x >>> 8) & 255]! ^ t2[(x >>> 16) & 255]! ^ t3[x >>> 24]!) >>> 0;
  }
  out[outOff] = n2 & 255;
  out[outOff + 1] = (n2 >>> 8) & 255;
  out[outOff + 2] = (n2 >>> 16) & 255;
  out[outOff + 3] = n2 >>> 24;
  out[outOff + 4] = n1 & 255;
  out[outOff + 5] = (n1 >>> 8) & 255;
  out[outOff + 6] = (n1 >>> 16) & 255;
  out[outOff + 7] = n1 >>> 24;
}
