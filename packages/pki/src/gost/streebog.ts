/**
 * Streebog, GOST R 34.11-2012 (RFC 6986), 256- and 512-bit. Hand-written because no maintained
 * JavaScript library implements it, and NCA's GOST 34.10-2015 keys sign Streebog-512 digests.
 *
 * Byte order: the message is taken as it comes (the RFC writes its examples as numbers, i.e. byte
 * reversed) and the digest comes out in memory order — the order OpenSSL's GOST engine prints and
 * NCA puts into CMS messageDigest attributes.
 *
 * Speed: the state is sixteen 32-bit halves of the eight 64-bit words, and S (the π substitution),
 * P (the byte transposition τ) and L (multiplication by the matrix A) are folded into eight
 * 256-entry tables built once at load, as every fast implementation does. Nothing here is secret
 * (hash inputs are public in every use we have), so table lookups are fine.
 */
import type { Bytes } from '../encoding.ts';

// π from RFC 6986 §6.2 (the same substitution as Kuznyechik's).
const PI = new Uint8Array([
  252, 238, 221, 17, 207, 110, 49, 22, 251, 196, 250, 218, 35, 197, 4, 77, 233, 119, 240, 219, 147, 46, 153, 186, 23, 54, 241,
  187, 20, 205, 95, 193, 249, 24, 101, 90, 226, 92, 239, 33, 129, 28, 60, 66, 139, 1, 142, 79, 5, 132, 2, 174, 227, 106, 143, 160,
  6, 11, 237, 152, 127, 212, 211, 31, 235, 52, 44, 81, 234, 200, 72, 171, 242, 42, 104, 162, 253, 58, 206, 204, 181, 112, 14, 86,
  8, 12, 118, 18, 191, 114, 19, 71, 156, 183, 93, 135, 21, 161, 150, 41, 16, 123, 154, 199, 243, 145, 120, 111, 157, 158, 178, 177,
  50, 117, 25, 61, 255, 53, 138, 126, 109, 84, 198, 128, 195, 189, 13, 87, 223, 245, 36, 169, 62, 168, 67, 201, 215, 121, 214, 246,
  124, 34, 185, 3, 224, 15, 236, 222, 122, 148, 176, 188, 220, 232, 40, 80, 78, 51, 10, 74, 167, 151, 96, 115, 30, 0, 98, 68, 26,
  184, 56, 130, 100, 159, 38, 65, 173, 69, 70, 146, 39, 94, 85, 47, 140, 163, 165, 125, 105, 213, 149, 59, 7, 88, 179, 64, 134, 172,
  29, 247, 48, 55, 107, 228, 136, 217, 231, 137, 225, 27, 131, 73, 76, 63, 248, 254, 141, 83, 170, 144, 202, 216, 133, 97, 32, 113,
  103, 164, 45, 43, 9, 91, 203, 155, 37, 208, 190, 229, 108, 82, 89, 166, 116, 210, 230, 244, 180, 192, 209, 102, 175, 194, 57, 75,
  99, 182,
]);

// The rows of the matrix A (RFC 6986 §6.4): A[0] is added for the most significant bit of a word.
const A = [
  '8e20faa72ba0b470', '47107ddd9b505a38', 'ad08b0e0c3282d1c', 'd8045870ef14980e', '6c022c38f90a4c07', '3601161cf205268d',
  '1b8e0b0e798c13c8', '83478b07b2468764', 'a011d380818e8f40', '5086e740ce47c920', '2843fd2067adea10', '14aff010bdd87508',
  '0ad97808d06cb404', '05e23c0468365a02', '8c711e02341b2d01', '46b60f011a83988e', '90dab52a387ae76f', '486dd4151c3dfdb9',
  '24b86a840e90f0d2', '125c354207487869', '092e94218d243cba', '8a174a9ec8121e5d', '4585254f64090fa0', 'accc9ca9328a8950',
  '9d4df05d5f661451', 'c0a878a0a1330aa6', '60543c50de970553', '302a1e286fc58ca7', '18150f14b9ec46dd', '0c84890ad27623e0',
  '0642ca05693b9f70', '0321658cba93c138', '86275df09ce8aaa8', '439da0784e745554', 'afc0503c273aa42a', 'd960281e9d1d5215',
  'e230140fc0802984', '71180a8960409a42', 'b60c05ca30204d21', '5b068c651810a89e', '456c34887a3805b9', 'ac361a443d1c8cd2',
  '561b0d22900e4669', '2b838811480723ba', '9bcf4486248d9f5d', 'c3e9224312c8c1a0', 'effa11af0964ee50', 'f97d86d98a327728',
  'e4fa2054a80b329c', '727d102a548b194e', '39b008152acb8227', '9258048415eb419d', '492c024284fbaec0', 'aa16012142f35760',
  '550b8e9e21f7a530', 'a48b474f9ef5dc18', '70a6a56e2440598e', '3853dc371220a247', '1ca76e95091051ad', '0edd37c48a08a6d8',
  '07e095624504536c', '8d70c431ac02a736', 'c83862965601dd1b', '641c314b2b8ee083',
];

