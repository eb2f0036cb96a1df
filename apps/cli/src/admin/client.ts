/**
 * The CLI side of the admin socket: find the running server of a data directory (only through a socket
 * and a directory that are this user's own and owner-only), send it the command, and relay what it prints
 * and its exit code. No socket, or one nobody answers on (a server that crashed), means no server runs:
 * the command then runs in this process as usual.
 */
import { lstatSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { QtError, errorCatalog, type QtErrorCode } from '@qoltanba/pki';
import { adminDir, adminSocketPath, checkTrusted, withSocketAddress } from './socket-path.ts';
import { encodeFrame, MAX_FRAME_BYTES, PROTOCOL_VERSION, readLines, type RunRequest, type ServerFrame } from './protocol.ts';

/**
 * How long a connected server may take to greet. It greets on accept, before any work, so only a stopped
 * or wedged server (SIGSTOP, a debugger) takes this long — and then the command fails instead of hanging.
 */
const HELLO_TIMEOUT_MS = 15_000;

/** A connection to the running server of `home`, or undefined when none runs there. */
export async function connectToServer(home: string): Promise<Socket | undefined> {
  const path = adminSocketPath(home);
  try {
    lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'EACCES') {
      throw new QtError('QT_ERR_ADMIN_SOCKET_UNTRUSTED', `The admin directory ${adminDir(home)} belongs to another user: run the command as the user who runs the server`, { path });
    }
    throw e;
  }
  checkTrusted(adminDir(home), 'directory');
  checkTrusted(path, 'socket');
  try {
    return await withSocketAddress(path, connect);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Left behind by a server that did not close (kill -9, power loss): nobody holds the data directory.
    if (code === 'ECONNREFUSED' || code === 'ENOENT') return undefined;
    throw new QtError('QT_ERR_ADMIN_UNAVAILABLE', `The admin socket ${path} cannot be reached: ${(e as Error).message}`, { path });
  }
}

function connect(address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(address);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export interface RelayIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Runs the command in the server at the other end of `socket`; resolves to its exit code. */
export function runThroughServer(socket: Socket, request: Omit<RunRequest, 't' | 'v'>, io: RelayIo, options: { helloTimeoutMs?: number } = {}): Promise<number> {
  const helloTimeoutMs = options.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
  return new Promise<number>((resolve, reject) => {
    let greeted = false;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(helloTimer);
      fn();
      socket.destroy();
    };
    const helloTimer = setTimeout(
      () => settle(() => reject(new QtError('QT_ERR_ADMIN_UNAVAILABLE', `The server did not answer on its admin socket within ${helloTimeoutMs / 1000} s; is it stopped or overloaded?`))),
      helloTimeoutMs,
    );
    const relay = (stream: NodeJS.WritableStream, data: string) => {
      // A slow reader of our output (a pipe to `less`) slows the server's writes instead of filling memory.
      if (!stream.write(Buffer.from(data, 'base64'))) {
        socket.pause();
        stream.once('drain', () => socket.resume());
      }
    };
    socket.on('error', (e) => settle(() => reject(new QtError('QT_ERR_ADMIN_UNAVAILABLE', `The connection to the server broke: ${e.message}`))));
    socket.on('close', () =>
      settle(() =>
        reject(
          new QtError(
            'QT_ERR_ADMIN_UNAVAILABLE',
            greeted
              ? 'The server closed the admin connection before the command finished (was it stopped?); check `qoltanba audit verify` and the server log for what it did'
              : 'The server closed the admin connection without answering',
          ),
        ),
      ),
    );
    readLines(
      socket,
      MAX_FRAME_BYTES,
      (line) => {
        let frame: ServerFrame;
        try {
          frame = JSON.parse(line) as ServerFrame;
        } catch {
          settle(() => reject(new QtError('QT_ERR_ADMIN_UNAVAILABLE', 'The server sent something that is not the admin protocol')));
          return;
        }
        switch (frame.t) {
          case 'hello':
            if (frame.v !== PROTOCOL_VERSION) {
              settle(() => reject(new QtError('QT_ERR_ADMIN_UNAVAILABLE', `The running server speaks admin protocol ${frame.v}, this command ${PROTOCOL_VERSION}: run the same version of qoltanba as the server`)));
              return;
            }
            greeted = true;
            clearTimeout(helloTimer);
            socket.write(encodeFrame({ t: 'run', v: PROTOCOL_VERSION, ...request }));
            return;
          case 'out':
            relay(io.out, frame.d);
            return;
          case 'err':
            relay(io.err, frame.d);
            return;
          case 'exit':
            settle(() => resolve(frame.code));
            return;
          case 'refused': {
            const code = (Object.hasOwn(errorCatalog, frame.error.code) ? frame.error.code : 'QT_ERR_ADMIN_UNAVAILABLE') as QtErrorCode;
            settle(() => reject(new QtError(code, frame.error.message)));
            return;
          }
        }
      },
      () => settle(() => reject(new QtError('QT_ERR_ADMIN_UNAVAILABLE', 'The server sent an oversized frame'))),
    );
  });
}
