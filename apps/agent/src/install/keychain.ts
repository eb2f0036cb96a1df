/**
 * macOS: the installation's CA in the user's login keychain, trusted for SSL only, with `security` (Safari and
 * Chrome read it; Firefox reads it when `security.enterprise_roots.enabled` is on, its default since 2020).
 * Written to the documented `security` interface; not exercised by the test suite, which runs on Linux.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QtError } from '@qoltanba/pki';
import type { UserPaths } from './paths.ts';

const run = promisify(execFile);

const loginKeychain = (paths: UserPaths) => join(paths.home, 'Library', 'Keychains', 'login.keychain-db');

export async function addToKeychain(paths: UserPaths, caFile: string): Promise<void> {
  try {
    await run('security', ['add-trusted-cert', '-r', 'trustRoot', '-p', 'ssl', '-k', loginKeychain(paths), caFile]);
  } catch (e) {
    throw new QtError('QT_ERR_AGENT_INSTALL', `security add-trusted-cert failed: ${(e as Error).message}`);
  }
}

/** Whether a certificate named like ours is in the login keychain. */
export async function inKeychain(paths: UserPaths): Promise<boolean> {
  return run('security', ['find-certificate', '-c', 'Qoltanba agent local CA', loginKeychain(paths)]).then(() => true, () => false);
}

/** Deletes every certificate named like ours from the login keychain. */
export async function removeFromKeychain(paths: UserPaths): Promise<void> {
  for (let i = 0; i < 8; i++) {
    try {
      await run('security', ['delete-certificate', '-c', 'Qoltanba agent local CA', loginKeychain(paths)]);
    } catch {
      return;
    }
  }
}
