/**
 * TEST AND BENCH SUPPORT ONLY: CSRs made by `openssl req` (the outside world's tool, not our createCsr)
 * and `openssl verify` as the referee for what we issue. Asynchronous: the server under test runs in the
 * same process and must keep answering while openssl works.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function run(cmd: string, args: string[], input?: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export interface OpensslCsr {
  pem: string;
  keyPem: string;
}

export interface CsrOptions {
  bits?: number;
  /** What the requester claims; the CA must ignore it. */
  subject?: string;
  /** -addext values, e.g. 'basicConstraints=critical,CA:TRUE'. */
  addext?: string[];
  /** An existing private key (PEM) to request for again. */
  keyPem?: string;
}

export async function opensslCsr(options: CsrOptions = {}): Promise<OpensslCsr> {
  const dir = mkdtempSync(join(tmpdir(), 'qt-csr-'));
  try {
    const keyFile = join(dir, 'key.pem');
    if (options.keyPem) writeFileSync(keyFile, options.keyPem);
    const keyArgs = options.keyPem ? ['-key', keyFile] : ['-newkey', `rsa:${options.bits ?? 2048}`, '-nodes', '-keyout', keyFile];
    const args = ['req', '-new', ...keyArgs, '-subj', options.subject ?? '/CN=WHATEVER THE REQUESTER CLAIMS/C=KZ', '-sha256'];
    for (const ext of options.addext ?? []) args.push('-addext', ext);
    const r = await run('openssl', args);
    if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
    return { pem: r.stdout, keyPem: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl verify` of a leaf against the root (trusted) and the issuing CA (untrusted intermediate). */
export async function opensslVerify(leafPem: string, rootFile: string, issuingFile: string): Promise<{ ok: boolean; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'qt-verify-'));
  try {
    const leaf = join(dir, 'leaf.pem');
    writeFileSync(leaf, leafPem);
    const r = await run('openssl', ['verify', '-x509_strict', '-CAfile', rootFile, '-untrusted', issuingFile, leaf]);
    return { ok: r.status === 0 && /: OK\s*$/.test(r.stdout), output: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
