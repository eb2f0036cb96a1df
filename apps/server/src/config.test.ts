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
