/**
 * Just the corner of node-forge that legacy-ciphers.ts loads: its base object after `des.js` and
 * `rc2.js` have registered themselves. @types/node-forge describes only the package's main entry,
 * which would pull in forge's Node-only parts (its PRNG and PBKDF2 require `crypto`).
 */
declare module 'node-forge/lib/forge.js' {
  interface ForgeBuffer {
    getBytes(): string;
  }
  /** Decides what happens to the last block; legacy-ciphers.ts pads and unpads itself. */
  type PadFunction = (blockSize: number, buffer: ForgeBuffer, decrypt: boolean) => boolean;
  interface DesCipher {
    start(options: { iv: ForgeBuffer }): void;
    update(input: ForgeBuffer): void;
    finish(pad?: PadFunction): boolean;
    output: ForgeBuffer;
  }
  interface Rc2Cipher {
    start(iv: ForgeBuffer, output?: ForgeBuffer): void;
    update(input: ForgeBuffer): void;
    finish(pad?: PadFunction): boolean;
    output: ForgeBuffer;
  }
  const forge: {
    util: { createBuffer(binary: string, encoding?: 'raw'): ForgeBuffer };
    cipher: {
      createCipher(algorithm: '3DES-CBC', key: ForgeBuffer): DesCipher;
      createDecipher(algorithm: '3DES-CBC', key: ForgeBuffer): DesCipher;
    };
    rc2: {
      createEncryptionCipher(key: ForgeBuffer, effectiveBits: number): Rc2Cipher;
      createDecryptionCipher(key: ForgeBuffer, effectiveBits: number): Rc2Cipher;
    };
  };
  export default forge;
}
