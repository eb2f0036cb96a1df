/**
 * A minimal HTTP/1.1 reader on the raw connection, beneath node:http, for the one route that answers from memory
 * (OCSP, `../status/ocsp/fast-route.ts`): it reads only the two request shapes that route serves — `GET <path>`
 * and `POST <path>` with a Content-Length — and answers each with ONE socket write of a complete response the
 * route built beforehand. Everything else hands the connection to node:http for the rest of its life.
 *
 * Why by hand: node:http's cost per answer is its own (a CPU profile of a worker answering from memory: our code
 * ≈ 3 %, node:http's JavaScript and its per-response `writev` of headers and body most of the rest; a node:http
 * server answering one fixed buffer costs ≈ 15 µs of CPU per answer, nginx ≈ 10 µs). Node exposes no standalone
 * HTTP parser (llhttp is internal to node:http), and no lighter server API, so the only way under that floor is
 * to read these few bytes ourselves. It is kept deliberately narrow: whatever this reader is not sure of —
 * another method or path, a body it cannot bound, Transfer-Encoding, Expect, Upgrade, a header it cannot read,
 * a bare LF, a missing Host, a request the route does not answer from memory — goes to node:http (llhttp), and
 * so does every later request on that connection, so every existing behaviour (errors, limits, timeouts, the
 * slow path's logging and caps) stays node:http's own.
 *
 * Hand-over happens only at a request boundary, after every answer made so far has been written: the unread
 * bytes are put back (`socket.unshift`) and node:http's own connection listener is given the socket, as if it
 * had just been accepted. So pipelined requests are answered in order whichever side answers them.
 *
 * Bounds: at most `maxHeaderSize` (node:http's) of head and `maxBody` of body is buffered per connection —
 * beyond, the connection is handed over and node:http refuses it as it would. Time: a request still incomplete
 * at two consecutive sweeps (1–2 s) is handed over, and node:http's headersTimeout / requestTimeout then apply
 * from there; a connection with nothing buffered and no bytes for keepAliveTimeout is closed, as node:http closes
 * an idle kept-alive one. An idle connection keeps no buffer.
 */
