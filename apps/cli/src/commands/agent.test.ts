import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import WebSocket from 'ws';
import { repoRoot } from '../../../../test/support/fixtures.ts';

test('qoltanba agent serves NCALayer\'s protocol to an allowed site and refuses another; SIGTERM stops it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'qt-cli-agent-'));
  const child = spawn(process.execPath, [join(repoRoot, 'apps/cli/bin/qoltanba.mjs'), '--json', 'agent', '--port', '0', '--data-dir', dataDir, '--allow-origin', 'https://portal.example.kz'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    while (!out.includes('}')) await once(child.stdout, 'data');
    const { url } = JSON.parse(out) as { url: string };

    const allowed = new WebSocket(url, { origin: 'https://portal.example.kz' });
    const [init] = (await once(allowed, 'message')) as [Buffer];
    assert.ok(JSON.parse(init.toString()).result.version);
    allowed.send('--heartbeat--');
    const [beat] = (await once(allowed, 'message')) as [Buffer];
    assert.equal(beat.toString(), '--heartbeat--');
    allowed.close();

    const foreign = new WebSocket(url, { origin: 'https://evil.example.com' });
    const closed = once(foreign, 'close');
    const [refusal] = (await once(foreign, 'message')) as [Buffer];
    assert.equal(JSON.parse(refusal.toString()).code, '500');
    assert.match(JSON.parse(refusal.toString()).message, /https:\/\/evil\.example\.com is not allowed/);
    assert.equal((await closed)[0], 1008);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
