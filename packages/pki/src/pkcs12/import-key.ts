/**
 * Turns the private key of a key file into a WebCrypto key that `webCryptoSigner` can use. RSA and
 * ECDSA (P-256/P-384) only: WebCrypto has no GOST, so GOST keys open (readPkcs12 keeps their raw
 * PKCS#8) but cannot be imported here; the GOST issue builds its signer from that PKCS#8 instead.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECParameters } from '@peculiar/asn1-ecc';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { Certificate } from '@peculiar/asn1-x509';
import { QtError } from '../errors.ts';
import { toArrayBuffer, type Bytes } from '../encoding.ts';
import { oid, oidNames } from '../oids.ts';
import { getCrypto, type HashName } from '../crypto/index.ts';
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
  const later = key.algorithmOid.startsWith('1.2.398.3.10.') ? ' yet: the key file opens, but signing with GOST keys is not supported' : '';
  throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `${name} keys cannot be imported${later}`, { oid: key.algorithmOid });
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

export interface ImportedPkcs12Key extends KeyWithCertificate {
  privateKey: CryptoKey;
  /** DER SubjectPublicKeyInfo of the certificate, ready for `webCryptoSigner(privateKey, publicKey)`. */
  publicKey: Bytes;
}

/** Opens a key file, pairs its key with its certificate and imports the key for signing. */
export async function importPkcs12Key(
  der: ArrayBuffer | ArrayBufferView,
  password: string,
  options: ImportKeyOptions & ReadPkcs12Options & { keyIndex?: number } = {},
): Promise<ImportedPkcs12Key> {
  const paired = pairKeyWithCertificate(await readPkcs12(der, password, options), options.keyIndex);
  const privateKey = await importPrivateKey(paired.key, options);
  const spki = AsnConvert.parse(toArrayBuffer(paired.certificate), Certificate).tbsCertificate.subjectPublicKeyInfo;
  return { ...paired, privateKey, publicKey: new Uint8Array(AsnConvert.serialize(spki)) };
}
