/**
 * GOST R 34.11-94 (RFC 5831), the hash under NCA's GOST 34.310-2004 keys, where Kazakhstan's
 * GOST 34.311-95 fixes the S-box to the standard's own "test" one. Hand-written: no maintained
 * JavaScript library implements it, let alone with that S-box.
 *
 * Byte order as in OpenSSL's engine and NCA's structures: message bytes in order, 32-byte blocks read
 * as little-endian numbers, the digest in memory order.
 */
import type { Bytes } from '../encoding.ts';
import { encryptBlock, expandSBox, TEST_SBOX, type Gost28147Tables, type SBox } from './gost28147.ts';

/** The P transformation: key byte 4·j + i ← word byte 8·i + j (φ(i + 1 + 4(k − 1)) = 8i + k). */
function transpose(w: Uint8Array, key: Uint8Array): void {
  for (let i = 0; i < 4; i++) for (let j = 0; j < 8; j++) key[i + 4 * j] = w[8 * i + j]!;
}

/** The A transformation in place: shift the four 64-bit parts down, the top one being y1 ⊕ y2. */
function shiftXor(w: Uint8Array): void {
  for (let i = 0; i < 8; i++) {
    const y1 = w[i]!;
    const y2 = w[8 + i]!;
    w[i] = y2;
    w[8 + i] = w[16 + i]!;
    w[16 + i] = w[24 + i]!;
    w[24 + i] = y1 ^ y2;
  }
}

function xorInto(out: Uint8Array, a: Uint8Array, b: Uint8Array): void {
  for (let i = 0; i < 32; i++) out[i] = a[i]! ^ b[i]!;
}

/** The constant C3 of the key generation: bytes whose complement is taken (1, 3, 5, 7, 8, 10, …). */
const C3_BYTES = [1, 3, 5, 7, 8, 10, 12, 14, 17, 18, 20, 23, 24, 28, 29, 31];

/**
 * ψ^n over a block as sixteen 16-bit words: ψ drops word 0 and appends w0⊕w1⊕w2⊕w3⊕w12⊕w15, so n steps
 * are n appends to a run of words, and the state after them is the last sixteen. Cheaper than moving
 * 30 bytes 74 times per block.
 */
class PsiRun {
  private readonly w = new Uint16Array(16 + 64);
  private at = 0;

  load(block: Uint8Array): this {
    for (let j = 0; j < 16; j++) this.w[j] = block[2 * j]! | (block[2 * j + 1]! << 8);
    this.at = 0;
    return this;
  }

  steps(n: number): this {
    const w = this.w;
    for (let i = 0; i < n; i++, this.at++) {
      const j = this.at;
      w[j + 16] = w[j]! ^ w[j + 1]! ^ w[j + 2]! ^ w[j + 3]! ^ w[j + 12]! ^ w[j + 15]!;
    }
    return this;
  }

  /** Replaces the state by state ⊕ block (and restarts the run at it). */
  xor(block: Uint8Array): this {
    const w = this.w;
    for (let j = 0; j < 16; j++) w[j] = w[this.at + j]! ^ (block[2 * j]! | (block[2 * j + 1]! << 8));
    this.at = 0;
    return this;
  }

  store(out: Uint8Array): void {
    for (let j = 0; j < 16; j++) {
      const v = this.w[this.at + j]!;
      out[2 * j] = v & 0xff;
      out[2 * j + 1] = v >>> 8;
    }
  }
}

/** Scratch for step(); one hash step runs at a time in JavaScript. */
const U = new Uint8Array(32);
const V = new Uint8Array(32);
const W = new Uint8Array(32);
const KEY = new Uint8Array(32);
const S = new Uint8Array(32);
const RUN = new PsiRun();

