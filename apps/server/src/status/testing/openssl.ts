/**
 * TEST SUPPORT ONLY: the openssl CLI as the outside referee, run asynchronously — the server under test
 * lives in the same process, so a synchronous child would block the very event loop that must answer it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslResult {
  status: number;
  output: string;
}

export function openssl(args: string[]): Promise<OpensslResult> {
  return new Promise((resolve) => {
    execFile('openssl', args, { encoding: 'utf8', maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ status, output: `${stdout}${stderr}` });
    });
  });
}

export interface TempDir {
  file(name: string, content: Uint8Array | string): string;
  path(name: string): string;
  read(name: string): Buffer;
  remove(): void;
}

export function tempDir(): TempDir {
  const dir = mkdtempSync(join(tmpdir(), 'qt-status-'));
  return {
    file(name, content) {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    path: (name) => join(dir, name),
    read: (name) => readFileSync(join(dir, name)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
