/**
 * The server side of the admin socket, opened by `qoltanba up` while it holds the embedded database: each
 * connection is one CLI command, run inside the server by `run` (runCli with the server's own store and
 * services) while what it prints streams back. Commands run concurrently as HTTP requests do; a client that
 * disconnects stops receiving output, not the command (every change is one transaction, completed and
 * audited either way). A socket file left by a crashed server (kill -9) is recognised — nobody answers on
 * it — and replaced.
 */
import { chmodSync, lstatSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { QtError } from '@qoltanba/pki';
import { adminDir, adminSocketPath, checkTrusted, withSocketAddress } from './socket-path.ts';
import { encodeFrame, MAX_REQUEST_BYTES, parseRunRequest, PROTOCOL_VERSION, readLines, type RunRequest, type ServerFrame } from './protocol.ts';

export interface AdminIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export interface AdminServeOptions {
  home: string;
  /** Runs one command and resolves to its exit code. */
  run(request: RunRequest, io: AdminIo): Promise<number>;
  log?: { info(message: string): void; warn(message: string): void };
}

export interface AdminServer {
  readonly path: string;
  /** Stops accepting, waits for the commands in progress to finish, removes the socket file. */
  close(): Promise<void>;
}

export async function serveAdmin(options: AdminServeOptions): Promise<AdminServer> {
  const dir = adminDir(options.home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A directory someone else owns (or a symlink put in its place) is refused before anything is created in it.
  const st = lstatSync(dir);
  if (st.isDirectory() && st.uid === process.getuid?.()) chmodSync(dir, 0o700);
  checkTrusted(dir, 'directory');
  const path = adminSocketPath(options.home);
  await removeStaleSocket(path);
  const home = realpathSync(options.home);
  const running = new Set<Promise<void>>();
  // Connections that have not sent their command yet: at shutdown there is nothing of theirs to finish.
  const waiting = new Set<Socket>();
  const server = createServer((socket) => {
    const done: Promise<void> = serveConnection(socket, home, options, waiting).finally(() => running.delete(done));
    running.add(done);
  });
  await withSocketAddress(path, (address) => listen(server, address));
  // The directory is 0700, so nobody else could reach the socket between bind() and this chmod.
  chmodSync(path, 0o600);
  let closing: Promise<void> | undefined;
  return {
    path,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of waiting) socket.destroy();
        await Promise.allSettled([...running]);
        await closed;
        rmSync(path, { force: true });
      })()),
  };
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  checkTrusted(path, 'socket');
  const answered = await withSocketAddress(path, (address) => probe(address));
  if (answered) {
    throw new QtError('QT_ERR_INPUT_INVALID', `Another process already answers on the admin socket ${path}: is a second server running on this data directory?`);
  }
  rmSync(path, { force: true });
}

/** Does anyone accept on this socket? A file left by a dead process refuses the connection at once. */
function probe(address: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(address);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? resolve(false) : reject(e)));
  });
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function send(socket: Socket, frame: ServerFrame): boolean {
  if (socket.destroyed || !socket.writable) return true;
  return socket.write(encodeFrame(frame));
}

async function serveConnection(socket: Socket, home: string, options: AdminServeOptions, waiting: Set<Socket>): Promise<void> {
  // A client that goes away mid-command only stops receiving output; the error must not reach the server.
  socket.on('error', () => undefined);
  send(socket, { t: 'hello', v: PROTOCOL_VERSION, pid: process.pid });
  waiting.add(socket);
  const request = await new Promise<RunRequest | 'bad' | undefined>((resolve) => {
    socket.once('close', () => resolve(undefined));
    readLines(
      socket,
      MAX_REQUEST_BYTES,
      // Later lines are ignored: one connection, one command.
      (line) => resolve(parseRunRequest(line) ?? 'bad'),
      () => resolve('bad'),
    );
  });
  waiting.delete(socket);
  if (request === undefined) return;
  if (request === 'bad') {
    socket.end(encodeFrame({ t: 'refused', error: { code: 'QT_ERR_INPUT_INVALID', message: 'not a request of this version of the admin protocol' } }));
    return;
  }
  if (!sameDirectory(request.home, home)) {
    socket.end(encodeFrame({ t: 'refused', error: { code: 'QT_ERR_INPUT_INVALID', message: `This server holds ${home}, not ${request.home}` } }));
    return;
  }
  const io: AdminIo = { out: frameStream(socket, 'out', request.tty.out, request.tty.columns), err: frameStream(socket, 'err', request.tty.err, request.tty.columns) };
  let code: number;
  try {
    code = await options.run(request, io);
  } catch (e) {
    io.err.write(`internal error: ${(e as Error).message}\n`);
    code = 70;
  }
  await Promise.all([finish(io.out), finish(io.err)]);
  if (socket.destroyed) {
    // Not the arguments: they may hold a person's name and IIN.
    options.log?.info(`admin: a command finished with exit code ${code} after its client had left`);
    return;
  }
  socket.end(encodeFrame({ t: 'exit', code }));
}

function sameDirectory(a: string, b: string): boolean {
  try {
    return realpathSync(a) === b;
  } catch {
    return false;
  }
}

function finish(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}

/**
 * A stream that forwards what a command writes as frames. It says it is a terminal when the client's is,
 * so progress bars draw exactly as they would in-process; it waits while the client reads slowly (or
 * drops the output once the client has gone).
 */
function frameStream(socket: Socket, kind: 'out' | 'err', isTTY: boolean, columns: number | undefined): Writable {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (send(socket, { t: kind, d: chunk.toString('base64') })) return callback();
      const resume = () => {
        socket.off('drain', resume);
        socket.off('close', resume);
        callback();
      };
      socket.on('drain', resume);
      socket.on('close', resume);
    },
  });
  return Object.assign(stream, { isTTY, columns });
}
