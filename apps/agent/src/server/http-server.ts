/**
 * The agent's single listening socket on 127.0.0.1: WebSocket upgrades for the NCALayer protocol and the
 * consent pages share it. With TLS configured the same port speaks both ws:// and wss:// — the first byte of
 * a connection tells a TLS ClientHello (0x16) from plain HTTP — because sites use either URL.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { reply } from '../protocol/envelope.ts';
import { AGENT_HOST, hostAllowed, normalizeOrigin, PAGE_SECURITY_HEADERS } from './security.ts';

export interface AgentServerOptions {
  port: number;
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Largest WebSocket message accepted; larger ones close the connection with 1009. */
  maxPayload: number;
  /** Open WebSockets at once; more are refused with HTTP 503. */
  maxConnections: number;
  onConnection(ws: WebSocket, origin: string): void;
  /** Serves an HTTP request (the consent pages); returns false when the path is unknown. */
  onHttp(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  onRefused(event: { reason: 'host' | 'origin' | 'capacity'; origin?: string; host?: string }): void;
}

export interface RunningServer {
  readonly port: number;
  readonly secure: boolean;
  close(): Promise<void>;
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

export async function startServer(options: AgentServerOptions): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  let port = options.port;
  // perMessageDeflate stays off: a compressed frame could inflate far beyond maxPayload's intent.
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload, perMessageDeflate: false });

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req.headers.host, port)) {
      options.onRefused({ reason: 'host', host: req.headers.host });
      res.writeHead(421, { ...PAGE_SECURITY_HEADERS, 'Content-Type': 'text/plain' }).end('Misdirected request');
      return;
    }
    options.onHttp(req, res).then(
      (handled) => {
        if (!handled) res.writeHead(404, { ...PAGE_SECURITY_HEADERS, 'Content-Type': 'text/plain' }).end('Not found');
      },
      () => {
        if (!res.headersSent) res.writeHead(500, { ...PAGE_SECURITY_HEADERS, 'Content-Type': 'text/plain' });
        res.end('Internal error');
      },
    );
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    if (!hostAllowed(req.headers.host, port)) {
      options.onRefused({ reason: 'host', host: req.headers.host });
      refuseUpgrade(socket, 403, 'Forbidden host');
      return;
    }
    if (wss.clients.size >= options.maxConnections) {
      options.onRefused({ reason: 'capacity' });
      refuseUpgrade(socket, 503, 'Too many connections');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const origin = req.headers.origin;
      const site = origin === undefined ? undefined : normalizeOrigin(origin);
      if (!site) {
        // Any web site may connect (whether it may use the keys is asked per site), but a client without a web
        // origin (a program, a file:// page, a sandboxed frame) has no address the person could judge.
        // Completing the handshake lets us say why in NCALayer's shape instead of a bare failed connection.
        options.onRefused({ reason: 'origin', origin });
        ws.on('error', () => {});
        ws.send(JSON.stringify(reply.commonError(`The page ${origin ?? '(no origin)'} has no web address the signing agent could show to you`)));
        ws.close(1008, 'No web origin');
        return;
      }
      options.onConnection(ws, site);
    });
  };

  const http = createHttpServer(onRequest);
  http.on('upgrade', onUpgrade);
  http.on('clientError', (_e, socket) => socket.destroy());
  const servers: Server[] = [http];
  let listener: Server = http;
  if (options.tls) {
    const https = createHttpsServer({ key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' }, onRequest);
    https.on('upgrade', onUpgrade);
    https.on('clientError', (_e, socket) => socket.destroy());
    https.on('tlsClientError', (_e, socket) => socket.destroy());
    servers.push(https);
    listener = createNetServer((socket) => {
      socket.once('data', (first: Buffer) => {
        socket.pause();
        socket.unshift(first);
        (first[0] === 0x16 ? https : http).emit('connection', socket);
        process.nextTick(() => socket.resume());
      });
      socket.on('error', () => socket.destroy());
    }) as unknown as Server;
  }
  listener.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ port: options.port, host: AGENT_HOST, exclusive: true }, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const address = listener.address();
  port = typeof address === 'object' && address ? address.port : options.port;

  return {
    port,
    secure: options.tls !== undefined,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        listener.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      for (const s of servers) if (s !== listener) s.close();
    },
  };
}
