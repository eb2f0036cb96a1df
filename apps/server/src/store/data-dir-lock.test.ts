import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isQtError } from '@qoltanba/pki';
import { acquireDataDirLock } from './data-dir-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'qoltanba-lock-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('data dir lock', () => {
  test('records the owner PID and is removed on release', () => {
    const path = join(dir, 'a.lock');
    const lock = acquireDataDirLock(path);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
    lock.release();
    assert.equal(existsSync(path), false);
  });

  test('is refused while a live process holds it, naming that process', () => {
    const path = join(dir, 'b.lock');
    const lock = acquireDataDirLock(path);
    try {
      assert.throws(
        () => acquireDataDirLock(path),
        (e) => isQtError(e, 'QT_ERR_STORE_DATA_DIR_LOCKED') && e.message.includes(`process ${process.pid}`) && e.message.includes(path),
      );
    } finally {
      lock.release();
    }
  });

  test('a lock left by a dead process is taken over', async () => {
    const path = join(dir, 'c.lock');
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.once('exit', resolve));
    writeFileSync(path, JSON.stringify({ pid: child.pid, host: hostname(), token: 'dead', since: new Date().toISOString() }));
    const lock = acquireDataDirLock(path);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
    lock.release();
  });

  test('an unreadable lock file (torn write) counts as stale', () => {
    const path = join(dir, 'd.lock');
    writeFileSync(path, '{"pid": 12');
    const lock = acquireDataDirLock(path);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
    lock.release();
  });

  test('a lock held on another host is never presumed dead', () => {
    const path = join(dir, 'e.lock');
    writeFileSync(path, JSON.stringify({ pid: 1, host: `not-${hostname()}`, token: 'x', since: 'then' }));
    assert.throws(() => acquireDataDirLock(path), (e) => isQtError(e, 'QT_ERR_STORE_DATA_DIR_LOCKED'));
  });

  test('release leaves alone a lock that another owner has since taken over', () => {
    const path = join(dir, 'f.lock');
    const lock = acquireDataDirLock(path);
    const successor = JSON.stringify({ pid: process.pid, host: hostname(), token: 'successor', since: 'now' });
    writeFileSync(path, successor);
    lock.release();
    assert.equal(readFileSync(path, 'utf8'), successor);
  });
});
