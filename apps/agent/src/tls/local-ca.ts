/**
 * The agent's TLS for wss://127.0.0.1:13579, made on each computer: a small certificate authority of this
 * installation and the server certificate it issues. Browsers are told to trust the CA (`qoltanba agent
 * install`), not the server certificate, so the server certificate can be renewed at any start without asking
 * anything of the browsers again.
 *
 * Why a CA and not one self-signed certificate: browsers (NSS) refuse a self-signed leaf as a trust anchor for
 * TLS servers, and Chromium wants a leaf that is not itself a CA. Why this is not dangerous: the CA's key is
 * made here and never leaves this folder (0600, in a 0700 folder), and the CA is name-constrained (RFC 5280
 * §4.2.1.10, critical) to 127.0.0.1 and localhost and to server authentication only — even a stolen key could
 * not vouch for any other site. No key ships with the software: a shared one would let anybody impersonate
 * every user's agent.
 *
 * `rotateLocalCa` replaces the CA (and so the trust the browsers must hold); `qoltanba agent install --rotate-ca`
 * calls it and moves the browsers' trust to the new CA.
 */
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';

/** A key and certificate chain to serve TLS with (PEM). */
export interface TlsIdentity {
  /** PEM PKCS#8 private key. */
  key: string | Buffer;
  /** PEM certificate (the server's, optionally followed by its CA). */
  cert: string | Buffer;
}

export interface LocalTls {
  /** What the server presents: its key and certificate. */
  readonly server: TlsIdentity;
  /** The installation's CA certificate (PEM): what browsers must trust. */
  readonly caCertificate: string;
  /** SHA-256 of the CA certificate's DER, lower-case hex: names this CA in trust stores and in `doctor`. */
  readonly caFingerprint: string;
}

const DAY = 86_400_000;
const CA_VALIDITY_DAYS = 3650;
const SERVER_VALIDITY_DAYS = 397;
const RENEW_BEFORE_DAYS = 30;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export const CA_NAME = 'CN=Qoltanba agent local CA (this computer only)';
const SERVER_NAME = 'CN=Qoltanba agent on this computer';

const files = (dir: string) => ({
  caKey: join(dir, 'ca-key.pem'),
  caCert: join(dir, 'ca-cert.pem'),
  serverKey: join(dir, 'server-key.pem'),
  serverCert: join(dir, 'server-cert.pem'),
});

function useWebCrypto(): void {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}

function pkcs8Pem(der: ArrayBuffer): string {
  return `-----BEGIN PRIVATE KEY-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

export function fingerprintOf(certificatePem: string): string {
  return createHash('sha256').update(Buffer.from(new x509.X509Certificate(certificatePem).rawData)).digest('hex');
}

/** Permitted subtrees: the DNS name localhost and the one address 127.0.0.1 (address + 255.255.255.255 mask). */
function loopbackNameConstraints(): x509.Extension {
  const value = new NameConstraints({
    permittedSubtrees: new GeneralSubtrees([
      new GeneralSubtree({ base: new GeneralName({ dNSName: 'localhost' }) }),
      new GeneralSubtree({ base: new GeneralName({ iPAddress: '127.0.0.1/32' }) }),
    ]),
  });
  return new x509.Extension('2.5.29.30', true, AsnConvert.serialize(value));
}

async function createCa(now: Date): Promise<{ key: CryptoKeyPair; pem: string }> {
  useWebCrypto();
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: CA_NAME,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      // Chromium and NSS read an EKU in a CA certificate as a limit on what it may issue.
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      loopbackNameConstraints(),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { key: keys, pem: cert.toString('pem') };
}

async function issueServer(ca: { privateKey: CryptoKey; cert: x509.X509Certificate }, now: Date): Promise<TlsIdentity> {
  useWebCrypto();
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: SERVER_NAME,
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(Math.min(now.getTime() + SERVER_VALIDITY_DAYS * DAY, ca.cert.notAfter.getTime())),
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    ],
  });
  return { key: pkcs8Pem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), cert: cert.toString('pem') };
}

async function importCaKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

const stillGood = (cert: x509.X509Certificate, now: Date) => cert.notAfter.getTime() - now.getTime() > RENEW_BEFORE_DAYS * DAY && cert.notBefore <= now;

async function writePrivate(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
}

async function makeCa(dir: string, now: Date): Promise<void> {
  const f = files(dir);
  const ca = await createCa(now);
  await writePrivate(f.caKey, pkcs8Pem(await webcrypto.subtle.exportKey('pkcs8', ca.key.privateKey)));
  await writeFile(f.caCert, ca.pem, { mode: 0o644 });
  // The server certificate of a previous CA is useless now; the self-signed identity of earlier versions too.
  await Promise.all([f.serverKey, f.serverCert, join(dir, 'agent-key.pem'), join(dir, 'agent-cert.pem')].map((p) => rm(p, { force: true })));
}

/**
 * Reads the installation's CA and server certificate from `dir`, making the CA on first start and a new
 * server certificate when there is none or it ends within 30 days. A CA near its end is replaced too (the
 * browsers' trust must then be renewed: `doctor` says so).
 */
export async function loadOrCreateLocalTls(dir: string, now: Date = new Date()): Promise<LocalTls> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const f = files(dir);
  let caPem: string | undefined;
  let caKeyPem: string | undefined;
  try {
    [caPem, caKeyPem] = await Promise.all([readFile(f.caCert, 'utf8'), readFile(f.caKey, 'utf8')]);
    if (!stillGood(new x509.X509Certificate(caPem), now)) caPem = undefined;
  } catch {
    caPem = undefined;
  }
  if (!caPem || !caKeyPem) {
    await makeCa(dir, now);
    [caPem, caKeyPem] = await Promise.all([readFile(f.caCert, 'utf8'), readFile(f.caKey, 'utf8')]);
  }
  const caCert = new x509.X509Certificate(caPem);
  let server: TlsIdentity | undefined;
  try {
    const [key, cert] = await Promise.all([readFile(f.serverKey, 'utf8'), readFile(f.serverCert, 'utf8')]);
    const parsed = new x509.X509Certificate(cert);
    useWebCrypto();
    if (stillGood(parsed, now) && (await parsed.verify({ publicKey: caCert, signatureOnly: true }))) server = { key, cert };
  } catch {
    server = undefined;
  }
  if (!server) {
    server = await issueServer({ privateKey: await importCaKey(caKeyPem), cert: caCert }, now);
    await writePrivate(f.serverKey, server.key as string);
    await writeFile(f.serverCert, server.cert, { mode: 0o644 });
  }
  return { server, caCertificate: caPem, caFingerprint: fingerprintOf(caPem) };
}

/** Replaces the CA (new key, new certificate) and the server certificate; returns the new ones. */
export async function rotateLocalCa(dir: string, now: Date = new Date()): Promise<LocalTls> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await makeCa(dir, now);
  return loadOrCreateLocalTls(dir, now);
}

/** The CA certificate of this installation, when one was made (without making one). */
export async function readLocalCaCertificate(dir: string): Promise<string | undefined> {
  try {
    return await readFile(files(dir).caCert, 'utf8');
  } catch {
    return undefined;
  }
}