// Round constants C1…C12 (RFC 6986 §6.5) as eight little-endian 64-bit words each, most significant word last.
const C = [
  'b1085bda1ecadae9ebcb2f81c0657c1f2f6a76432e45d016714eb88d7585c4fc4b7ce09192676901a2422a08a460d31505767436cc744d23dd806559f2a64507',
  '6fa3b58aa99d2f1a4fe39d460f70b5d7f3feea720a232b9861d55e0f16b501319ab5176b12d699585cb561c2db0aa7ca55dda21bd7cbcd56e679047021b19bb7',
  'f574dcac2bce2fc70a39fc286a3d843506f15e5f529c1f8bf2ea7514b1297b7bd3e20fe490359eb1c1c93a376062db09c2b6f443867adb31991e96f50aba0ab2',
  'ef1fdfb3e81566d2f948e1a05d71e4dd488e857e335c3c7d9d721cad685e353fa9d72c82ed03d675d8b71333935203be3453eaa193e837f1220cbebc84e3d12e',
  '4bea6bacad4747999a3f410c6ca923637f151c1f1686104a359e35d7800fffbdbfcd1747253af5a3dfff00b723271a167a56a27ea9ea63f5601758fd7c6cfe57',
  'ae4faeae1d3ad3d96fa4c33b7a3039c02d66c4f95142a46c187f9ab49af08ec6cffaa6b71c9ab7b40af21f66c2bec6b6bf71c57236904f35fa68407a46647d6e',
  'f4c70e16eeaac5ec51ac86febf240954399ec6c7e6bf87c9d3473e33197a93c90992abc52d822c3706476983284a05043517454ca23c4af38886564d3a14d493',
  '9b1f5b424d93c9a703e7aa020c6e41414eb7f8719c36de1e89b4443b4ddbc49af4892bcb929b069069d18d2bd1a5c42f36acc2355951a8d9a47f0dd4bf02e71e',
  '378f5a541631229b944c9ad8ec165fde3a7d3a1b258942243cd955b7e00d0984800a440bdbb2ceb17b2b8a9aa6079c540e38dc92cb1f2a607261445183235adb',
  'abbedea680056f52382ae548b2e4f3f38941e71cff8a78db1fffe18a1b3361039fe76702af69334b7a1e6c303b7652f43698fad1153bb6c374b4c7fb98459ced',
  '7bcd9ed0efc889fb3002c6cd635afe94d8fa6bbbebab076120018021148466798a1d71efea48b9caefbacd1d7d476e98dea2594ac06fd85d6bcaa4cd81f32d1b',
  '378ee767f11631bad21380b00449b17acda43c32bcdf1d77f82012d430219f9b5d80ef9d1891cc86e71da4aa88e12852faf417d5d9b21b9948bc924af11bd720',
];

/** A 512-bit value as 16 words: [lo0, hi0, lo1, hi1, …] of eight little-endian 64-bit words. */
type State = Int32Array;

/**
 * T[t][b] = L(π(b) placed in byte t of a word): with the transposition τ folded in, output word k of
 * L∘P∘S(x) is the XOR over t of T[t][byte k of word t of x].
 */
const T_LO = new Int32Array(8 * 256);
const T_HI = new Int32Array(8 * 256);
{
  const rows = A.map((h) => [parseInt(h.slice(8), 16) | 0, parseInt(h.slice(0, 8), 16) | 0] as const);
  for (let t = 0; t < 8; t++) {
    for (let b = 0; b < 256; b++) {
      const v = PI[b] as number;
      let lo = 0;
      let hi = 0;
      for (let bit = 0; bit < 8; bit++) {
        if ((v >> bit) & 1) {
          // Bit (8t + bit) of the word; A is indexed from the most significant bit.
          const row = rows[63 - (8 * t + bit)]!;
          lo ^= row[0];
          hi ^= row[1];
        }
      }
      T_LO[t * 256 + b] = lo;
      T_HI[t * 256 + b] = hi;
    }
  }
}

