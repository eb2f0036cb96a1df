/**
 * Turns the private key of a key file into something that signs. RSA and ECDSA (P-256/P-384) become
 * WebCrypto keys for `webCryptoSigner`; WebCrypto has no GOST, so NCA's GOST keys get the pki GOST
 * signer over their PKCS#8 instead (`signerForPkcs12Key` picks the right one).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECParameters } from '@peculiar/asn1-ecc';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { Certificate } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { toArrayBuffer, type Bytes } from '../encoding.ts';
import { oid, oidNames } from '../oids.ts';
import { getCrypto, webCryptoSigner, type HashName, type Signer } from '../crypto/index.ts';
import { kzGostByKeyOid } from '../gost/kz-algorithms.ts';
import { gostSigner } from '../gost/signer.ts';
import { pairKeyWithCertificate, type KeyWithCertificate } from './key-pairing.ts';
import { readPkcs12, type Pkcs12Key, type ReadPkcs12Options } from './read.ts';

export interface ImportKeyOptions {
  /** The WebCrypto to import into (default: the pki package's provider). */
  crypto?: Crypto;
  /** RSA keys are bound to one digest in WebCrypto; NCA's RSA keys sign with SHA-256. */
  hash?: HashName;
  extractable?: boolean;
}

const namedCurves: Readonly<Record<string, string>> = { [oid.secp256r1]: 'P-256', [oid.secp384r1]: 'P-384' };

function webCryptoAlgorithm(key: Pick<Pkcs12Key, 'pkcs8' | 'algorithmOid'>, hash: HashName): RsaHashedImportParams | EcKeyImportParams {
  if (key.algorithmOid === oid.rsaEncryption) return { name: 'RSASSA-PKCS1-v1_5', hash };
  if (key.algorithmOid === oid.ecPublicKey) {
    const params = AsnConvert.parse(toArrayBuffer(key.pkcs8), PrivateKeyInfo).privateKeyAlgorithm.parameters;
    const curveOid = params ? AsnConvert.parse(params, ECParameters).namedCurve : undefined;
    const namedCurve = curveOid ? namedCurves[curveOid] : undefined;
    if (namedCurve) return { name: 'ECDSA', namedCurve };
    throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `EC keys on curve ${curveOid ?? '(unnamed)'} cannot be used for signing`);
  }
  const name = oidNames[key.algorithmOid] ?? key.algorithmOid;
  const gost = kzGostByKeyOid(key.algorithmOid) ? ' into WebCrypto (it has no GOST); sign with signerForPkcs12Key instead' : '';
  throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `${name} keys cannot be imported${gost}`, { oid: key.algorithmOid });
}

/** A signing CryptoKey from a key file's PKCS#8 (RSA or ECDSA). */
export async function importPrivateKey(key: Pick<Pkcs12Key, 'pkcs8' | 'algorithmOid'>, options: ImportKeyOptions = {}): Promise<CryptoKey> {
  const algorithm = webCryptoAlgorithm(key, options.hash ?? 'SHA-256');
  try {
    return await (options.crypto ?? getCrypto()).subtle.importKey('pkcs8', key.pkcs8, algorithm, options.extractable ?? false, ['sign']);
  } catch (e) {
    throw new QtError('QT_ERR_KEY_MALFORMED', `The private key cannot be imported: ${(e as Error).message}`, undefined, { cause: e });
  }
}

/**
 * A Signer for a key file's private key and its certificate's public key: WebCrypto for RSA/ECDSA,
 * the GOST signer for NCA's GOST keys (which also checks that the key belongs to the certificate).
 */
export async function signerForPkcs12Key(
  key: Pick<Pkcs12Key, 'pkcs8' | 'algorithmOid'>,
  publicKey: Uint8Array,
  options: ImportKeyOptions = {},
): Promise<Signer> {
  if (kzGostByKeyOid(key.algorithmOid)) return gostSigner(key.pkcs8, { publicKey });
  const privateKey = await importPrivateKey(key, options);
  return webCryptoSigner(privateKey, publicKey, { crypto: options.crypto ?? getCrypto(), hash: options.hash });
}

export interface ImportedPkcs12Key extends KeyWithCertificate {
  /** The WebCrypto key for RSA/ECDSA; undefined for GOST keys, which WebCrypto cannot hold (use `signer`). */
  privateKey: CryptoKey | undefined;
  /** DER SubjectPublicKeyInfo of the certificate, ready for `webCryptoSigner(privateKey, publicKey)`. */
  publicKey: Bytes;
  /** Signs with the key: WebCrypto or GOST, whichever the key is. */
  signer: Signer;
}

/** Opens a key file, pairs its key with its certificate and imports the key for signing. */
export async function importPkcs12Key(
  der: ArrayBuffer | ArrayBufferView,
  password: string,
  options: ImportKeyOptions & ReadPkcs12Options & { keyIndex?: number } = {},
): Promise<ImportedPkcs12Key> {
  const paired = pairKeyWithCertificate(await readPkcs12(der, password, options), options.keyIndex);
  const spki = AsnConvert.parse(toArrayBuffer(paired.certificate), Certificate).tbsCertificate.subjectPublicKeyInfo;
  const publicKey = new Uint8Array(AsnConvert.serialize(spki));
  if (kzGostByKeyOid(paired.key.algorithmOid)) {
    return { ...paired, privateKey: undefined, publicKey, signer: gostSigner(paired.key.pkcs8, { publicKey }) };
  }
  const privateKey = await importPrivateKey(paired.key, options);
  const signer = await webCryptoSigner(privateKey, publicKey, { crypto: options.crypto ?? getCrypto(), hash: options.hash });
  return { ...paired, privateKey, publicKey, signer };
}
