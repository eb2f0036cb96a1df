/**
 * Where the admin socket lives: `<data directory>/admin/admin.sock`, in a directory of its own that only
 * the server's user may enter (0700), the socket itself 0600. Both sides check that, so a command is never
 * sent to — and a server never listens for — anyone but the owner of the data directory.
 */
import { closeSync, lstatSync, openSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { QtError } from '@qoltanba/pki';

export function adminDir(home: string): string {
  return join(home, 'admin');
}

export function adminSocketPath(home: string): string {
  return join(adminDir(home), 'admin.sock');
}

/** sun_path holds 108 bytes with its NUL; stay clear of the edge. */
const MAX_DIRECT_PATH = 100;

/**
 * Runs `fn` with an address for the socket at `path`. A deep data directory would make the path too long
 * for a Unix socket address, so on Linux it is reached through an open descriptor of its directory
 * (`/proc/self/fd/N/admin.sock`): the kernel resolves that to the same file, permissions included.
 */
export async function withSocketAddress<T>(path: string, fn: (address: string) => Promise<T>): Promise<T> {
  if (Buffer.byteLength(path) <= MAX_DIRECT_PATH) return fn(path);
  if (process.platform !== 'linux') {
    throw new QtError('QT_ERR_INPUT_INVALID', `The data directory's path is too long for its admin socket (${path}); use a shorter data directory`);
  }
  const fd = openSync(dirname(path), 'r');
  try {
    return await fn(`/proc/self/fd/${fd}/${basename(path)}`);
  } finally {
    closeSync(fd);
  }
}

/** Why this file or directory must not be trusted as the admin socket (or its directory), or undefined when it may. */
export function untrustedBecause(st: Stats, kind: 'socket' | 'directory'): string | undefined {
  const uid = process.getuid?.();
  if (kind === 'socket' && !st.isSocket()) return 'it is not a socket';
  if (kind === 'directory' && !st.isDirectory()) return 'it is not a directory';
  if (uid !== undefined && st.uid !== uid) return `it belongs to user id ${st.uid}, not to this user (${uid})`;
  if ((st.mode & 0o077) !== 0) return `other users have access to it (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`;
  return undefined;
}

export function checkTrusted(path: string, kind: 'socket' | 'directory'): void {
  const why = untrustedBecause(lstatSync(path), kind);
  if (why) {
    throw new QtError('QT_ERR_ADMIN_SOCKET_UNTRUSTED', `The admin ${kind} ${path} is not owner-only: ${why}. Run the command as the user who runs the server, and let only that user reach ${dirname(path)}`, { path });
  }
}
