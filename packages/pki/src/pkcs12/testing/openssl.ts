/**
 * Test support for the pkcs12/ tests (imports node: modules; not exported from the package): a scratch
 * directory, the outside tools (openssl, keytool) run on files in it, and a small CA + leaf made by
 * openssl so that interop tests start from keys and certificates our code did not produce.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { derFrom, toBytes, type Bytes } from '../../encoding.ts';

export interface Scratch {
  dir: string;
  path(name: string): string;
  write(name: string, data: Uint8Array | string): string;
  read(name: string): Bytes;
  remove(): void;
}

export function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'qt-pkcs12-'));
  const path = (name: string) => join(dir, name);
  return {
    dir,
    path,
    write(name, data) {
      writeFileSync(path(name), data);
      return path(name);
    },
    read: (name) => toBytes(readFileSync(path(name))),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together: `openssl pkcs12 -info` splits its report between them. */
  all: string;
}

/** Runs a tool and returns what it said, whether it succeeded or not. */
export function tool(command: string, args: readonly string[], cwd?: string): ToolResult {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, all: `${r.stdout}\n${r.stderr}` };
}

/** Runs a tool that must succeed. */
export function mustRun(command: string, args: readonly string[], cwd?: string): ToolResult {
  const r = tool(command, args, cwd);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.all}`);
  return r;
}

export interface OpensslPki {
  keyPath: string;
  certPath: string;
  caCertPath: string;
  /** PKCS#8 DER of the leaf key, as openssl writes it. */
  pkcs8: Bytes;
  certificate: Bytes;
  caCertificate: Bytes;
  /** Lowercase hex SKI of the leaf. */
  ski: string;
}

/** A CA and a leaf signed by it, made by openssl; `key` picks the leaf key type. */
export function opensslPki(s: Scratch, key: 'rsa' | 'ec' = 'rsa', prefix = 'leaf'): OpensslPki {
  const keyArgs = key === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  const caKey = s.path(`${prefix}-ca.key`);
  const caCertPath = s.path(`${prefix}-ca.pem`);
  mustRun('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caCertPath, '-subj', '/CN=Qoltanba Test CA', '-days', '2']);
  const keyPath = s.path(`${prefix}.key`);
  const csr = s.path(`${prefix}.csr`);
  mustRun('openssl', ['req', ...keyArgs, '-nodes', '-keyout', keyPath, '-out', csr, '-subj', `/CN=${prefix}/serialNumber=IIN123456789011/C=KZ`]);
  const ext = s.write(`${prefix}.ext`, 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nkeyUsage=critical,digitalSignature,nonRepudiation\n');
  const certPath = s.path(`${prefix}.pem`);
  mustRun('openssl', ['x509', '-req', '-in', csr, '-CA', caCertPath, '-CAkey', caKey, '-CAcreateserial', '-out', certPath, '-days', '1', '-extfile', ext]);
  const text = mustRun('openssl', ['x509', '-in', certPath, '-noout', '-ext', 'subjectKeyIdentifier']).stdout;
  const ski = (text.split('\n')[1] ?? '').trim().replace(/:/g, '').toLowerCase();
  const pkcs8Path = s.path(`${prefix}.pk8`);
  mustRun('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', keyPath, '-outform', 'DER', '-out', pkcs8Path]);
  return {
    keyPath,
    certPath,
    caCertPath,
    pkcs8: s.read(`${prefix}.pk8`),
    certificate: derFrom(readFileSync(certPath, 'utf8'), 'CERTIFICATE'),
    caCertificate: derFrom(readFileSync(caCertPath, 'utf8'), 'CERTIFICATE'),
    ski,
  };
}

/** The DER blocks of one PEM label in openssl's text output (keys or certificates). */
export function pemBlocksIn(text: string, label: string): Bytes[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  return [...text.matchAll(re)].map((m) => derFrom(`-----BEGIN ${label}-----${m[1]}-----END ${label}-----`));
}
