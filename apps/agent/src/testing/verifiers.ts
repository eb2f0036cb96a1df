/** Independent verifiers for what the agent signs: OpenSSL for CMS, xmlsec1 for XML signatures. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'qoltanba-verify-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface CmsCheck {
  /** PEM ("-----BEGIN CMS-----") or DER bytes. */
  cms: string | Uint8Array;
  /** Trusted CA certificate file (PEM; may hold the root and intermediates; an issuing CA alone is trusted as a partial chain). */
  caFile: string;
  /** Verification time (inside the signer certificate's validity). */
  at: Date;
  /** The signed content, for detached signatures. */
  content?: Uint8Array;
}

/** `openssl cms -verify`; resolves with the content OpenSSL recovered, rejects when it does not verify. */
export function opensslCmsVerify(check: CmsCheck): Promise<Buffer> {
  return withDir(async (dir) => {
    const input = join(dir, 'sig');
    const pem = typeof check.cms === 'string';
    await writeFile(input, check.cms);
    const args = ['cms', '-verify', '-binary', '-in', input, '-inform', pem ? 'PEM' : 'DER', '-CAfile', check.caFile, '-partial_chain', '-purpose', 'any'];
    args.push('-attime', String(Math.floor(check.at.getTime() / 1000)));
    if (check.content) {
      const content = join(dir, 'content');
      await writeFile(content, check.content);
      args.push('-content', content);
    }
    const out = join(dir, 'out');
    args.push('-out', out);
    await run('openssl', args);
    return readFile(out);
  });
}

const xmlsecTime = (at: Date) => at.toISOString().slice(0, 19).replace('T', ' ');

/**
 * xmlsec1 --verify with the certificate in the signature's KeyInfo checked up to a trusted root (DER files),
 * at a given time; rejects with xmlsec1's output when anything fails.
 */
export function xmlsecVerifyWithChain(xml: string, chain: { rootDer: string; intermediatesDer: string[] }, at: Date): Promise<string> {
  return withDir(async (dir) => {
    const file = join(dir, 'signed.xml');
    await writeFile(file, xml);
    const untrusted = chain.intermediatesDer.flatMap((f) => ['--untrusted-der', f]);
    const { stdout, stderr } = await run('xmlsec1', ['--verify', '--enabled-reference-uris', 'empty', '--trusted-der', chain.rootDer, ...untrusted, '--verification-time', xmlsecTime(at), file]);
    return `${stdout}${stderr}`;
  });
}

/**
 * For a CA whose root we do not have (NCA's test CA): xmlsec1 checks the signature with the certificate the
 * signature itself carries, and OpenSSL checks that certificate against the CA (trusted as a partial chain).
 */
export function xmlsecVerifyAgainstIssuingCa(xml: string, caFile: string, at: Date): Promise<string> {
  return withDir(async (dir) => {
    const match = /<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/.exec(xml);
    if (!match) throw new Error('the signature carries no certificate');
    const certFile = join(dir, 'signer.pem');
    await writeFile(certFile, `-----BEGIN CERTIFICATE-----\n${(match[1] as string).replace(/\s+/g, '')}\n-----END CERTIFICATE-----\n`);
    await run('openssl', ['verify', '-partial_chain', '-CAfile', caFile, '-attime', String(Math.floor(at.getTime() / 1000)), certFile]);
    const file = join(dir, 'signed.xml');
    await writeFile(file, xml);
    const { stdout, stderr } = await run('xmlsec1', ['--verify', '--enabled-reference-uris', 'empty', '--enabled-key-data', 'rsa', '--pubkey-cert-pem', certFile, file]);
    return `${stdout}${stderr}`;
  });
}