/** H ← f(H, M): key generation, encryption of H's four 64-bit parts, mixing by ψ. */
function step(tables: Gost28147Tables, h: Uint8Array, m: Uint8Array): void {
  xorInto(W, h, m);
  transpose(W, KEY);
  encryptBlock(tables, KEY, h, 0, S, 0);
  U.set(h);
  shiftXor(U);
  V.set(m);
  shiftXor(V);
  shiftXor(V);
  xorInto(W, U, V);
  transpose(W, KEY);
  encryptBlock(tables, KEY, h, 8, S, 8);
  shiftXor(U);
  for (const i of C3_BYTES) U[i] = ~U[i]! & 0xff;
  shiftXor(V);
  shiftXor(V);
  xorInto(W, U, V);
  transpose(W, KEY);
  encryptBlock(tables, KEY, h, 16, S, 16);
  shiftXor(U);
  shiftXor(V);
  shiftXor(V);
  xorInto(W, U, V);
  transpose(W, KEY);
  encryptBlock(tables, KEY, h, 24, S, 24);
  // H' = ψ^61(H ⊕ ψ(M ⊕ ψ^12(S)))
  RUN.load(S).steps(12).xor(m).steps(1).xor(h).steps(61).store(h);
}

/** sum += block (mod 2^256), little-endian. */
function addInto(sum: Uint8Array, block: Uint8Array): void {
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const t = sum[i]! + block[i]! + carry;
    sum[i] = t & 0xff;
    carry = t >> 8;
  }
}

const testTables = expandSBox(TEST_SBOX);

/** An incremental GOST R 34.11-94 hash; the S-box defaults to the test one (GOST 34.311-95). */
export class Gost341194 {
  private readonly tables: Gost28147Tables;
  private readonly h = new Uint8Array(32);
  private readonly sum = new Uint8Array(32);
  private readonly buffer = new Uint8Array(32);
  private buffered = 0;
  private length = 0;
  private finished = false;

  constructor(sbox?: SBox) {
    this.tables = sbox ? expandSBox(sbox) : testTables;
  }

  update(data: Uint8Array): this {
    if (this.finished) throw new Error('GOST R 34.11-94: update after digest');
    let off = 0;
    if (this.buffered > 0) {
      const take = Math.min(32 - this.buffered, data.length);
      this.buffer.set(data.subarray(0, take), this.buffered);
      this.buffered += take;
      off = take;
      if (this.buffered < 32) return this;
      this.block(this.buffer);
      this.buffered = 0;
    }
    for (; off + 32 <= data.length; off += 32) this.block(data.subarray(off, off + 32));
    if (off < data.length) {
      this.buffer.set(data.subarray(off), 0);
      this.buffered = data.length - off;
    }
    return this;
  }

  private block(m: Uint8Array): void {
    step(this.tables, this.h, m);
    addInto(this.sum, m);
    this.length += 32;
  }

  digest(): Bytes {
    if (this.finished) throw new Error('GOST R 34.11-94: digest called twice');
    this.finished = true;
    // A short last block is padded with zeros. An empty message hashes no block at all: that is what
    // the published vectors say (ce85b99c… with the test S-box, 981e5f3c… with CryptoPro's), while
    // OpenSSL's GOST engine hashes one zero block there and prints 3f25bc1f… for CryptoPro's.
    if (this.buffered > 0) {
      const last = new Uint8Array(32);
      last.set(this.buffer.subarray(0, this.buffered));
      step(this.tables, this.h, last);
      addInto(this.sum, last);
      this.length += this.buffered;
    }
    // The length in bits as a 256-bit little-endian number (Number is exact below 2^53 bits).
    const bits = new Uint8Array(32);
    let n = this.length * 8;
    for (let i = 0; n > 0; i++) {
      bits[i] = n % 256;
      n = Math.floor(n / 256);
    }
    step(this.tables, this.h, bits);
    step(this.tables, this.h, this.sum);
    return new Uint8Array(this.h);
  }
}

/** GOST 34.311-95: GOST R 34.11-94 with the test S-box, as NCA's GOST 34.310-2004 keys sign. */
export function gost34311(data: Uint8Array): Bytes {
  return new Gost341194().update(data).digest();
}
