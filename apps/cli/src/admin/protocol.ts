/**
 * The admin socket's conversation, one JSON object per line. The server greets (`hello`) as soon as it
 * accepts; the client sends one `run` (its argv, its working directory, its data directory, whether its
 * stdout/stderr are terminals); the server streams what the command prints (`out`/`err`, base64 so any
 * bytes pass) and ends with `exit` and the exit code — or with `refused` when it will not run the request.
 */
import type { Socket } from 'node:net';

export const PROTOCOL_VERSION = 1;
/** A request is argv and a few paths; anything near this size is not one. */
export const MAX_REQUEST_BYTES = 1 << 20;
/** A frame of output is at most a chunk of a write; the bound protects the client from a runaway line. */
export const MAX_FRAME_BYTES = 64 << 20;

export interface TtyInfo {
  out: boolean;
  err: boolean;
  columns?: number | undefined;
}

export interface RunRequest {
  t: 'run';
  v: number;
  argv: string[];
  cwd: string;
  home: string;
  tty: TtyInfo;
}

export type ServerFrame =
  | { t: 'hello'; v: number; pid: number }
  | { t: 'out' | 'err'; d: string }
  | { t: 'exit'; code: number }
  | { t: 'refused'; error: { code: string; message: string } };

export function encodeFrame(frame: ServerFrame | RunRequest): string {
  return JSON.stringify(frame) + '\n';
}

/** A request as received: anything that is not exactly this shape is refused. */
export function parseRunRequest(line: string): RunRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Partial<RunRequest>;
  const tty = r.tty as Partial<TtyInfo> | undefined;
  const ok =
    r.t === 'run' &&
    r.v === PROTOCOL_VERSION &&
    Array.isArray(r.argv) &&
    r.argv.every((a) => typeof a === 'string') &&
    typeof r.cwd === 'string' &&
    r.cwd.startsWith('/') &&
    typeof r.home === 'string' &&
    r.home.startsWith('/') &&
    typeof tty === 'object' &&
    tty !== null &&
    typeof tty.out === 'boolean' &&
    typeof tty.err === 'boolean' &&
    (tty.columns === undefined || (Number.isInteger(tty.columns) && tty.columns > 0 && tty.columns < 10_000));
  return ok ? (r as RunRequest) : undefined;
}

/**
 * Calls `onLine` for each complete line read from the socket (bounded by `maxBytes`; a longer one calls
 * `onOverflow` and stops reading). Hand-written: node:readline has no line-length bound.
 */
export function readLines(socket: Socket, maxBytes: number, onLine: (line: string) => void, onOverflow: () => void): void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const onData = (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      const line = Buffer.concat(pending).toString('utf8');
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
      onLine(line);
      if (socket.destroyed) return;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxBytes) {
        socket.off('data', onData);
        onOverflow();
      }
    }
  };
  socket.on('data', onData);
}
