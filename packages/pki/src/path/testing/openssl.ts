/**
 * TEST SUPPORT ONLY (not exported from the package, so it may use node:*): runs the OpenSSL CLI on temp
 * files, the outside referee for our CRLs, OCSP messages and chain verdicts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  /** Writes a file and returns its path. */
  file(name: string, content: Uint8Array | string): string;
  path(name: string): string;
  read(name: string): Uint8Array;
  remove(): void;
}

export function tempDir(): TempDir {
  const dir = mkdtempSync(join(tmpdir(), 'qoltanba-pki-'));
  return {
    file(name, content) {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    path: (name) => join(dir, name),
    read: (name) => new Uint8Array(readFileSync(join(dir, name))),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs openssl; throws with its stderr when it fails. */
export function openssl(args: string[], input?: Uint8Array): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs openssl and returns its exit status and combined output, for commands expected to fail. */
export function opensslResult(args: string[]): { status: number; output: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** Seconds since the epoch, for `-attime`. */
export function epoch(date: Date): string {
  return String(Math.floor(date.getTime() / 1000));
}
