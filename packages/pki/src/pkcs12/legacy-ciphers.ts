/**
 * Triple-DES and RC2 in CBC mode, which NCA's key files are encrypted with. WebCrypto has neither, so
 * they come from node-forge's pure-JS modules, loaded one by one: des.js and rc2.js bring only forge's
 * cipher core and util (no `node:` module, no `crypto`), so the pki package still runs in a browser.
 * Forge speaks "binary strings"; this file is the only one that knows. Padding is done here rather
 * than by forge, whose RC2 unpadding does not check the pad bytes (a wrong password must not pass).
 */
import 'node-forge/lib/des.js';
import 'node-forge/lib/rc2.js';
import forge from 'node-forge/lib/forge.js';
import { type Bytes } from '../encoding.ts';

export type LegacyCipher = { name: 'DES-EDE3-CBC' } | { name: 'RC2-CBC'; effectiveBits: number };

const BLOCK = 8;
const noPadding = (): boolean => true;

function toBinary(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return s;
}

function fromBinary(s: string): Bytes {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function runCbc(cipher: LegacyCipher, encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Bytes {
  const buffer = (bytes: Uint8Array) => forge.util.createBuffer(toBinary(bytes), 'raw');
  let engine;
  if (cipher.name === 'DES-EDE3-CBC') {
    engine = encrypt ? forge.cipher.createCipher('3DES-CBC', buffer(key)) : forge.cipher.createDecipher('3DES-CBC', buffer(key));
    engine.start({ iv: buffer(iv) });
  } else {
    engine = encrypt
      ? forge.rc2.createEncryptionCipher(buffer(key), cipher.effectiveBits)
      : forge.rc2.createDecryptionCipher(buffer(key), cipher.effectiveBits);
    engine.start(buffer(iv));
  }
  engine.update(buffer(data));
  engine.finish(noPadding);
  return fromBinary(engine.output.getBytes());
}

/** PKCS#7-pads and encrypts. */
export function legacyCbcEncrypt(cipher: LegacyCipher, key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Bytes {
  const pad = BLOCK - (plaintext.length % BLOCK);
  const padded = new Uint8Array(plaintext.length + pad);
  padded.set(plaintext);
  padded.fill(pad, plaintext.length);
  return runCbc(cipher, true, key, iv, padded);
}

/** Decrypts and strips PKCS#7 padding; `undefined` when the padding is wrong (usually: wrong password). */
export function legacyCbcDecrypt(cipher: LegacyCipher, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Bytes | undefined {
  if (ciphertext.length === 0 || ciphertext.length % BLOCK !== 0) return undefined;
  const padded = runCbc(cipher, false, key, iv, ciphertext);
  const pad = padded[padded.length - 1] as number;
  if (pad < 1 || pad > BLOCK) return undefined;
  for (let i = padded.length - pad; i < padded.length; i++) if (padded[i] !== pad) return undefined;
  return padded.slice(0, padded.length - pad);
}
