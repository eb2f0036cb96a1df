/**
 * PBES2 (RFC 8018 §6.2): PBKDF2 then a block cipher, what OpenSSL 3 and Java 17 write by default.
 * PBKDF2 and AES run in WebCrypto; DES-EDE3-CBC (an allowed PBES2 cipher some tools still pick) goes
 * through the same pure implementation as the legacy schemes. The password enters PBKDF2 as UTF-8,
 * as OpenSSL and Java do.
 */
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { OctetString } from '@peculiar/asn1-schema';
import { QtError } from '@qoltanba/errors';
import { utf8, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { getCrypto, randomBytes, type HashName } from '../crypto/index.ts';
import { Pbes2Params, Pbkdf2Params, parseAs, serialize } from './asn1.ts';
import { checkIterations } from './kdf.ts';
import { legacyCbcDecrypt, legacyCbcEncrypt } from './legacy-ciphers.ts';

/** PBKDF2 runs natively, so this only stops absurd counts from a damaged or hostile file. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

const prfOids: Readonly<Record<string, HashName>> = {
  [oid.hmacSha1]: 'SHA-1',
  [oid.hmacSha256]: 'SHA-256',
  '1.2.840.113549.2.10': 'SHA-384',
  '1.2.840.113549.2.11': 'SHA-512',
};

export type Pbes2CipherName = 'AES-128-CBC' | 'AES-192-CBC' | 'AES-256-CBC' | 'DES-EDE3-CBC';

const ciphers: Readonly<Record<string, { name: Pbes2CipherName; keyLength: number; ivLength: number }>> = {
  [oid.aes128Cbc]: { name: 'AES-128-CBC', keyLength: 16, ivLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'AES-192-CBC', keyLength: 24, ivLength: 16 },
  [oid.aes256Cbc]: { name: 'AES-256-CBC', keyLength: 32, ivLength: 16 },
  '1.2.840.113549.3.7': { name: 'DES-EDE3-CBC', keyLength: 24, ivLength: 8 },
};

export interface Pbes2Choice {
  prf: HashName;
  cipher: Pbes2CipherName;
}

interface Pbes2Setup {
  prf: HashName;
  cipher: (typeof ciphers)[string];
  salt: Uint8Array;
  iterations: number;
  iv: Uint8Array;
}

function parseSetup(algorithm: AlgorithmIdentifier): Pbes2Setup {
  if (!algorithm.parameters) throw new QtError('QT_ERR_PKCS12_MALFORMED', 'The key file is malformed: PBES2 has no parameters');
  const params = parseAs(algorithm.parameters, Pbes2Params, 'PBES2 parameters');
  const kdf = params.keyDerivationFunc;
  if (kdf.algorithm !== oid.pbkdf2 || !kdf.parameters) {
    throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The key derivation ${kdf.algorithm} is not supported (only PBKDF2)`, { oid: kdf.algorithm });
  }
  const kdfParams = parseAs(kdf.parameters, Pbkdf2Params, 'PBKDF2 parameters');
  const prfOid = kdfParams.prf?.algorithm ?? oid.hmacSha1;
  const prf = prfOids[prfOid];
  if (!prf) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The PBKDF2 function ${prfOid} is not supported`, { oid: prfOid });
  const cipherOid = params.encryptionScheme.algorithm;
  const cipher = ciphers[cipherOid];
  if (!cipher) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The PBES2 cipher ${cipherOid} is not supported`, { oid: cipherOid });
  if (kdfParams.keyLength !== undefined && kdfParams.keyLength !== cipher.keyLength) {
    throw new QtError('QT_ERR_PKCS12_MALFORMED', `The key file is malformed: PBKDF2 key length ${kdfParams.keyLength} does not fit ${cipher.name}`);
  }
  const ivParam = params.encryptionScheme.parameters;
  const iv = ivParam ? new Uint8Array(parseAs(ivParam, OctetString, `${cipher.name} IV`).buffer) : undefined;
  if (!iv || iv.length !== cipher.ivLength) throw new QtError('QT_ERR_PKCS12_MALFORMED', `The key file is malformed: the ${cipher.name} IV is missing or has the wrong size`);
  checkIterations(kdfParams.iterationCount, MAX_PBKDF2_ITERATIONS);
  return { prf, cipher, salt: new Uint8Array(kdfParams.salt.buffer), iterations: kdfParams.iterationCount, iv };
}

async function deriveKey(setup: Omit<Pbes2Setup, 'iv'>, password: string): Promise<Bytes> {
  const subtle = getCrypto().subtle;
  const base = await subtle.importKey('raw', utf8(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle.deriveBits(
    { name: 'PBKDF2', hash: setup.prf, salt: setup.salt as Bytes, iterations: setup.iterations },
    base,
    setup.cipher.keyLength * 8,
  );
  return new Uint8Array(bits);
}

/** Decrypts; `undefined` when the padding is wrong, which is what a wrong password looks like. */
export async function pbes2Decrypt(algorithm: AlgorithmIdentifier, password: string, ciphertext: Uint8Array): Promise<Bytes | undefined> {
  const setup = parseSetup(algorithm);
  const key = await deriveKey(setup, password);
  if (setup.cipher.name === 'DES-EDE3-CBC') return legacyCbcDecrypt({ name: 'DES-EDE3-CBC' }, key, setup.iv, ciphertext);
  const subtle = getCrypto().subtle;
  const aesKey = await subtle.importKey('raw', key, 'AES-CBC', false, ['decrypt']);
  try {
    return new Uint8Array(await subtle.decrypt({ name: 'AES-CBC', iv: setup.iv as Bytes }, aesKey, ciphertext as Bytes));
  } catch {
    // WebCrypto reports bad padding (and a length that is not whole blocks) as a bare OperationError.
    return undefined;
  }
}

export async function pbes2Encrypt(
  choice: Pbes2Choice,
  password: string,
  plaintext: Uint8Array,
  iterations: number,
): Promise<{ algorithm: AlgorithmIdentifier; ciphertext: Bytes }> {
  const [cipherOid, cipher] = Object.entries(ciphers).find(([, c]) => c.name === choice.cipher) ?? [];
  const prfOid = Object.entries(prfOids).find(([, h]) => h === choice.prf)?.[0];
  if (!cipherOid || !cipher || !prfOid) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `PBES2 with ${choice.prf} and ${choice.cipher} is not supported`);
  const salt = randomBytes(16);
  const iv = randomBytes(cipher.ivLength);
  const key = await deriveKey({ prf: choice.prf, cipher, salt, iterations }, password);
  let ciphertext: Bytes;
  if (cipher.name === 'DES-EDE3-CBC') {
    ciphertext = legacyCbcEncrypt({ name: 'DES-EDE3-CBC' }, key, iv, plaintext);
  } else {
    const subtle = getCrypto().subtle;
    const aesKey = await subtle.importKey('raw', key, 'AES-CBC', false, ['encrypt']);
    ciphertext = new Uint8Array(await subtle.encrypt({ name: 'AES-CBC', iv }, aesKey, plaintext as Bytes));
  }
  const kdfParams = new Pbkdf2Params({
    salt: new OctetString(salt),
    iterationCount: iterations,
    prf: new AlgorithmIdentifier({ algorithm: prfOid, parameters: new Uint8Array([5, 0]).buffer }),
  });
  const params = new Pbes2Params({
    keyDerivationFunc: new AlgorithmIdentifier({ algorithm: oid.pbkdf2, parameters: serialize(kdfParams).buffer }),
    encryptionScheme: new AlgorithmIdentifier({ algorithm: cipherOid, parameters: serialize(new OctetString(iv)).buffer }),
  });
  return { algorithm: new AlgorithmIdentifier({ algorithm: oid.pbes2, parameters: serialize(params).buffer }), ciphertext };
}

export function describePbes2(algorithm: AlgorithmIdentifier): string {
  const setup = parseSetup(algorithm);
  return `PBES2 (PBKDF2 HMAC-${setup.prf}, ${setup.cipher.name}, ${setup.iterations} iterations)`;
}
