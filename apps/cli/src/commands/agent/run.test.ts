import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import WebSocket from 'ws';
import { repoRoot } from '../../../../../test/support/fixtures.ts';

test('qoltanba agent serves NCALayer\'s protocol over wss:// and ws://, greets any web site, refuses a client without one; SIGTERM stops it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'qt-cli-agent-'));
  const child = spawn(process.execPath, [join(repoRoot, 'apps/cli/bin/qoltanba.mjs'), '--json', 'agent', '--port', '0', '--data-dir', dataDir, '--allow-origin', 'https://portal.example.kz'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    while (!out.includes('}')) await once(child.stdout, 'data');
    const { url, secureUrl } = JSON.parse(out) as { url: string; secureUrl: string };

    const allowed = new WebSocket(url, { origin: 'https://portal.example.kz' });
    const [init] = (await once(allowed, 'message')) as [Buffer];
    assert.ok(JSON.parse(init.toString()).result.version);
    allowed.send('--heartbeat--');
    const [beat] = (await once(allowed, 'message')) as [Buffer];
    assert.equal(beat.toString(), '--heartbeat--');
    allowed.close();

    // wss:// by default, with the installation's own CA.
    const secure = new WebSocket(secureUrl, { origin: 'https://portal.example.kz', ca: readFileSync(join(dataDir, 'tls', 'ca-cert.pem')) });
    const [hello] = (await once(secure, 'message')) as [Buffer];
    assert.deepEqual(JSON.parse(hello.toString()), { result: { version: '1.4' } });
    secure.close();

    // Another site is greeted like any (it is asked about in the agent's page when it wants something).
    const other = new WebSocket(url, { origin: 'https://evil.example.com' });
    const [greeting] = (await once(other, 'message')) as [Buffer];
    assert.deepEqual(JSON.parse(greeting.toString()), { result: { version: '1.4' } });
    other.close();

    const program = new WebSocket(url);
    const closed = once(program, 'close');
    const [refusal] = (await once(program, 'message')) as [Buffer];
    assert.equal(JSON.parse(refusal.toString()).code, '500');
    assert.equal((await closed)[0], 1008);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
