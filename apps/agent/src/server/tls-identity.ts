/**
 * The agent's TLS identity for wss://127.0.0.1:13579: a key pair and self-signed certificate generated on first
 * start of each installation and kept in its data folder (key mode 0600). No private key is ever shipped with
 * the software — a shared one would let anybody impersonate every user's agent. The user (or the installer)
 * makes the browser trust this one certificate; it names only 127.0.0.1 and localhost.
 */
import { webcrypto, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

export interface TlsIdentity {
  /** PEM PKCS#8 private key. */
  key: string | Buffer;
  /** PEM certificate. */
  cert: string | Buffer;
}

const VALIDITY_DAYS = 825;
const RENEW_BEFORE_DAYS = 30;
const DAY = 86_400_000;

async function createIdentity(now: Date): Promise<TlsIdentity> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: 'CN=Qoltanba agent (this computer only)',
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + VALIDITY_DAYS * DAY),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { key, cert: cert.toString('pem') };
}

/** Reads the identity from `dir`, creating (or renewing, near its end) it when needed. */
export async function loadOrCreateTlsIdentity(dir: string, now: Date = new Date()): Promise<TlsIdentity> {
  const keyPath = join(dir, 'agent-key.pem');
  const certPath = join(dir, 'agent-cert.pem');
  try {
    const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    if (new x509.X509Certificate(cert).notAfter.getTime() - now.getTime() > RENEW_BEFORE_DAYS * DAY) return { key, cert };
  } catch {
    // first start (or a damaged identity): make a new one
  }
  const identity = await createIdentity(now);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, identity.key, { mode: 0o600 });
  await writeFile(certPath, identity.cert, { mode: 0o644 });
  return identity;
}