function stateFromHex(hex: string): State {
  // The hex is the 512-bit number, most significant byte first.
  const s = new Int32Array(16);
  for (let w = 0; w < 8; w++) {
    const word = hex.slice(128 - 16 * (w + 1), 128 - 16 * w);
    s[2 * w] = parseInt(word.slice(8), 16) | 0;
    s[2 * w + 1] = parseInt(word.slice(0, 8), 16) | 0;
  }
  return s;
}

const ROUND_C = C.map(stateFromHex);

/**
 * out = L∘P∘S(a ⊕ b); `out` may be `a` or `b`. Written out by hand over locals: this function is
 * the whole cost of the hash (25 calls per 64-byte block), and V8 keeps locals in registers.
 */
function xlps(a: State, b: State, out: State): void {
  const x0 = (a[0]! ^ b[0]!) | 0, y0 = (a[1]! ^ b[1]!) | 0;
  const x1 = (a[2]! ^ b[2]!) | 0, y1 = (a[3]! ^ b[3]!) | 0;
  const x2 = (a[4]! ^ b[4]!) | 0, y2 = (a[5]! ^ b[5]!) | 0;
  const x3 = (a[6]! ^ b[6]!) | 0, y3 = (a[7]! ^ b[7]!) | 0;
  const x4 = (a[8]! ^ b[8]!) | 0, y4 = (a[9]! ^ b[9]!) | 0;
  const x5 = (a[10]! ^ b[10]!) | 0, y5 = (a[11]! ^ b[11]!) | 0;
  const x6 = (a[12]! ^ b[12]!) | 0, y6 = (a[13]! ^ b[13]!) | 0;
  const x7 = (a[14]! ^ b[14]!) | 0, y7 = (a[15]! ^ b[15]!) | 0;
  const tl = T_LO;
  const th = T_HI;
  // Output words 0…3 take bytes 0…3 of every input word (the low halves), words 4…7 the high halves.
  {
    const i0 = (x0 & 255), i1 = 256 + (x1 & 255), i2 = 512 + (x2 & 255), i3 = 768 + (x3 & 255);
    const i4 = 1024 + (x4 & 255), i5 = 1280 + (x5 & 255), i6 = 1536 + (x6 & 255), i7 = 1792 + (x7 & 255);
    out[0] = tl[i0]! ^ tl[i1]! ^ tl[i2]! ^ tl[i3]! ^ tl[i4]! ^ tl[i5]! ^ tl[i6]! ^ tl[i7]!;
    out[1] = th[i0]! ^ th[i1]! ^ th[i2]! ^ th[i3]! ^ th[i4]! ^ th[i5]! ^ th[i6]! ^ th[i7]!;
  }
  {
    const i0 = ((x0 >>> 8) & 255), i1 = 256 + ((x1 >>> 8) & 255), i2 = 512 + ((x2 >>> 8) & 255), i3 = 768 + ((x3 >>> 8) & 255);
    const i4 = 1024 + ((x4 >>> 8) & 255), i5 = 1280 + ((x5 >>> 8) & 255), i6 = 1536 + ((x6 >>> 8) & 255), i7 = 1792 + ((x7 >>> 8) & 255);
    out[2] = tl[i0]! ^ tl[i1]! ^ tl[i2]! ^ tl[i3]! ^ tl[i4]! ^ tl[i5]! ^ tl[i6]! ^ tl[i7]!;
    out[3] = th[i0]! ^ th[i1]! ^ th[i2]! ^ th[i3]! ^ th[i4]! ^ th[i5]! ^ th[i6]! ^ th[i7]!;
  }
  {
    const i0 = ((x0 >>> 16) & 255), i1 = 256 + ((x1 >>> 16) & 255), i2 = 512 + ((x2 >>> 16) & 255), i3 = 768 + ((x3 >>> 16) & 255);
    const i4 = 1024 + ((x4 >>> 16) & 255), i5 = 1280 + ((x5 >>> 16) & 255), i6 = 1536 + ((x6 >>> 16) & 255), i7 = 1792 + ((x7 >>> 16) & 255);
    out[4] = tl[i0]! ^ tl[i1]! ^ tl[i2]! ^ tl[i3]! ^ tl[i4]! ^ tl[i5]! ^ tl[i6]! ^ tl[i7]!;
    out[5] = th[i0]! ^ th[i1]! ^ th[i2]! ^ th[i3]! ^ th[i4]! ^ th[i5]! ^ th[i6]! ^ th[i7]!;
  }
  {
    const i0 = ((x0 >>> 24) & 255), i1 = 256 + ((x1 >>> 24) & 255), i2 = 512 + ((x2 >>> 24) & 255), i3 = 768 + ((x3 >>> 24) & 255);
    const i4 = 1024 + ((x4 >>> 24) & 255), i5 = 1280 + ((x5 >>> 24) & 255), i6 = 1536 + ((x6 >>> 24) & 255), i7 = 1792 + ((x7 >>> 24) & 255);
    out[6] = tl[i0]! ^ tl[i1]! ^ tl[i2]! ^ tl[i3]! ^ tl[i4]! ^ tl[i5]! ^ tl[i6]! ^ tl[i7]!;
    out[7] = th[i0]! ^ th[i1]! ^ th[i2]! ^ th[i3]! ^ th[i4]! ^ th[i5]! ^ th[i6]! ^ th[i7]!;
  }
  {
    const i0 = (y0 & 255), i1 = 256 + (y1 & 255), i2 = 512 + (y2 & 255), i3 = 768 + (y3 & 255);
    const i4 = 1024 + (y4 & 255), i5 = 1280 + (y5 & 255), i6 = 1536 + (y6 & 255), i7 = 1792 + (y7 & 255);
    out[8] = tl[i0]! ^ tl[i1]! ^ tl[i2]! ^ tl[i3]! ^ tl[i4]! ^ tl[i5]! ^ tl[i6]! ^ tl[i7]!;
    out[9] = th[i0]! ^ th[i1]! ^ th[i2]! ^ th[i3]! ^ th[i4]! ^ th[i5]! ^ th[i6]! ^ th[i7]!;
  }
  {
    const i0 = ((y0 >>> 8) & 255), i1 = 256 + ((y1 >>> 8) & 255), i2 = 512 + ((y2 >>> 8) & 255), i3 = 768 + ((y3 >>> 8) & 255);
    const i4 = 1024 + ((y4 >>> 8) & 255), i5 = 1280 + ((y5 >>> 8) & 255), i6 = 1536 + ((y6 >>> 8) & 255), i7 = 1792 + ((y7 >>> 8) & 255);
    out[10] = tl[i0]! ^ tl[i1]! ^ tl[i2]! ^ tl[i3]! ^ tl[i4]! ^ tl[i5]! ^ tl[i6]! ^ tl[i7]!;
    out[11] = th[i0]! ^ th[i1]! ^ th[i2]! ^ th[i3]! ^ th[i4]! ^ th[i5]! ^ th[i6]! ^ th[i7]!;
  }
  {
    const i0 = ((y0 >>> 16) & 255), i1 = 256 + ((y1 >>> 16) & 255), i2 = 512 + ((y2 >>> 16) & 255), i3 = 768 + ((y3 >>> 16) & 255);
    const i4 = 1024 + ((y4 >>> 16) & 255), i5 = 1280 + ((y5 >>> 16) & 255), i6 = 1536 + ((y6 >>> 16) & 255), i7 = 1792 + ((y7 >>> 16) & 255);
    out[12] = tl[i0]! ^ tl[i1]! ^ tl[i2]! ^ tl[i3]! ^ tl[i4]! ^ tl[i5]! ^ tl[i6]! ^ tl[i7]!;
    out[13] = th[i0]! ^ th[i1]! ^ th[i2]! ^ th[i3]! ^ th[i4]! ^ th[i5]! ^ th[i6]! ^ th[i7]!;
  }
  {
    const i0 = ((y0 >>> 24) & 255), i1 = 256 + ((y1 >>> 24) & 255), i2 = 512 + ((y2 >>> 24) & 255), i3 = 768 + ((y3 >>> 24) & 255);
    const i4 = 1024 + ((y4 >>> 24) & 255), i5 = 1280 + ((y5 >>> 24) & 255), i6 = 1536 + ((y6 >>> 24) & 255), i7 = 1792 + ((y7 >>> 24) & 255);
    out[14] = tl[i0]! ^ tl[i1]! ^ tl[i2]! ^ tl[i3]! ^ tl[i4]! ^ tl[i5]! ^ tl[i6]! ^ tl[i7]!;
    out[15] = th[i0]! ^ th[i1]! ^ th[i2]! ^ th[i3]! ^ th[i4]! ^ th[i5]! ^ th[i6]! ^ th[i7]!;
  }
}

