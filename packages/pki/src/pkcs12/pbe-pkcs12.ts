/**
 * PKCS#12 v1 password-based encryption (RFC 7292 appendix C): key and IV from the PKCS#12 KDF over
 * SHA-1, then Triple-DES or RC2 in CBC mode. This is what NCA's key files use (3DES for the key,
 * RC2-40 for the certificates), so we read all four block-cipher variants and write the two NCA uses.
 */
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { OctetString } from '@peculiar/asn1-schema';
import { QtError } from '@qoltanba/errors';
import { concatBytes, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { randomBytes } from '../crypto/index.ts';
import { Pkcs12PbeParams, parseAs, serialize } from './asn1.ts';
import { bmpPassword, kdfPurpose, pkcs12Kdf } from './kdf.ts';
import { legacyCbcDecrypt, legacyCbcEncrypt, type LegacyCipher } from './legacy-ciphers.ts';

interface Pkcs12PbeScheme {
  name: string;
  keyLength: number;
  cipher: LegacyCipher;
  /** Two-key Triple-DES: the derived K1‖K2 is used as K1‖K2‖K1. */
  twoKey?: boolean;
}

export const pkcs12PbeSchemes: Readonly<Record<string, Pkcs12PbeScheme>> = {
  [oid.pbeSha1_3Des]: { name: 'pbeWithSHAAnd3-KeyTripleDES-CBC', keyLength: 24, cipher: { name: 'DES-EDE3-CBC' } },
  [oid.pbeSha1_2Des]: { name: 'pbeWithSHAAnd2-KeyTripleDES-CBC', keyLength: 16, cipher: { name: 'DES-EDE3-CBC' }, twoKey: true },
  [oid.pbeSha1_Rc2_128]: { name: 'pbeWithSHAAnd128BitRC2-CBC', keyLength: 16, cipher: { name: 'RC2-CBC', effectiveBits: 128 } },
  [oid.pbeSha1_Rc2_40]: { name: 'pbeWithSHAAnd40BitRC2-CBC', keyLength: 5, cipher: { name: 'RC2-CBC', effectiveBits: 40 } },
};

const IV_LENGTH = 8;

function schemeFor(algorithmOid: string): Pkcs12PbeScheme {
  const scheme = pkcs12PbeSchemes[algorithmOid];
  if (!scheme) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The PKCS#12 encryption ${algorithmOid} is not supported`, { oid: algorithmOid });
  return scheme;
}

async function deriveKeyAndIv(scheme: Pkcs12PbeScheme, password: string, salt: Uint8Array, iterations: number) {
  const common = { hash: 'SHA-1' as const, password: bmpPassword(password), salt, iterations };
  const [key, iv] = await Promise.all([
    pkcs12Kdf({ ...common, purpose: kdfPurpose.key, length: scheme.keyLength }),
    pkcs12Kdf({ ...common, purpose: kdfPurpose.iv, length: IV_LENGTH }),
  ]);
  return { key: scheme.twoKey ? concatBytes(key, key.subarray(0, 8)) : key, iv };
}

/** Decrypts; `undefined` when the padding is wrong, which is what a wrong password looks like. */
export async function pkcs12PbeDecrypt(algorithm: AlgorithmIdentifier, password: string, ciphertext: Uint8Array): Promise<Bytes | undefined> {
  const scheme = schemeFor(algorithm.algorithm);
  if (!algorithm.parameters) throw new QtError('QT_ERR_PKCS12_MALFORMED', `The key file is malformed: ${scheme.name} has no parameters`);
  const params = parseAs(algorithm.parameters, Pkcs12PbeParams, `${scheme.name} parameters`);
  const { key, iv } = await deriveKeyAndIv(scheme, password, new Uint8Array(params.salt.buffer), params.iterations);
  return legacyCbcDecrypt(scheme.cipher, key, iv, ciphertext);
}

export async function pkcs12PbeEncrypt(
  algorithmOid: string,
  password: string,
  plaintext: Uint8Array,
  iterations: number,
): Promise<{ algorithm: AlgorithmIdentifier; ciphertext: Bytes }> {
  const scheme = schemeFor(algorithmOid);
  const salt = randomBytes(20);
  const { key, iv } = await deriveKeyAndIv(scheme, password, salt, iterations);
  const params = new Pkcs12PbeParams({ salt: new OctetString(salt), iterations });
  return {
    algorithm: new AlgorithmIdentifier({ algorithm: algorithmOid, parameters: serialize(params).buffer }),
    ciphertext: legacyCbcEncrypt(scheme.cipher, key, iv, plaintext),
  };
}
