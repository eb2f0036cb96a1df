/**
 * Which certificate in a key file belongs to the private key, and in what order the rest form its
 * chain. localKeyID is the link PKCS#12 defines; the public key decides when it is missing, and also
 * guards against a file whose labels point at the wrong certificate.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { RSAPrivateKey, RSAPublicKey } from '@peculiar/asn1-rsa';
import { ECPrivateKey } from '@peculiar/asn1-ecc';
import { Certificate } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { bytesEqual, toArrayBuffer, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { kzGostByKeyOid } from '../gost/kz-algorithms.ts';
import { gostPrivateKeyMatches } from '../gost/signer.ts';
import type { Pkcs12Contents, Pkcs12Key } from './read.ts';

function parseOr<T>(data: ArrayBuffer | Uint8Array, type: new () => T, code: 'QT_ERR_KEY_MALFORMED' | 'QT_ERR_CERT_MALFORMED', what: string): T {
  try {
    return AsnConvert.parse(data instanceof Uint8Array ? toArrayBuffer(data) : data, type);
  } catch (e) {
    throw new QtError(code, `The ${what} cannot be parsed`, undefined, { cause: e });
  }
}

function unsignedInteger(bytes: ArrayBuffer): Uint8Array {
  const b = new Uint8Array(bytes);
  let start = 0;
  while (start < b.length - 1 && b[start] === 0) start++;
  return b.subarray(start);
}

/**
 * Whether the private key (DER PKCS#8) belongs to the certificate: true/false, or `undefined` when the
 * private key does not carry enough to tell (EC without its optional public key, a GOST curve we do not
 * know). GOST keys carry only d, so their public point is computed (one scalar multiplication).
 */
export function privateKeyMatchesCertificate(pkcs8: Uint8Array, certificate: Uint8Array): boolean | undefined {
  const info = parseOr(pkcs8, PrivateKeyInfo, 'QT_ERR_KEY_MALFORMED', 'private key (PKCS#8)');
  const spki = parseOr(certificate, Certificate, 'QT_ERR_CERT_MALFORMED', 'certificate').tbsCertificate.subjectPublicKeyInfo;
  const keyOid = info.privateKeyAlgorithm.algorithm;
  if (keyOid !== spki.algorithm.algorithm) return false;
  if (keyOid === oid.rsaEncryption) {
    const priv = parseOr(info.privateKey.buffer, RSAPrivateKey, 'QT_ERR_KEY_MALFORMED', 'RSA private key');
    const pub = parseOr(spki.subjectPublicKey, RSAPublicKey, 'QT_ERR_CERT_MALFORMED', "certificate's RSA public key");
    return (
      bytesEqual(unsignedInteger(priv.modulus), unsignedInteger(pub.modulus)) &&
      bytesEqual(unsignedInteger(priv.publicExponent), unsignedInteger(pub.publicExponent))
    );
  }
  if (keyOid === oid.ecPublicKey) {
    const priv = parseOr(info.privateKey.buffer, ECPrivateKey, 'QT_ERR_KEY_MALFORMED', 'EC private key');
    return priv.publicKey ? bytesEqual(new Uint8Array(priv.publicKey), new Uint8Array(spki.subjectPublicKey)) : undefined;
  }
  if (kzGostByKeyOid(keyOid)) {
    try {
      return gostPrivateKeyMatches(pkcs8, new Uint8Array(AsnConvert.serialize(spki)));
    } catch (e) {
      if (e instanceof QtError && e.code === 'QT_ERR_ALGORITHM_UNSUPPORTED') return undefined;
      throw e;
    }
  }
  return undefined;
}

/** The leaf, then its issuer, that one's issuer… as far as the given certificates reach; strays last. */
export function orderChain(leaf: Uint8Array, others: readonly Uint8Array[]): Bytes[] {
  const names = (der: Uint8Array) => {
    const tbs = parseOr(der, Certificate, 'QT_ERR_CERT_MALFORMED', 'certificate').tbsCertificate;
    return { der: new Uint8Array(der), subject: AsnConvert.serialize(tbs.subject), issuer: AsnConvert.serialize(tbs.issuer) };
  };
  const rest = others.map(names);
  const chain: Bytes[] = [];
  let current = names(leaf);
  for (;;) {
    const issuer = current.issuer;
    if (bytesEqual(new Uint8Array(issuer), new Uint8Array(current.subject))) break;
    const at = rest.findIndex((c) => bytesEqual(new Uint8Array(c.subject), new Uint8Array(issuer)));
    if (at < 0) break;
    current = rest.splice(at, 1)[0] as (typeof rest)[number];
    chain.push(current.der);
  }
  return [...chain, ...rest.map((c) => c.der)];
}

export interface KeyWithCertificate {
  key: Pkcs12Key;
  /** DER of the key's own certificate. */
  certificate: Bytes;
  /** The other certificates, issuer first, up to the root when the file has it. */
  chain: Bytes[];
}

/**
 * The key (the first, or `keyIndex`) with its certificate and chain. Throws QT_ERR_PKCS12_NO_KEY,
 * QT_ERR_PKCS12_NO_CERTIFICATE, or QT_ERR_KEY_MISMATCH when the labelled certificate has another key.
 */
export function pairKeyWithCertificate(contents: Pkcs12Contents, keyIndex = 0): KeyWithCertificate {
  const key = contents.keys[keyIndex];
  if (!key) throw new QtError('QT_ERR_PKCS12_NO_KEY', contents.keys.length ? `The key file has no key number ${keyIndex + 1}` : undefined);
  const certs = contents.certificates;
  const labelled = key.localKeyId === undefined ? undefined : certs.find((c) => c.localKeyId === key.localKeyId);
  const match = (der: Uint8Array) => privateKeyMatchesCertificate(key.pkcs8, der);
  let own = labelled;
  if (own && match(own.der) === false) {
    throw new QtError('QT_ERR_KEY_MISMATCH', 'The certificate labelled for the private key in the key file belongs to another key');
  }
  own ??= certs.find((c) => match(c.der) === true);
  if (!own) throw new QtError('QT_ERR_PKCS12_NO_CERTIFICATE');
  const ownCert = own;
  return { key, certificate: ownCert.der, chain: orderChain(ownCert.der, certs.filter((c) => c !== ownCert).map((c) => c.der)) };
}
