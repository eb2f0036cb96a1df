/**
 * NCA's GOST: Streebog and GOST 34.311-95 hashes, GOST R 34.10 on NCA's curves with the Kazakh
 * encodings, signers and key pairs. Verification needs nothing from here: the algorithms are in the
 * shared registries (register.ts), so verifySignature, CRL/OCSP/CMS/XML verification just work.
 */
import './register.ts';
export { Streebog, streebog256, streebog512, type StreebogSize } from './streebog.ts';
export { Gost341194, gost34311 } from './gost341194.ts';
export { TEST_SBOX, CRYPTOPRO_SBOX, type SBox } from './gost28147.ts';
export { TC26_256_A, TC26_512_A, CRYPTOPRO_A, gostCurve, curveOf, type GostCurve, type GostCurveParams, type GostPoint } from './curves.ts';
export {
  KZ_GOST_2015_512,
  KZ_GOST_2015_256,
  KZ_GOST_2004,
  kzGostAlgorithms,
  kzGostByKeyOid,
  kzGostBySignatureOid,
  type KzGostAlgorithm,
} from './kz-algorithms.ts';
export {
  readKzGostSpki,
  kzGostSpki,
  readKzGostPkcs8,
  kzGostPkcs8,
  decodeKzSignature,
  encodeKzSignature,
  decodeRfc4491Signature,
  encodeRfc4491Signature,
  decodePublicPoint,
  encodePublicPoint,
  eFromDigest,
  type KzGostPublicKey,
  type KzGostPrivateKey,
} from './kz-encoding.ts';
export { signE as gostSignE, verifyE as gostVerifyE, publicPointOf as gostPublicPoint, type GostSignatureValue } from './sign.ts';
export { gostSigner, generateGostKeyPair, gostPrivateKeyMatches, type GostKeyPair, type GostSignerOptions } from './signer.ts';
export { verifyKzGost } from './register.ts';
