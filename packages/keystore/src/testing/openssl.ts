/**
 * The openssl command line as an independent second opinion in tests: signatures our code makes must
 * verify with a tool that shares none of our code.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toPem } from '@qoltanba/pki';

export const run = promisify(execFile);

/** `openssl dgst -sha256 -verify` over a DER SPKI; true only on openssl's "Verified OK". */
export async function opensslVerifiesSha256Rsa(spki: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'qoltanba-openssl-'));
  try {
    await writeFile(join(dir, 'key.pem'), toPem('PUBLIC KEY', spki));
    await writeFile(join(dir, 'data'), data);
    await writeFile(join(dir, 'sig'), signature);
    const result = await run('openssl', ['dgst', '-sha256', '-verify', join(dir, 'key.pem'), '-signature', join(dir, 'sig'), join(dir, 'data')]).catch(
      (e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }),
    );
    return result.stdout.trim() === 'Verified OK';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