import { maxHeaderSize, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface FastRequest {
  method: 'GET' | 'POST';
  /** The request target as sent (origin form). */
  target: string;
  /** POST: the body (Content-Length bytes). */
  body: Buffer | undefined;
  /** The If-None-Match header as sent (at most one). */
  ifNoneMatch: string | undefined;
}

export interface FastRoute {
  /** Whether this route may answer the request (read before its headers and body): false hands it over. */
  accepts(method: 'GET' | 'POST', target: string): boolean;
  /** Longest POST body worth reading; a longer Content-Length hands the request over. */
  readonly maxBody: number;
  /**
   * The complete response (status line, headers, `tail`, body) if answered from memory, else undefined (the
   * request goes to node:http). `tail` ends the head — Date, Connection (and Keep-Alive) and the blank line —
   * and is the same string object for a whole second, so a route may keep its response per tail.
   */
  answer(request: FastRequest, tail: string): Buffer | undefined;
  /**
   * For a request answer() left: a promise worth waiting for before asking answer() once more (the OCSP cache's
   * freshness being confirmed), or undefined to hand the request over at once. Meanwhile the connection is not
   * read; what it has sent stays buffered, within the usual bounds.
   */
  wait?(request: FastRequest): Promise<unknown> | undefined;
}

const SWEEP_MS = 1000;
const EMPTY = Buffer.alloc(0);
/** Answers written per pass before checking that the client reads them (bytes). */
const MAX_OUT = 256 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const TARGET = /^[\x21-\x7e]+$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** CTLs other than HT are not allowed in a field value (RFC 9110 §5.5); llhttp refuses them too. */
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const OWS = /^[ \t]+|[ \t]+$/g;

interface Conn {
  socket: Socket;
  /** Bytes of an incomplete request (copied out of the chunk it came in), or undefined. */
  partial: Buffer | undefined;
  /** The sweep count when the current incomplete request began. */
  partialSince: number;
  /** Bytes arrived since the last sweep. */
  active: boolean;
  /** Sweeps passed without a byte. */
  idleSweeps: number;
  /** Not read until route.wait()'s promise settles; `partial` holds the request it is for and what follows. */
  waiting: boolean;
  /** The request at the start of `partial` has been waited for once already: next time it is handed over. */
  waited: boolean;
  /** Not read until the socket drains (the client is not reading its answers). */
  draining: boolean;
  /** The client has finished sending (half-closed) while a wait was on: ended once the answers are out. */
  ended: boolean;
  onData: (chunk: Buffer) => void;
  onEnd: () => void;
  onError: () => void;
  onClose: () => void;
}

/**
 * The fast path of one node:http server: `frontDoorServerFactory` gives it every accepted socket first.
 * `handOver(socket)` runs node:http's own connection listener on it.
 */
export class FastPath {
  readonly #server: Server;
  readonly #route: () => FastRoute | undefined;
  readonly #handOver: (socket: Socket) => void;
  readonly #conns = new Set<Conn>();
  #sweeps = 0;
  #answered = 0;
  #timer: NodeJS.Timeout | undefined;
  #closing = false;
  #tailSecond = -1;
  #tailKeepAlive = '';
  #tailClose = '';

  constructor(server: Server, route: () => FastRoute | undefined, handOver: (socket: Socket) => void) {
    this.#server = server;
    this.#route = route;
    this.#handOver = handOver;
  }

  /** Connections this fast path holds now (tests, operators). */
  get connections(): number {
    return this.#conns.size;
  }

  /** Requests answered here since start (tests, operators: the rest went to node:http). */
  get answered(): number {
    return this.#answered;
  }

  accept(socket: Socket): void {
    if (this.#closing || !this.#route()) {
      this.#handOver(socket);
      return;
    }
    const conn: Conn = {
      socket,
      partial: undefined,
      partialSince: 0,
      active: true,
      idleSweeps: 0,
      waiting: false,
      waited: false,
      draining: false,
      ended: false,
      onData: (chunk) => this.#onData(conn, chunk),
      onEnd: () => {
        if (conn.waiting) conn.ended = true;
        else this.#drop(conn, 'end');
      },
      onError: () => this.#drop(conn, 'destroy'),
      onClose: () => this.#forget(conn),
    };
    socket.on('data', conn.onData);
    socket.on('end', conn.onEnd);
    socket.on('error', conn.onError);
    socket.on('close', conn.onClose);
    this.#conns.add(conn);
    this.#timer ??= setInterval(() => this.#sweep(), SWEEP_MS).unref();
  }

  /** node:http's closeIdleConnections, for the connections still here: none has an answer in progress. */
  closeIdle(): void {
    this.#closing = true;
    for (const conn of [...this.#conns]) {
      if (conn.partial) this.#release(conn, conn.partial);
      else this.#drop(conn, 'destroy');
    }
    this.#stopSweeping();
  }

  closeAll(): void {
    this.#closing = true;
    for (const conn of [...this.#conns]) this.#drop(conn, 'destroy');
    this.#stopSweeping();
  }

  #onData(conn: Conn, chunk: Buffer): void {
    conn.active = true;
    if (conn.waiting) {
      // Paused, but a chunk already on its way still arrives: kept for when the wait is over.
      conn.partial = conn.partial ? Buffer.concat([conn.partial, chunk]) : chunk;
      return;
    }
    const route = this.#route();
    const data = conn.partial ? Buffer.concat([conn.partial, chunk]) : chunk;
    const hadPartial = conn.partial !== undefined;
    conn.partial = undefined;
    if (!route || this.#closing) {
      this.#release(conn, data);
      return;
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let pos = 0;
    let close = false;
    while (pos < data.length) {
      if (outBytes >= MAX_OUT) {
        // Many small requests in one chunk make many large answers: out they go, and if the client is not
        // reading them, the rest waits (unread) for the socket to drain — memory per connection stays bounded.
        this.#write(conn, out.splice(0));
        outBytes = 0;
        if (conn.socket.writableNeedDrain) {
          this.#suspend(conn, data, pos, new Promise((resolve) => conn.socket.once('drain', resolve)), false);
          return;
        }
      }
      const r = this.#one(route, data, pos, conn.waited);
      if (r === 'partial') break;
      if (r === 'handover') {
        this.#write(conn, out);
        this.#release(conn, data.subarray(pos));
        return;
      }
      if (r instanceof Promise) {
        // Answers so far go out; this request and the rest wait, unread beyond what has arrived.
        this.#write(conn, out);
        this.#suspend(conn, data, pos, r, true);
        return;
      }
      out.push(r.response);
      outBytes += r.response.length;
      this.#answered++;
      conn.waited = false;
      pos = r.next;
      if (!r.keepAlive) {
        close = true;
        break;
      }
    }
    this.#write(conn, out);
    if (close) {
      // As node:http does after a response that says Connection: close: whatever else the client sent is not read.
      this.#forget(conn);
      conn.socket.end();
      return;
    }
    if (pos < data.length) {
      // A copy: the rest of the chunk (up to 64 KiB) is not kept for a few bytes.
      conn.partial = Buffer.from(data.subarray(pos));
      if (!hadPartial || pos > 0) conn.partialSince = this.#sweeps;
    }
  }

  /** Stops reading until `until` settles; then the bytes from `pos` on are read again. */
  #suspend(conn: Conn, data: Buffer, pos: number, until: Promise<unknown>, waited: boolean): void {
    conn.partial = Buffer.from(data.subarray(pos));
    conn.partialSince = this.#sweeps;
    conn.waiting = true;
    conn.waited = waited;
    conn.socket.pause();
    const again = () => this.#afterWait(conn);
    until.then(again, again);
  }

  /** The wait is over: the buffered requests are read again (the one waited for is handed over if still unanswered). */
  #afterWait(conn: Conn): void {
    if (!this.#conns.has(conn) || !conn.waiting) return;
    conn.waiting = false;
    this.#onData(conn, EMPTY);
    if (!this.#conns.has(conn) || conn.waiting) return;
    if (conn.ended) this.#drop(conn, 'end');
    else if (!conn.draining) conn.socket.resume();
  }

  /** One request at `pos`: its answer and where the next begins, or that it is incomplete, or not ours. */
  #one(route: FastRoute, data: Buffer, pos: number, waited: boolean): { response: Buffer; next: number; keepAlive: boolean } | Promise<unknown> | 'partial' | 'handover' {
    const maxHead = (this.#server as Server & { maxHeaderSize?: number }).maxHeaderSize ?? maxHeaderSize;
    const headEnd = data.indexOf(CRLFCRLF, pos);
    if (headEnd < 0) {
      const available = data.length - pos;
      if (available > maxHead) return 'handover';
      // The request line alone already says whether it is ours; a bare LF anywhere means another framing.
      const lineEnd = data.indexOf(10, pos);
      if (lineEnd < 0) return 'partial';
      if (lineEnd === pos || data[lineEnd - 1] !== 13) return 'handover';
      const line = requestLine(data.toString('latin1', pos, lineEnd - 1));
      if (!line || !route.accepts(line.method, line.target)) return 'handover';
      for (let i = data.indexOf(10, lineEnd + 1); i >= 0; i = data.indexOf(10, i + 1)) if (data[i - 1] !== 13) return 'handover';
      return 'partial';
    }
    if (headEnd + 4 - pos > maxHead) return 'handover';
    const lines = data.toString('latin1', pos, headEnd).split('\r\n');
    const line = requestLine(lines[0]!);
    if (!line || !route.accepts(line.method, line.target)) return 'handover';
    let host = 0;
    let contentLength: number | undefined;
    let ifNoneMatch: string | undefined;
    let connClose = false;
    let connKeepAlive = false;
    for (let i = 1; i < lines.length; i++) {
      const header = lines[i]!;
      const colon = header.indexOf(':');
      if (colon <= 0) return 'handover';
      const name = header.slice(0, colon);
      const raw = header.slice(colon + 1);
      if (!TOKEN.test(name) || BAD_VALUE.test(raw)) return 'handover';
      const value = raw.replace(OWS, '');
      switch (name.toLowerCase()) {
        case 'host':
          if (++host > 1) return 'handover';
          break;
        case 'content-length':
          if (contentLength !== undefined || !/^\d{1,9}$/.test(value)) return 'handover';
          contentLength = Number(value);
          break;
        case 'if-none-match':
          if (ifNoneMatch !== undefined) return 'handover';
          ifNoneMatch = value;
          break;
        case 'connection':
          for (const token of value.toLowerCase().split(',')) {
            const t = token.replace(OWS, '');
            if (t === 'close') connClose = true;
            else if (t === 'keep-alive') connKeepAlive = true;
            else if (t === 'upgrade') return 'handover';
          }
          break;
        case 'transfer-encoding':
        case 'expect':
        case 'upgrade':
        case 'http2-settings':
          return 'handover';
        default:
          break;
      }
    }
    // node:http answers an HTTP/1.1 request without exactly one Host with 400 (requireHostHeader).
    if (line.http11 && host !== 1) return 'handover';
    const bodyStart = headEnd + 4;
    let body: Buffer | undefined;
    if (line.method === 'GET') {
      if (contentLength) return 'handover';
    } else {
      if (!contentLength || contentLength > route.maxBody) return 'handover';
      if (data.length - bodyStart < contentLength) return 'partial';
      body = data.subarray(bodyStart, bodyStart + contentLength);
    }
    const keepAlive = !connClose && (line.http11 || connKeepAlive);
    const request: FastRequest = { method: line.method, target: line.target, body, ifNoneMatch };
    const response = route.answer(request, this.#tail(keepAlive));
    if (!response) return (!waited && route.wait?.(request)) || 'handover';
    return { response, next: bodyStart + (body?.length ?? 0), keepAlive };
  }

  /** Date, Connection and Keep-Alive as node:http writes them, and the blank line: remade once a second. */
  #tail(keepAlive: boolean): string {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.#tailSecond) {
      const date = `Date: ${new Date(second * 1000).toUTCString()}\r\n`;
      const timeout = this.#server.keepAliveTimeout;
      this.#tailKeepAlive = `${date}Connection: keep-alive\r\n${timeout ? `Keep-Alive: timeout=${Math.floor(timeout / 1000)}\r\n` : ''}\r\n`;
      this.#tailClose = `${date}Connection: close\r\n\r\n`;
      this.#tailSecond = second;
    }
    return keepAlive ? this.#tailKeepAlive : this.#tailClose;
  }

  #write(conn: Conn, out: Buffer[]): void {
    if (out.length === 0) return;
    const socket = conn.socket;
    // Pipelined answers go out as one write, in order. A client that does not read its answers stops being read
    // (as node:http does): at most one chunk's worth of answers waits in memory.
    if (!socket.write(out.length === 1 ? out[0]! : Buffer.concat(out)) && !conn.draining) {
      conn.draining = true;
      socket.pause();
      socket.once('drain', () => {
        conn.draining = false;
        if (this.#conns.has(conn) && !conn.waiting) socket.resume();
      });
    }
  }

  /** Gives the connection, with `unread` put back, to node:http for the rest of its life. */
  #release(conn: Conn, unread: Buffer): void {
    const socket = conn.socket;
    this.#forget(conn);
    if (socket.destroyed) return;
    if (unread.length > 0) socket.unshift(unread);
    // node:http reads from the handle itself and gets the put-back bytes from a 'data' listener: a paused
    // socket would have it read the next packet before them.
    if (socket.isPaused()) socket.resume();
    this.#handOver(socket);
  }

  #drop(conn: Conn, how: 'end' | 'destroy'): void {
    this.#forget(conn);
    if (how === 'end') conn.socket.end();
    else conn.socket.destroy();
  }

  #forget(conn: Conn): void {
    if (!this.#conns.delete(conn)) return;
    const s = conn.socket;
    s.off('data', conn.onData);
    s.off('end', conn.onEnd);
    s.off('error', conn.onError);
    s.off('close', conn.onClose);
    conn.partial = undefined;
    if (this.#conns.size === 0) this.#stopSweeping();
  }

  #stopSweeping(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    const sweeps = ++this.#sweeps;
    const idleMs = idleTimeout(this.#server);
    for (const conn of [...this.#conns]) {
      if (conn.partial) {
        // Incomplete since at least one whole sweep interval: node:http's timeouts take it from here.
        if (sweeps - conn.partialSince >= 2) this.#release(conn, conn.partial);
        continue;
      }
      if (conn.active) {
        conn.active = false;
        conn.idleSweeps = 0;
      } else if (idleMs > 0 && ++conn.idleSweeps * SWEEP_MS >= idleMs && !conn.socket.writableNeedDrain) {
        this.#drop(conn, 'destroy');
      }
    }
  }
}

/** How long node:http would keep a connection with nothing to do: keepAliveTimeout, or the socket timeout if shorter. */
function idleTimeout(server: Server): number {
  const a = server.keepAliveTimeout;
  const b = server.timeout;
  return a > 0 && b > 0 ? Math.min(a, b) : a || b;
}

function requestLine(line: string): { method: 'GET' | 'POST'; target: string; http11: boolean } | undefined {
  const sp1 = line.indexOf(' ');
  const method = line.slice(0, sp1);
  if (method !== 'GET' && method !== 'POST') return undefined;
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp2 < 0) return undefined;
  const version = line.slice(sp2 + 1);
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') return undefined;
  const target = line.slice(sp1 + 1, sp2);
  if (!TARGET.test(target)) return undefined;
  return { method, target, http11: version === 'HTTP/1.1' };
}
