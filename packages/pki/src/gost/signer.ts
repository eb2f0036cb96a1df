/**
 * Signers and key pairs for NCA's GOST keys, behind the same `Signer` interface as RSA/ECDSA keys,
 * so certificate, CRL, OCSP, CMS and XML code signs with them unchanged. Signatures come out in NCA's
 * byte order (r‖s little-endian), which is what every Kazakh structure carries.
 */
import { QtError } from '@qoltanba/errors';
import type { Bytes } from '../encoding.ts';
import { randomBytes as providerRandomBytes } from '../crypto/provider.ts';
import type { Signer } from '../crypto/signer.ts';
import { curveOf, type GostCurve } from './curves.ts';
import { curveParamsFor, KZ_GOST_2015_512, type KzGostAlgorithm } from './kz-algorithms.ts';
import { eFromDigest, encodeKzSignature, kzGostPkcs8, kzGostSpki, readKzGostPkcs8, readKzGostSpki } from './kz-encoding.ts';
import { publicPointOf, randomScalar, signE } from './sign.ts';

/** NCA writes NULL parameters in its GOST signature AlgorithmIdentifiers; Kalkan expects them. */
const DER_NULL = new Uint8Array([0x05, 0x00]);

export interface GostSignerOptions {
  /**
   * The key's SubjectPublicKeyInfo as its certificate has it. When given it must belong to the
   * private key (QT_ERR_KEY_MISMATCH otherwise) and is used as is; otherwise it is computed.
   */
  publicKey?: Uint8Array;
  /** Randomness for the per-signature nonce (default: the pki package's WebCrypto). */
  randomBytes?: (n: number) => Uint8Array;
}

function signerOver(algorithm: KzGostAlgorithm, curve: GostCurve, d: bigint, spki: Bytes, random: (n: number) => Uint8Array): Signer {
  return {
    publicKey: spki,
    algorithm: { oid: algorithm.signatureOid, parameters: DER_NULL },
    async sign(data) {
      const e = eFromDigest(algorithm.hash(data), curve);
      return encodeKzSignature(signE(curve, d, e, random), curve);
    },
  };
}

/** A Signer over an NCA GOST private key (PKCS#8 as read from a key file or the keystore). */
export function gostSigner(pkcs8: Uint8Array, options: GostSignerOptions = {}): Signer {
  const { algorithm, curve, d } = readKzGostPkcs8(pkcs8);
  const point = publicPointOf(curve, d);
  let spki: Bytes;
  if (options.publicKey) {
    const given = readKzGostSpki(options.publicKey);
    if (given.algorithm !== algorithm || given.curve !== curve || !given.point.equals(point)) {
      throw new QtError('QT_ERR_KEY_MISMATCH', 'The GOST private key does not belong to the given public key');
    }
    spki = new Uint8Array(options.publicKey);
  } else {
    spki = kzGostSpki(algorithm, point, curve);
  }
  return signerOver(algorithm, curve, d, spki, options.randomBytes ?? providerRandomBytes);
}

export interface GostKeyPair {
  algorithm: KzGostAlgorithm;
  /** PKCS#8 in NCA's layout (what goes into a GOST512_<ski>.p12). */
  privateKey: Bytes;
  /** DER SubjectPublicKeyInfo with NCA's OIDs and parameters. */
  publicKey: Bytes;
}

/** A fresh key pair (default GOST 34.10-2015 512-bit, what NCA issues today). */
export function generateGostKeyPair(
  algorithm: KzGostAlgorithm = KZ_GOST_2015_512,
  randomBytes: (n: number) => Uint8Array = providerRandomBytes,
): GostKeyPair {
  const curve = curveOf(curveParamsFor(algorithm, undefined));
  const d = randomScalar(curve, randomBytes);
  const point = publicPointOf(curve, d);
  return { algorithm, privateKey: kzGostPkcs8(algorithm, d, curve), publicKey: kzGostSpki(algorithm, point, curve) };
}

/** Whether a GOST PKCS#8 private key belongs to a SubjectPublicKeyInfo (computes d·G). */
export function gostPrivateKeyMatches(pkcs8: Uint8Array, spki: Uint8Array): boolean {
  const priv = readKzGostPkcs8(pkcs8);
  const pub = readKzGostSpki(spki);
  return priv.algorithm === pub.algorithm && priv.curve === pub.curve && publicPointOf(priv.curve, priv.d).equals(pub.point);
}
