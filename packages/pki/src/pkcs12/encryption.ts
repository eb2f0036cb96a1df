/**
 * One entry point for password-based encryption of bags, whichever family the file uses: PKCS#12 v1
 * (NCA's legacy files) or PBES2 (modern files).
 */
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { Pkcs12PbeParams, parseAs } from './asn1.ts';
import { pbes2Decrypt, pbes2Encrypt, describePbes2, type Pbes2Choice } from './pbes2.ts';
import { pkcs12PbeDecrypt, pkcs12PbeEncrypt, pkcs12PbeSchemes } from './pbe-pkcs12.ts';

/** How to encrypt: a PKCS#12 v1 scheme by OID, or PBES2 with a PRF and a cipher. */
export type EncryptionChoice = { pkcs12Pbe: string } | { pbes2: Pbes2Choice };

export function isPkcs12Pbe(algorithm: AlgorithmIdentifier): boolean {
  return algorithm.algorithm in pkcs12PbeSchemes;
}

/** The plaintext, or `undefined` when the password does not decrypt it (bad padding). */
export async function decryptWithPassword(algorithm: AlgorithmIdentifier, password: string, ciphertext: Uint8Array): Promise<Bytes | undefined> {
  if (algorithm.algorithm === oid.pbes2) return pbes2Decrypt(algorithm, password, ciphertext);
  if (isPkcs12Pbe(algorithm)) return pkcs12PbeDecrypt(algorithm, password, ciphertext);
  throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The key file encryption ${algorithm.algorithm} is not supported`, { oid: algorithm.algorithm });
}

export async function encryptWithPassword(
  choice: EncryptionChoice,
  password: string,
  plaintext: Uint8Array,
  iterations: number,
): Promise<{ algorithm: AlgorithmIdentifier; ciphertext: Bytes }> {
  return 'pbes2' in choice
    ? pbes2Encrypt(choice.pbes2, password, plaintext, iterations)
    : pkcs12PbeEncrypt(choice.pkcs12Pbe, password, plaintext, iterations);
}

/** A readable name for reports, e.g. "pbeWithSHAAnd3-KeyTripleDES-CBC, 1024 iterations". */
export function describeEncryption(algorithm: AlgorithmIdentifier): string {
  if (algorithm.algorithm === oid.pbes2) return describePbes2(algorithm);
  const scheme = pkcs12PbeSchemes[algorithm.algorithm];
  if (!scheme) return algorithm.algorithm;
  const iterations = algorithm.parameters ? parseAs(algorithm.parameters, Pkcs12PbeParams, `${scheme.name} parameters`).iterations : undefined;
  return iterations === undefined ? scheme.name : `${scheme.name}, ${iterations} iterations`;
}
