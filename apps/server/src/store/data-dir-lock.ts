/**
 * One owner per embedded data directory. PGlite writes no postmaster.pid of its own, so two processes
 * opening the same pgdata would both run recovery and write pages, corrupting it. The lock is a file
 * created with O_EXCL holding the owner's PID; a lock whose PID is no longer alive (a crash, kill -9)
 * is taken over, because refusing forever after a crash would need a human for no reason.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { QtError } from '@qoltanba/pki';

interface LockContent {
  pid: number;
  host: string;
  token: string;
  since: string;
}

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

export function acquireDataDirLock(lockPath: string): DataDirLock {
  const mine: LockContent = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  if (!tryCreate(lockPath, mine)) {
    const holder = readLock(lockPath);
    if (holder && isAlive(holder)) throw lockedError(lockPath, holder);
    takeOverStale(lockPath, holder);
    if (!tryCreate(lockPath, mine)) throw lockedError(lockPath, readLock(lockPath));
  }
  let released = false;
  return {
    path: lockPath,
    release() {
      if (released) return;
      released = true;
      // Only remove the file if it is still ours; a takeover after we were presumed dead must survive.
      if (readLock(lockPath)?.token === mine.token) unlinkSync(lockPath);
    },
  };
}

function tryCreate(lockPath: string, content: LockContent): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, JSON.stringify(content));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readLock(lockPath: string): LockContent | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(lockPath, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && Number.isInteger((parsed as LockContent).pid)) return parsed as LockContent;
    // A half-written or foreign file: treat as not held by any live process.
    return undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
}

function isAlive(holder: LockContent): boolean {
  // A PID from another machine (shared network directory) cannot be probed; assume it is alive.
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves the stale lock aside under a unique name, then checks that what was moved is the stale lock we
 * judged. If another starter took over in between, we moved *its* live lock: put it back and give up.
 */
function takeOverStale(lockPath: string, judged: LockContent | undefined): void {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = readLock(aside);
  if (moved?.token !== judged?.token) {
    try {
      linkSync(aside, lockPath);
    } finally {
      unlinkSync(aside);
    }
    throw lockedError(lockPath, moved);
  }
  unlinkSync(aside);
}

function lockedError(lockPath: string, holder: LockContent | undefined): QtError {
  const who = holder ? `process ${holder.pid} on ${holder.host} (since ${holder.since})` : 'another process';
  return new QtError(
    'QT_ERR_STORE_DATA_DIR_LOCKED',
    `The embedded database is in use by ${who}. Stop that process first; if it is not a Qoltanba process, delete ${lockPath}.`,
    { lockPath, pid: holder?.pid },
  );
}
