/**
 * Key files for tests, made with the openssl command line and issued by an openssl CA (openssl-ca.ts):
 * RSA-2048 keys with NCA-profile AUTH or SIGN certificates valid from now, packed as PKCS#12 the way any
 * other software would — independent of our own pki code, and valid by the real clock (time-stamps need it).
 */
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { OpensslCa } from './openssl-ca.ts';

const run = promisify(execFile);

export interface TestKeyFile {
  /** Full path of the .p12 file. */
  path: string;
  fileName: string;
  /** The certificate, PEM. */
  certificatePem: string;
}

export async function makeKeyFile(
  ca: OpensslCa,
  dir: string,
  options: { kind: 'AUTH' | 'SIGN'; name: string; iin: string; password: string },
): Promise<TestKeyFile> {
  const stem = `${options.kind}-${options.iin}`;
  const key = join(ca.dir, `${stem}.key`);
  const csr = join(ca.dir, `${stem}.csr`);
  const subject = `/CN=${options.name}/serialNumber=IIN${options.iin}/C=KZ`;
  await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject, '-utf8']);
  const certificatePem = await ca.issue(await readFile(csr, 'utf8'), options.kind);
  const certFile = join(ca.dir, `${stem}.pem`);
  await writeFile(certFile, certificatePem);
  const fileName = `${options.kind === 'AUTH' ? 'AUTH_RSA256' : 'RSA256'}_${options.iin}.p12`;
  const path = join(dir, fileName);
  await run('openssl', ['pkcs12', '-export', '-inkey', key, '-in', certFile, '-certfile', ca.certificateFile, '-name', stem, '-passout', `pass:${options.password}`, '-out', path]);
  await rm(key);
  return { path, fileName, certificatePem };
}