const ZERO: State = new Int32Array(16);
// Scratch for compress(); JavaScript runs one compress at a time, so sharing them saves allocations.
const K: State = new Int32Array(16);
const S: State = new Int32Array(16);

/** The compression function g_N(h, m) = E(LPS(h ⊕ N), m) ⊕ h ⊕ m; h is updated in place. */
function compress(h: State, m: State, n: State): void {
  xlps(h, n, K);
  S.set(m);
  for (let i = 0; i < 12; i++) {
    xlps(S, K, S);
    xlps(K, ROUND_C[i]!, K);
  }
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ S[i]! ^ K[i]! ^ m[i]!;
}

/** acc += v (mod 2^512), both as little-endian words. */
function add512(acc: State, v: State): void {
  let carry = 0;
  for (let i = 0; i < 16; i++) {
    const sum = (acc[i] as number >>> 0) + (v[i] as number >>> 0) + carry;
    acc[i] = sum | 0;
    carry = sum > 0xffffffff ? 1 : 0;
  }
}

function addBits(acc: State, bits: number): void {
  const v = new Int32Array(16);
  v[0] = bits | 0;
  add512(acc, v);
}

function loadBlock(data: Uint8Array, offset: number, out: State): void {
  for (let i = 0; i < 16; i++) {
    const o = offset + 4 * i;
    out[i] = (data[o] as number) | ((data[o + 1] as number) << 8) | ((data[o + 2] as number) << 16) | ((data[o + 3] as number) << 24);
  }
}

