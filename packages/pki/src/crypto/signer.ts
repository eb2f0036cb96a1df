/**
 * A Signer is the only thing the pki package needs from a private key: its public key and a way to
 * sign bytes (the smallstep idea). Soft keys, PKCS#11 keys and a signer process reached over the network all fit it, so
 * certificate, CRL, OCSP and CMS code never touches key material.
 */
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { toArrayBuffer, type Bytes } from '../encoding.ts';
import { ecdsaRawToDer } from './algorithms.ts';
import { objectIdentifier, sequence } from '../der/write.ts';
import { getCrypto, type HashName } from './provider.ts';

export interface SignatureAlgorithmId {
  /** Signature algorithm OID, e.g. sha256WithRSAEncryption. */
  oid: string;
  /** DER of the parameters; RSA PKCS#1 algorithms carry NULL, ECDSA none. */
  parameters?: Uint8Array | undefined;
}

export interface Signer {
  /** DER SubjectPublicKeyInfo of the signing key. */
  readonly publicKey: Bytes;
  readonly algorithm: SignatureAlgorithmId;
  /** Signs `data` (not a digest) and returns the signature as it goes into the structure. */
  sign(data: Uint8Array): Promise<Bytes>;
}

const DER_NULL = new Uint8Array([0x05, 0x00]);

export function algorithmIdentifier(alg: SignatureAlgorithmId): AlgorithmIdentifier {
  return new AlgorithmIdentifier({
    algorithm: alg.oid,
    parameters: alg.parameters ? toArrayBuffer(alg.parameters) : null,
  });
}

/**
 * Written directly (it goes into every certificate, CRL and OCSP response). Absent parameters are
 * written as NULL, exactly as the @peculiar/asn1-x509 serialisation this replaces did.
 */
export function algorithmIdentifierDer(alg: SignatureAlgorithmId): Bytes {
  return sequence(objectIdentifier(alg.oid), alg.parameters ?? DER_NULL);
}

const rsaOids: Record<HashName, string> = {
  'SHA-1': oid.sha1WithRsa,
  'SHA-256': oid.sha256WithRsa,
  'SHA-384': oid.sha384WithRsa,
  'SHA-512': oid.sha512WithRsa,
};
const ecdsaOids: Partial<Record<HashName, string>> = {
  'SHA-256': oid.ecdsaWithSha256,
  'SHA-384': oid.ecdsaWithSha384,
  'SHA-512': oid.ecdsaWithSha512,
};

/**
 * A Signer over a WebCrypto private key (RSASSA-PKCS1-v1_5 or ECDSA). `crypto` is the provider the key
 * belongs to (Node's webcrypto, node-webcrypto-p11 for a token, …).
 */
export async function webCryptoSigner(
  privateKey: CryptoKey,
  publicKey: CryptoKey | Uint8Array,
  options: { crypto?: Crypto; hash?: HashName } = {},
): Promise<Signer> {
  const crypto = options.crypto ?? getCrypto();
  const spki =
    publicKey instanceof Uint8Array ? new Uint8Array(publicKey) : new Uint8Array(await crypto.subtle.exportKey('spki', publicKey));
  const algName = privateKey.algorithm.name;
  if (algName === 'RSASSA-PKCS1-v1_5') {
    const keyHash = (privateKey.algorithm as RsaHashedKeyAlgorithm).hash?.name as HashName | undefined;
    const hash = options.hash ?? keyHash ?? 'SHA-256';
    if (keyHash && keyHash !== hash) {
      throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The key is bound to ${keyHash}, not ${hash}`);
    }
    return {
      publicKey: spki,
      algorithm: { oid: rsaOids[hash], parameters: DER_NULL },
      async sign(data) {
        return new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', privateKey, toArrayBuffer(data)));
      },
    };
  }
  if (algName === 'ECDSA') {
    const namedCurve = (privateKey.algorithm as EcKeyAlgorithm).namedCurve;
    const hash = options.hash ?? (namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256');
    const sigOid = ecdsaOids[hash];
    if (!sigOid) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `ECDSA with ${hash} is not supported`);
    return {
      publicKey: spki,
      algorithm: { oid: sigOid },
      async sign(data) {
        const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash }, privateKey, toArrayBuffer(data)));
        return ecdsaRawToDer(raw);
      },
    };
  }
  throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `Keys of type ${algName} cannot sign here`);
}

/** A fresh RSA key pair for signing (the throwaway lint key, tests, the agent's key generation). */
export async function generateRsaKeyPair(bits = 2048, crypto: Crypto = getCrypto()): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  );
}
