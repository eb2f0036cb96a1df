/**
 * TEST SUPPORT ONLY (not exported from the package): small certificate hierarchies for the crl, ocsp and
 * path tests, made with @peculiar/x509's generator so these tests do not depend on our own issuing code.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { toBytes, toHex, toPem, type Bytes } from '../../encoding.ts';
import { oid } from '../../oids.ts';
import { generateRsaKeyPair, webCryptoSigner, type Signer } from '../../crypto/index.ts';

export interface TestCert {
  der: Bytes;
  pem: string;
  subject: string;
  serial: string;
  keys: CryptoKeyPair;
  signer: Signer;
}

export interface TestCertOptions {
  subject: string;
  /** Absent: self-signed. */
  issuer?: TestCert;
  serial?: string;
  /** true, or a pathLen constraint; absent = end entity. */
  ca?: boolean | { pathLen: number };
  keyUsage?: x509.KeyUsageFlags;
  extKeyUsage?: string[];
  notBefore?: Date;
  notAfter?: Date;
  extraExtensions?: x509.Extension[];
  /** Reuse a key pair (a re-keyed or re-issued certificate). */
  keys?: CryptoKeyPair;
  /** A subjectKeyIdentifier of one's choosing (a look-alike copying a real CA's), instead of the key's hash. */
  subjectKeyId?: Uint8Array;
}

/** Re-exported so tests need not import @peculiar/x509 before its reflect polyfill. */
export const KU = x509.KeyUsageFlags;
export const caKeyUsage = KU.keyCertSign | KU.cRLSign;
export const signKeyUsage = KU.digitalSignature | KU.nonRepudiation;

let counter = 0x1000;

export async function makeCert(options: TestCertOptions): Promise<TestCert> {
  const keys = options.keys ?? (await generateRsaKeyPair(2048));
  const issuerKeys = options.issuer?.keys ?? keys;
  const extensions: x509.Extension[] = [
    options.subjectKeyId ? new x509.SubjectKeyIdentifierExtension(toHex(options.subjectKeyId)) : await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuerKeys.publicKey));
  if (options.ca) {
    const pathLen = typeof options.ca === 'object' ? options.ca.pathLen : undefined;
    extensions.push(new x509.BasicConstraintsExtension(true, pathLen, true));
  }
  const keyUsage = options.keyUsage ?? (options.ca ? caKeyUsage : signKeyUsage);
  extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  if (options.extKeyUsage) extensions.push(new x509.ExtendedKeyUsageExtension(options.extKeyUsage));
  extensions.push(...(options.extraExtensions ?? []));
  const serial = options.serial ?? (counter++).toString(16).padStart(16, '0').replace(/^0/, '7');
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: options.subject,
    issuer: options.issuer?.subject ?? options.subject,
    notBefore: options.notBefore ?? new Date('2020-01-01T00:00:00Z'),
    notAfter: options.notAfter ?? new Date('2030-01-01T00:00:00Z'),
    publicKey: keys.publicKey,
    signingKey: issuerKeys.privateKey,
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    extensions,
  });
  const der = toBytes(cert.rawData);
  return {
    der,
    pem: toPem('CERTIFICATE', der),
    subject: options.subject,
    serial: serial.toUpperCase(),
    keys,
    signer: await webCryptoSigner(keys.privateKey, keys.publicKey),
  };
}

/** A root and an issuing CA under it (the usual two-level national layout). */
export async function makeHierarchy(): Promise<{ root: TestCert; ca: TestCert }> {
  const root = await makeCert({ subject: 'CN=Qoltanba Test Root, C=KZ', ca: true });
  const ca = await makeCert({ subject: 'CN=Qoltanba Test Issuing CA, C=KZ', issuer: root, ca: { pathLen: 0 } });
  return { root, ca };
}

export function leafOptions(issuer: TestCert, subject = 'CN=ТЕСТОВ ТЕСТ, 2.5.4.4=ТЕСТОВ, 2.5.4.5=IIN123456789011, C=KZ'): TestCertOptions {
  return { subject, issuer, extKeyUsage: [oid.ekuEmailProtection, oid.roleIndividual] };
}

/** An extension nobody understands, marked critical. */
export function criticalExtension(extnId: string): x509.Extension {
  return new x509.Extension(extnId, true, new Uint8Array([0x05, 0x00]));
}

/** The same certificate with one signature byte flipped. */
export function withBrokenSignature(der: Uint8Array): Bytes {
  const copy = toBytes(der);
  copy[copy.length - 10]! ^= 0x01;
  return copy;
}