export type StreebogSize = 256 | 512;

/** An incremental Streebog hash (update as often as needed, then digest once). */
export class Streebog {
  private readonly h: State;
  private readonly n: State = new Int32Array(16);
  private readonly sigma: State = new Int32Array(16);
  private readonly buffer = new Uint8Array(64);
  private buffered = 0;
  private finished = false;
  private readonly block: State = new Int32Array(16);

  constructor(readonly size: StreebogSize) {
    // IV: all zero bytes for 512 bits, all 0x01 bytes for 256.
    this.h = new Int32Array(16).fill(size === 512 ? 0 : 0x01010101);
  }

  update(data: Uint8Array): this {
    if (this.finished) throw new Error('Streebog: update after digest');
    let off = 0;
    if (this.buffered > 0) {
      const take = Math.min(64 - this.buffered, data.length);
      this.buffer.set(data.subarray(0, take), this.buffered);
      this.buffered += take;
      off = take;
      if (this.buffered < 64) return this;
      this.processBlock(this.buffer, 0);
      this.buffered = 0;
    }
    for (; off + 64 <= data.length; off += 64) this.processBlock(data, off);
    if (off < data.length) {
      this.buffer.set(data.subarray(off), 0);
      this.buffered = data.length - off;
    }
    return this;
  }

  private processBlock(data: Uint8Array, offset: number): void {
    loadBlock(data, offset, this.block);
    compress(this.h, this.block, this.n);
    addBits(this.n, 512);
    add512(this.sigma, this.block);
  }

  digest(): Bytes {
    if (this.finished) throw new Error('Streebog: digest called twice');
    this.finished = true;
    // Padding: the remaining bytes, then 0x01, then zeros (in the RFC's reversed notation, 0…01‖M).
    const last = new Uint8Array(64);
    last.set(this.buffer.subarray(0, this.buffered));
    last[this.buffered] = 0x01;
    loadBlock(last, 0, this.block);
    compress(this.h, this.block, this.n);
    addBits(this.n, this.buffered * 8);
    add512(this.sigma, this.block);
    compress(this.h, this.n, ZERO);
    compress(this.h, this.sigma, ZERO);
    const out = new Uint8Array(64);
    for (let i = 0; i < 16; i++) {
      const w = this.h[i] as number;
      out[4 * i] = w & 0xff;
      out[4 * i + 1] = (w >>> 8) & 0xff;
      out[4 * i + 2] = (w >>> 16) & 0xff;
      out[4 * i + 3] = (w >>> 24) & 0xff;
    }
    // The 256-bit variant keeps the most significant half, which is the second half in memory order.
    return this.size === 512 ? out : out.slice(32);
  }
}

export function streebog512(data: Uint8Array): Bytes {
  return new Streebog(512).update(data).digest();
}

export function streebog256(data: Uint8Array): Bytes {
  return new Streebog(256).update(data).digest();
}
