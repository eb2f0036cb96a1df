/**
 * Writes a key file. By default in the modern form OpenSSL 3 and Java 17 write (PBES2 with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC for the key and the certificates, SHA-256 MAC); on request in
 * NCA's legacy form (3DES key, RC2-40 certificates, SHA-1 MAC) for consumers that know nothing newer.
 * Like NCA, the key and its certificate are labelled with the certificate's hex SKI.
 */
import { AuthenticatedSafe, CertBag, PFX, SafeBag, SafeContents } from '@peculiar/asn1-pfx';
import { EncryptedPrivateKeyInfo, PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { ContentInfo, EncryptedContent, EncryptedContentInfo } from '@peculiar/asn1-cms';
import { Certificate, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { QtError } from '@qoltanba/errors';
import { derFrom, fromHex, toArrayBuffer, toHex, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { digest, getCrypto, type HashName } from '../crypto/index.ts';
import { EncryptedData, serialize } from './asn1.ts';
import { bagAttributes, type BagLabels } from './bag-attributes.ts';
import { encryptWithPassword, type EncryptionChoice } from './encryption.ts';
import { MAX_PKCS12_KDF_ITERATIONS } from './kdf.ts';
import { createMac } from './mac.ts';
import { privateKeyMatchesCertificate } from './key-pairing.ts';

export interface WritePkcs12Options {
  /** DER PKCS#8 PrivateKeyInfo, or an extractable CryptoKey. */
  privateKey: Uint8Array | CryptoKey;
  /** The key's certificate, DER or PEM. */
  certificate: Uint8Array | string;
  /** Issuer certificates, DER or PEM, issuer first. */
  chain?: readonly (Uint8Array | string)[];
  password: string;
  /** Default: lowercase hex SKI of the certificate (NCA's convention; NCALayer shows it as the alias). */
  friendlyName?: string;
  /** Hex; default: the certificate's SKI. */
  localKeyId?: string;
  /** NCA's legacy encryption instead of PBES2/AES-256. */
  legacy?: boolean;
  /** PBKDF2, PKCS#12 KDF and MAC iteration count (default 2048, as OpenSSL 3). */
  iterations?: number;
  /** The WebCrypto a CryptoKey `privateKey` belongs to. */
  crypto?: Crypto;
}

export const DEFAULT_PKCS12_ITERATIONS = 2048;
/** NCA's own files use 1024; fewer would be weaker than anything in the wild. */
export const MIN_PKCS12_ITERATIONS = 1024;

interface Style {
  key: EncryptionChoice;
  certs: EncryptionChoice;
  mac: HashName;
}

const modern: Style = {
  key: { pbes2: { prf: 'SHA-256', cipher: 'AES-256-CBC' } },
  certs: { pbes2: { prf: 'SHA-256', cipher: 'AES-256-CBC' } },
  mac: 'SHA-256',
};
const legacy: Style = { key: { pkcs12Pbe: oid.pbeSha1_3Des }, certs: { pkcs12Pbe: oid.pbeSha1_Rc2_40 }, mac: 'SHA-1' };

async function pkcs8Of(privateKey: Uint8Array | CryptoKey, crypto: Crypto): Promise<Bytes> {
  let pkcs8: Bytes;
  if (privateKey instanceof Uint8Array) {
    pkcs8 = new Uint8Array(privateKey);
  } else {
    if (!privateKey.extractable) throw new QtError('QT_ERR_INPUT_INVALID', 'The private key is not extractable, so it cannot be written to a key file');
    pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', privateKey));
  }
  try {
    AsnConvert.parse(toArrayBuffer(pkcs8), PrivateKeyInfo);
  } catch (e) {
    throw new QtError('QT_ERR_INPUT_INVALID', 'The private key is not a DER PKCS#8 PrivateKeyInfo', undefined, { cause: e });
  }
  return pkcs8;
}

function parseCertificate(input: Uint8Array | string): { der: Bytes; cert: Certificate } {
  try {
    const der = derFrom(input, typeof input === 'string' ? 'CERTIFICATE' : undefined);
    return { der, cert: AsnConvert.parse(toArrayBuffer(der), Certificate) };
  } catch (e) {
    throw new QtError('QT_ERR_CERT_MALFORMED', 'A certificate for the key file cannot be parsed', undefined, { cause: e });
  }
}

/** The SKI extension, or the SHA-1 of the public key when absent (RFC 5280 §4.2.1.2, method 1). */
async function subjectKeyId(cert: Certificate): Promise<string> {
  const extension = cert.tbsCertificate.extensions?.find((e) => e.extnID === oid.subjectKeyIdentifier);
  if (extension) return toHex(AsnConvert.parse(extension.extnValue.buffer, SubjectKeyIdentifier).buffer);
  return toHex(await digest('SHA-1', new Uint8Array(cert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)));
}

function certificateBag(der: Uint8Array, labels: BagLabels): SafeBag {
  const bag = new CertBag({ certId: oid.x509Certificate, certValue: serialize(new OctetString(der)).buffer });
  return new SafeBag({ bagId: oid.pkcs12CertBag, bagValue: serialize(bag).buffer, bagAttributes: bagAttributes(labels) });
}

function checkIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < MIN_PKCS12_ITERATIONS || iterations > MAX_PKCS12_KDF_ITERATIONS) {
    throw new QtError('QT_ERR_INPUT_INVALID', `The iteration count must be a whole number from ${MIN_PKCS12_ITERATIONS} to ${MAX_PKCS12_KDF_ITERATIONS}`);
  }
}

export async function writePkcs12(options: WritePkcs12Options): Promise<Bytes> {
  const iterations = options.iterations ?? DEFAULT_PKCS12_ITERATIONS;
  checkIterations(iterations);
  const style = options.legacy ? legacy : modern;
  const { password } = options;
  const pkcs8 = await pkcs8Of(options.privateKey, options.crypto ?? getCrypto());
  const leaf = parseCertificate(options.certificate);
  const chain = (options.chain ?? []).map((c) => parseCertificate(c).der);
  if (privateKeyMatchesCertificate(pkcs8, leaf.der) === false) throw new QtError('QT_ERR_KEY_MISMATCH');
  const ski = await subjectKeyId(leaf.cert);
  const labels: BagLabels = {
    localKeyId: toHex(fromHex(options.localKeyId ?? ski)),
    friendlyName: options.friendlyName ?? ski,
  };

  const certContents = serialize(new SafeContents([certificateBag(leaf.der, labels), ...chain.map((der) => certificateBag(der, {}))]));
  const [sealedKey, sealedCerts] = await Promise.all([
    encryptWithPassword(style.key, password, pkcs8, iterations),
    encryptWithPassword(style.certs, password, certContents, iterations),
  ]);
  const keyBag = new SafeBag({
    bagId: oid.pkcs12ShroudedKeyBag,
    bagValue: serialize(new EncryptedPrivateKeyInfo({ encryptionAlgorithm: sealedKey.algorithm, encryptedData: new OctetString(sealedKey.ciphertext) })).buffer,
    bagAttributes: bagAttributes(labels),
  });
  const encryptedCerts = new EncryptedData({
    version: 0,
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: oid.cmsData,
      contentEncryptionAlgorithm: sealedCerts.algorithm,
      encryptedContent: new EncryptedContent({ value: new OctetString(sealedCerts.ciphertext) }),
    }),
  });
  // Certificates first, then the key: the order OpenSSL writes.
  const authSafe = serialize(
    new AuthenticatedSafe([
      new ContentInfo({ contentType: oid.cmsEncryptedData, content: serialize(encryptedCerts).buffer }),
      new ContentInfo({ contentType: oid.cmsData, content: serialize(new OctetString(serialize(new SafeContents([keyBag])))).buffer }),
    ]),
  );
  const pfx = new PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: oid.cmsData, content: serialize(new OctetString(authSafe)).buffer }),
    macData: await createMac(style.mac, password, iterations, authSafe),
  });
  return serialize(pfx);
}
