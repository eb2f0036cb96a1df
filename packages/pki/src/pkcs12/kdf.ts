/**
 * The PKCS#12 key-derivation function (RFC 7292 appendix B). It feeds the legacy PBE schemes and the
 * MAC of every PKCS#12 file, old or new, so it runs on any WebCrypto digest. WebCrypto has no
 * PKCS#12 KDF of its own; the loop below is the RFC's algorithm, one `digest` call per round.
 */
import { QtError } from '@qoltanba/errors';
import { type Bytes } from '../encoding.ts';
import { digest, type HashName } from '../crypto/index.ts';

/** What the derived bytes are for (RFC 7292 B.3). */
export const kdfPurpose = { key: 1, iv: 2, mac: 3 } as const;
export type KdfPurpose = (typeof kdfPurpose)[keyof typeof kdfPurpose];

const hashSizes: Record<HashName, { u: number; v: number }> = {
  'SHA-1': { u: 20, v: 64 },
  'SHA-256': { u: 32, v: 64 },
  'SHA-384': { u: 48, v: 128 },
  'SHA-512': { u: 64, v: 128 },
};

export function hashOutputLength(hash: HashName): number {
  return hashSizes[hash].u;
}

/**
 * The password as PKCS#12 hashes it: big-endian UTF-16 (BMPString) with a two-byte zero terminator,
 * the way OpenSSL, Java and NCA's own tools encode it. The empty password becomes just the terminator.
 */
export function bmpPassword(password: string): Bytes {
  const out = new Uint8Array(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) {
    const unit = password.charCodeAt(i);
    out[i * 2] = unit >> 8;
    out[i * 2 + 1] = unit & 0xff;
  }
  return out;
}

/** Repeats `data` to fill a multiple of `v` bytes (empty stays empty), as step 2/3 of B.2 ask. */
function stretch(data: Uint8Array, v: number): Bytes {
  const out = new Uint8Array(v * Math.ceil(data.length / v));
  for (let i = 0; i < out.length; i++) out[i] = data[i % data.length] as number;
  return out;
}

export interface Pkcs12KdfInput {
  hash: HashName;
  /** Already encoded: `bmpPassword(text)` for every standard use. */
  password: Uint8Array;
  salt: Uint8Array;
  iterations: number;
  purpose: KdfPurpose;
  length: number;
}

/**
 * Each round is one awaited WebCrypto digest (tens of microseconds), so a hostile file could ask for
 * minutes of work. Real files use 1024 (NCA), 2048 (OpenSSL) or 10 000 (Java).
 */
export const MAX_PKCS12_KDF_ITERATIONS = 100_000;

export function checkIterations(iterations: number, max: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new QtError('QT_ERR_PKCS12_MALFORMED', `The key file is malformed: the iteration count ${iterations} is not valid`);
  }
  if (iterations > max) {
    throw new QtError('QT_ERR_TOO_LARGE', `The key file asks for ${iterations} iterations, more than the ${max} allowed`, { iterations, max });
  }
}

export async function pkcs12Kdf({ hash, password, salt, iterations, purpose, length }: Pkcs12KdfInput): Promise<Bytes> {
  checkIterations(iterations, MAX_PKCS12_KDF_ITERATIONS);
  const { u, v } = hashSizes[hash];
  const input = new Uint8Array([...stretch(salt, v), ...stretch(password, v)]);
  const block = new Uint8Array(v + input.length);
  block.fill(purpose, 0, v);
  const out = new Uint8Array(Math.ceil(length / u) * u);
  for (let offset = 0; offset < length; offset += u) {
    block.set(input, v);
    let a: Bytes = await digest(hash, block);
    for (let r = 1; r < iterations; r++) a = await digest(hash, a);
    out.set(a, offset);
    if (offset + u >= length) break;
    // Step 6C: every v-byte chunk of I becomes (chunk + B + 1) mod 2^(8v), B being A repeated to v bytes.
    const b = stretch(a, v);
    for (let j = 0; j < input.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (input[j + k] as number) + (b[k] as number) + carry;
        input[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return out.slice(0, length);
}
