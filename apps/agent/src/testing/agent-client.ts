/**
 * A bare WebSocket client for protocol tests: it sends frames exactly as given and reads replies in order, so
 * tests can send what no well-behaved library would (bad JSON, wrong types, huge frames, foreign origins).
 */
import { WebSocket } from 'ws';

export interface RawAgentConnection {
  /** The first frame the agent sent (the init message, or a refusal). */
  readonly greeting: string;
  /** Sends a frame (objects are JSON-encoded) and resolves with the next frame the agent sends. */
  send(frame: unknown): Promise<string>;
  /** Parsed `send`. */
  call(frame: unknown): Promise<Record<string, unknown>>;
  /** Resolves when the agent closes the connection, with the close code. */
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): void;
  readonly socket: WebSocket;
}

export function connectRaw(url: string, headers: Record<string, string> = {}, wsOptions: { ca?: string | Buffer } = {}): Promise<RawAgentConnection> {
  const socket = new WebSocket(url, { headers, ...wsOptions });
  const inbox: string[] = [];
  const waiting: ((frame: string) => void)[] = [];
  socket.on('message', (data) => {
    const text = (data as Buffer).toString('utf8');
    const next = waiting.shift();
    if (next) next(text);
    else inbox.push(text);
  });
  const nextFrame = () => new Promise<string>((resolve) => (inbox.length > 0 ? resolve(inbox.shift() as string) : waiting.push(resolve)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', async () => {
      const greeting = await nextFrame();
      const send = (frame: unknown) => {
        socket.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? (frame as string) : JSON.stringify(frame));
        return nextFrame();
      };
      resolve({
        greeting,
        send,
        call: async (frame) => JSON.parse(await send(frame)) as Record<string, unknown>,
        closed,
        close: () => socket.close(),
        socket,
      });
    });
  });
}
