import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { isQtError } from '@qoltanba/pki';
import { VERSION } from '@qoltanba/server';
import { runCli } from '../program.ts';
import { connectToServer, runThroughServer } from './client.ts';
import { serveAdmin } from './serve.ts';
import { adminDir, adminSocketPath } from './socket-path.ts';

const capture = () => {
  const out = new PassThrough();
  const err = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  err.resume();
  return { io: { out, err }, text: () => text };
};

test('a data directory too deep for a Unix socket address still gets its admin socket (through /proc/self/fd)', async () => {
  const base = mkdtempSync(join(tmpdir(), 'qt-admin-deep-'));
  const home = join(base, 'a-data-directory-whose-path-is-long'.repeat(3), 'qoltanba');
  mkdirSync(home, { recursive: true });
  assert.ok(Buffer.byteLength(adminSocketPath(home)) > 108);
  const server = await serveAdmin({ home, run: (request, io) => runCli(request.argv, { out: io.out, err: io.err, cwd: request.cwd }) });
  try {
    const socket = await connectToServer(home);
    assert.ok(socket, 'the running server is found');
    const c = capture();
    assert.equal(await runThroughServer(socket, { argv: ['--version'], cwd: base, home, tty: { out: false, err: false } }, c.io), 0);
    assert.equal(c.text(), `qoltanba ${VERSION}\n`);
  } finally {
    await server.close();
    rmSync(base, { recursive: true, force: true });
  }
});

test('a server that accepts but never answers (stopped, wedged) fails the command instead of hanging it', async () => {
  const home = mkdtempSync(join(tmpdir(), 'qt-admin-wedged-'));
  mkdirSync(adminDir(home), { mode: 0o700 });
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(adminSocketPath(home), resolve));
  chmodSync(adminSocketPath(home), 0o600);
  try {
    const socket = await connectToServer(home);
    assert.ok(socket);
    await assert.rejects(
      runThroughServer(socket, { argv: ['ca', 'list'], cwd: home, home, tty: { out: false, err: false } }, capture().io, { helloTimeoutMs: 300 }),
      (e) => isQtError(e, 'QT_ERR_ADMIN_UNAVAILABLE') && /did not answer/.test(e.message),
    );
    await assert.rejects(serveAdmin({ home, run: async () => 0 }), /Another process already answers on the admin socket/);
  } finally {
    silent.close();
    rmSync(home, { recursive: true, force: true });
  }
});

test('something that is not a socket in its place is neither trusted by the client nor removed by the server', async () => {
  const home = mkdtempSync(join(tmpdir(), 'qt-admin-file-'));
  try {
    mkdirSync(adminDir(home), { mode: 0o700 });
    writeFileSync(adminSocketPath(home), 'not a socket', { mode: 0o600 });
    await assert.rejects(connectToServer(home), (e) => isQtError(e, 'QT_ERR_ADMIN_SOCKET_UNTRUSTED') && /it is not a socket/.test(e.message));
    await assert.rejects(serveAdmin({ home, run: async () => 0 }), (e) => isQtError(e, 'QT_ERR_ADMIN_SOCKET_UNTRUSTED'));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('closing waits for a command in progress but not for a connection that never sent one', async () => {
  const home = mkdtempSync(join(tmpdir(), 'qt-admin-close-'));
  let release!: () => void;
  const busy = new Promise<void>((resolve) => (release = resolve));
  let finished = false;
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const server = await serveAdmin({
    home,
    run: async (_request, io) => {
      started();
      await busy;
      io.out.write('done\n');
      finished = true;
      return 0;
    },
  });
  try {
    const idle = createConnection(adminSocketPath(home));
    await once(idle, 'data'); // greeted, and then silent
    const socket = (await connectToServer(home))!;
    const c = capture();
    const command = runThroughServer(socket, { argv: ['anything'], cwd: home, home, tty: { out: false, err: false } }, c.io);
    await running;
    const closing = server.close();
    release();
    await closing;
    assert.equal(finished, true, 'the command in progress completed before the server closed');
    assert.equal(await command, 0);
    assert.equal(c.text(), 'done\n');
    assert.ok(!existsSync(adminSocketPath(home)));
  } finally {
    release();
    await server.close();
    rmSync(home, { recursive: true, force: true });
  }
});
