/**
 * A throwaway certificate authority made with the openssl command line, standing in for the portal's CA in
 * key-issuance tests: it issues NCA-profile AUTH and SIGN certificates for the agent's CSRs, independently of
 * our own pki code.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const EXTENSIONS = {
  AUTH: 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth,1.2.398.3.3.4.1.1\n',
  SIGN: 'keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection,1.2.398.3.3.4.1.1\n',
};

export interface OpensslCa {
  readonly dir: string;
  readonly certificateFile: string;
  readonly certificatePem: string;
  /** Issues a certificate (PEM) for a PKCS#10 request; the subject is taken from the request. */
  issue(csrPem: string, kind: 'AUTH' | 'SIGN'): Promise<string>;
  dispose(): Promise<void>;
}

export async function createOpensslCa(): Promise<OpensslCa> {
  const dir = await mkdtemp(join(tmpdir(), 'qoltanba-openssl-ca-'));
  const key = join(dir, 'ca.key');
  const certificateFile = join(dir, 'ca.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', certificateFile, '-days', '30', '-subj', '/C=KZ/CN=Qoltanba TEST CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  let serial = 0;
  return {
    dir,
    certificateFile,
    certificatePem: await readFile(certificateFile, 'utf8'),
    async issue(csrPem, kind) {
      const n = ++serial;
      const csr = join(dir, `req-${n}.pem`);
      const ext = join(dir, `ext-${n}.cnf`);
      const out = join(dir, `cert-${n}.pem`);
      await writeFile(csr, csrPem);
      await writeFile(ext, `${EXTENSIONS[kind]}subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nbasicConstraints=critical,CA:FALSE\n`);
      await run('openssl', ['x509', '-req', '-in', csr, '-CA', certificateFile, '-CAkey', key, '-set_serial', `0x${(Date.now() * 100 + n).toString(16)}`, '-days', '365', '-sha256', '-extfile', ext, '-out', out]);
      return readFile(out, 'utf8');
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
