/**
 * How a pending private key rests on disk until its certificate arrives: PKCS#8 encrypted with AES-256-GCM
 * under a key derived by scrypt from the password the user chose for the future key file. scrypt is
 * memory-hard (a stolen file is expensive to attack); GCM authenticates, so a wrong password is told apart from
 * a right one without guessing, and the associated data binds the box to its request and key type (a box
 * copied into another request does not open). The password itself is never stored.
 *
 * How strong: the same password will protect the installed key file, whose PKCS#12 PBKDF2 (2048 iterations, NCA's
 * count) costs an attacker about a millisecond per guess; one scrypt at N=2^15 costs 32 MiB and ~0.1 s, so the
 * pending box is never the weaker of the two. The AUTH and SIGN keys of one request share one derivation (one
 * salt, their own IVs and associated data): a second derivation from the same password would make the person
 * wait twice as long and cost an attacker nothing more, who needs one scrypt per guess either way.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, type ScryptOptions } from 'node:crypto';
import { QtError } from '@qoltanba/pki';

export interface SealedKey {
  v: 1;
  kdf: 'scrypt';
  /** scrypt cost parameters as stored, so they can be raised later without breaking old boxes. */
  N: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

/** 2^15 × 8 × 128 B = 32 MiB and about 0.1 s per derivation on a laptop. */
const COST = { N: 1 << 15, r: 8, p: 1 } as const;

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize('NFC'), salt, 32, options, (e, key) => (e ? reject(e) : resolve(key))),
  );
}

/** A key derived from the password, to seal the keys of one request (wipe it when they are sealed). */
export interface SealingKey {
  readonly salt: Buffer;
  readonly key: Buffer;
  wipe(): void;
}

export async function deriveSealingKey(password: string): Promise<SealingKey> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return { salt, key, wipe: () => key.fill(0) };
}

export function sealWith(sealing: SealingKey, pkcs8: Uint8Array, context: string): SealedKey {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealing.key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  return {
    v: 1,
    kdf: 'scrypt',
    ...COST,
    salt: sealing.salt.toString('base64'),
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** One key in a box of its own (own salt): kept for single keys and the tests. */
export async function sealKey(pkcs8: Uint8Array, password: string, context: string): Promise<SealedKey> {
  const sealing = await deriveSealingKey(password);
  try {
    return sealWith(sealing, pkcs8, context);
  } finally {
    sealing.wipe();
  }
}

/**
 * Derivations already made while opening the boxes of one request (boxes sealed with one derivation share its
 * salt): each distinct salt and cost is derived once. `wipe` when done.
 */
export class OpenedKeys {
  private readonly keys = new Map<string, Promise<Buffer>>();
  get(box: SealedKey, password: string): Promise<Buffer> {
    const id = `${box.salt}:${box.N}:${box.r}:${box.p}`;
    let key = this.keys.get(id);
    if (!key) {
      key = derive(password, Buffer.from(box.salt, 'base64'), box);
      this.keys.set(id, key);
    }
    return key;
  }
  async wipe(): Promise<void> {
    for (const k of this.keys.values()) (await k.catch(() => undefined))?.fill(0);
    this.keys.clear();
  }
}

/** The PKCS#8 back; a wrong password is QT_ERR_PKCS12_PASSWORD (the same attempt counting as a key file). */
export async function openSealedKey(box: SealedKey, password: string, context: string, opened?: OpenedKeys): Promise<Uint8Array> {
  if (box.v !== 1 || box.kdf !== 'scrypt') throw new QtError('QT_ERR_KEY_FILE_MALFORMED', 'The pending key is stored in an unknown format');
  const key = opened ? Buffer.from(await opened.get(box, password)) : await derive(password, Buffer.from(box.salt, 'base64'), box);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(box.tag, 'base64'));
    return new Uint8Array(Buffer.concat([decipher.update(Buffer.from(box.ciphertext, 'base64')), decipher.final()]));
  } catch {
    throw new QtError('QT_ERR_PKCS12_PASSWORD', 'The password does not open the pending key');
  } finally {
    key.fill(0);
  }
}
