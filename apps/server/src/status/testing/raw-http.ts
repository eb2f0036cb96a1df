/**
 * TEST SUPPORT ONLY: a raw HTTP/1.1 client connection for tests that must control exactly which bytes go out in
 * which packet (split, dribbled, pipelined requests), and read the responses back in order.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The status line and header lines as sent, in order. */
  head: string[];
}

/** A kept-alive connection that reads HTTP/1.1 responses (Content-Length framed, as ours all are) in order. */
export class RawConnection {
  readonly #socket: Socket;
  #buffered = Buffer.alloc(0);
  #waiting: (() => void) | undefined;
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, d]);
      this.#waiting?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#waiting?.();
    });
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes these bytes as one write() (one packet on loopback, with Nagle off), then lets the loop turn. */
  async send(bytes: Buffer | string, pauseMs = 15): Promise<void> {
    await new Promise<void>((resolve, reject) => this.#socket.write(bytes, (e) => (e ? reject(e) : resolve())));
    await new Promise((r) => setTimeout(r, pauseMs));
  }

  /** The next complete response; fails if the server closes the connection first. */
  async response(): Promise<RawResponse> {
    for (;;) {
      const parsed = this.#take();
      if (parsed) return parsed;
      if (this.#closed) throw new Error(`the server closed the connection; unread: ${this.#buffered.toString('latin1').slice(0, 200)}`);
      await new Promise<void>((resolve) => (this.#waiting = resolve));
      this.#waiting = undefined;
    }
  }

  /** Nothing more arrived than what was read (no stray or duplicated response). */
  get unread(): number {
    return this.#buffered.length;
  }

  /** Whether the server has closed the connection (waits up to `ms` for it). */
  async closedWithin(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (!this.#closed && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return this.#closed;
  }

  close(): void {
    this.#socket.destroy();
  }

  #take(): RawResponse | undefined {
    const end = this.#buffered.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const head = this.#buffered.subarray(0, end).toString('latin1').split('\r\n');
    const [statusLine = '', ...lines] = head;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.#buffered.length < end + 4 + length) return undefined;
    const body = this.#buffered.subarray(end + 4, end + 4 + length);
    this.#buffered = this.#buffered.subarray(end + 4 + length);
    return { status: Number(statusLine.split(' ')[1]), headers, body: Buffer.from(body), head };
  }
}
