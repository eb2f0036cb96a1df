/**
 * Test-only helpers shared by the cms/ and xmldsig/ tests (this file imports node: modules and is
 * not exported from the package). The fixture key is opened with `openssl pkcs12 -legacy` until the
 * pkcs12/ reader lands; swap `loadFixtureSigner` over to it then.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { after, before } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { fixturePath, nca, TEST_KEY_PASSWORD } from '../../../../../test/support/fixtures.ts';
import { derFrom, toArrayBuffer, type Bytes } from '../../encoding.ts';
import { webCryptoSigner, type Signer } from '../../crypto/index.ts';

export interface FixtureSigner {
  signer: Signer;
  certificate: Bytes;
  certificatePem: string;
  /** PKCS#8 PEM, for outside tools that sign with the same key. */
  keyPem: string;
}

/**
 * KEY_INDIVIDUAL_VALID_SIGN_2004.p12's certificate runs 2021-01-18 → 2022-01-18, so it has already
 * expired at the suite's TEST_CA_TIME (2022-03-01): signatures made with it are checked as of this
 * instant instead, inside both its and the issuing CA's validity.
 */
export const SIGN_KEY_TIME = new Date('2021-12-01T00:00:00Z');
export const SIGN_KEY_EPOCH = String(SIGN_KEY_TIME.getTime() / 1000);

export async function loadFixtureSigner(): Promise<FixtureSigner> {
  const p12 = fixturePath(...nca.validSignKey);
  const openssl = (...args: string[]) =>
    execFileSync('openssl', ['pkcs12', '-legacy', '-in', p12, '-passin', `pass:${TEST_KEY_PASSWORD}`, ...args], { encoding: 'utf8' });
  // openssl prefixes "Bag Attributes" lines; the PEM starts at the armour.
  const pemOnly = (text: string) => text.slice(text.indexOf('-----BEGIN'));
  const keyPem = pemOnly(openssl('-nocerts', '-nodes'));
  const certPem = pemOnly(openssl('-nokeys', '-clcerts'));
  const certificate = derFrom(certPem, 'CERTIFICATE');
  const subtle = globalThis.crypto.subtle;
  const privateKey = await subtle.importKey(
    'pkcs8',
    toArrayBuffer(derFrom(keyPem, 'PRIVATE KEY')),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const spki = new Uint8Array(AsnConvert.serialize(AsnConvert.parse(toArrayBuffer(certificate), Certificate).tbsCertificate.subjectPublicKeyInfo));
  return { signer: await webCryptoSigner(privateKey, spki), certificate, certificatePem: certPem, keyPem };
}

/**
 * A throwaway P-256 key and self-signed certificate made by openssl (key.pem / cert.pem in `dir`),
 * to show signing is not RSA-bound.
 */
export async function ecdsaSigner(dir: ScratchDir): Promise<FixtureSigner> {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', dir.path('ec-key.pem'),
    '-out', dir.path('ec-cert.pem'), '-subj', '/CN=ECDSA test signer', '-days', '2',
  ], { stdio: 'ignore' });
  const keyPem = execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', dir.path('ec-key.pem')], { encoding: 'utf8' });
  const certificatePem = readFileSync(dir.path('ec-cert.pem'), 'utf8');
  const certificate = derFrom(certificatePem, 'CERTIFICATE');
  const privateKey = await globalThis.crypto.subtle.importKey('pkcs8', toArrayBuffer(derFrom(keyPem, 'PRIVATE KEY')), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const spki = new Uint8Array(AsnConvert.serialize(AsnConvert.parse(toArrayBuffer(certificate), Certificate).tbsCertificate.subjectPublicKeyInfo));
  return { signer: await webCryptoSigner(privateKey, spki), certificate, certificatePem, keyPem };
}

/** A scratch directory in os.tmpdir() for files handed to outside tools; `done()` removes it. */
export interface ScratchDir {
  path(name: string): string;
  write(name: string, data: Uint8Array | string): string;
  read(name: string): Uint8Array;
  done(): void;
}

export function scratchDir(): ScratchDir {
  const dir = mkdtempSync(join(tmpdir(), 'qoltanba-'));
  return {
    path: (name) => join(dir, name),
    read: (name) => new Uint8Array(readFileSync(join(dir, name))),
    write: (name, data) => {
      const file = join(dir, name);
      writeFileSync(file, data);
      return file;
    },
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The fixture signer and a scratch directory holding its certificate (`signer.pem`), key (`signer.key`) and
 * `data` (`data.bin`) for the outside tools, set up before the file's tests and removed after them.
 */
export function useFixtureSigner(ready: (key: FixtureSigner, tmp: ScratchDir) => void, data?: Uint8Array): void {
  let tmp: ScratchDir | undefined;
  before(async () => {
    const key = await loadFixtureSigner();
    tmp = scratchDir();
    if (data) tmp.write('data.bin', data);
    tmp.write('signer.pem', key.certificatePem);
    tmp.write('signer.key', key.keyPem);
    ready(key, tmp);
  });
  after(() => tmp?.done());
}

/** Runs a tool; returns {status, stdout, stderr} instead of throwing, so tests can assert on failures too. */
export function run(cmd: string, args: string[], input?: Uint8Array | string): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}
