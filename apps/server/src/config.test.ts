import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isQtError } from '@qoltanba/pki';
import { loadServerConfig } from './config.ts';

test('ocsp.trustProxy from server.json: addresses and CIDRs are taken, a bad entry fails the start naming it, none is the default', () => {
  const home = mkdtempSync(join(tmpdir(), 'qt-config-'));
  try {
    assert.deepEqual(loadServerConfig({ home, env: {} }).ocsp.trustProxy, []);
    writeFileSync(join(home, 'server.json'), JSON.stringify({ ocsp: { trustProxy: ['10.0.0.5', 'fd00::/64'] } }));
    assert.deepEqual(loadServerConfig({ home, env: {} }).ocsp.trustProxy, ['10.0.0.5', 'fd00::/64']);
    writeFileSync(join(home, 'server.json'), JSON.stringify({ ocsp: { trustProxy: ['haproxy.local'] } }));
    assert.throws(() => loadServerConfig({ home, env: {} }), (e: unknown) => isQtError(e, 'QT_ERR_INPUT_INVALID') && /haproxy\.local/.test((e as Error).message));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('database.poolSize and database.preparedStatements from server.json: taken when whole numbers in range, 0 turns prepared statements off, anything else fails the start naming the key', () => {
  const home = mkdtempSync(join(tmpdir(), 'qt-config-'));
  try {
    assert.deepEqual(loadServerConfig({ home, env: {} }).database, { poolSize: 10, preparedStatements: 100 });
    writeFileSync(join(home, 'server.json'), JSON.stringify({ database: { preparedStatements: 0 } }));
    assert.deepEqual(loadServerConfig({ home, env: {} }).database, { poolSize: 10, preparedStatements: 0 });
    writeFileSync(join(home, 'server.json'), JSON.stringify({ database: { poolSize: 25 } }));
    assert.deepEqual(loadServerConfig({ home, env: {} }).database, { poolSize: 25, preparedStatements: 100 });
    for (const [key, value] of [['poolSize', 0], ['poolSize', 2.5], ['poolSize', '10'], ['preparedStatements', -1], ['preparedStatements', null]] as const) {
      writeFileSync(join(home, 'server.json'), JSON.stringify({ database: { [key]: value } }));
      const refusedWithName = (e: unknown) => isQtError(e, 'QT_ERR_INPUT_INVALID') && e.message.includes(`database.${key}`);
      assert.throws(() => loadServerConfig({ home, env: {} }), refusedWithName);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
