/**
 * Plain node:http handlers in front of Fastify, for the few paths where Fastify's per-request work (routing,
 * hooks, the request logger, reply serialisation) is most of the cost: OCSP answered from memory. Measured on the
 * 2-core build host with wrk, 16 connections, a 1.5 KB body from memory: node:http 47 k responses/s; Fastify
 * 41 k/s without its logger and 24 k/s with the request logger at `info` as `qoltanba up` runs it. bench/ocsp.ts
 * measures it in every run (our responder with and without the front door; bench/README.md has the last figures).
 *
 * A front route sees every request first and either serves it completely or returns false, and the request goes
 * to Fastify as usual. It may also say what to answer for URLs of its own that Fastify cannot even route (broken
 * percent-encoding), which Fastify reports through frameworkErrors — the only place such a request reaches.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { FastPath, type FastRoute } from './fast-path.ts';

export interface FrontReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface FrontRoute {
  /** Serves the request and returns true, or returns false to leave it to Fastify. */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
  /** The answer for a URL of this route that Fastify could not read, if the route owns the URL. */
  unreadableUrl?(url: string): FrontReply | undefined;
}

export class FrontDoor {
  readonly #routes: FrontRoute[] = [];
  /** The raw-connection reader's route (fast-path.ts), beneath node:http: at most one. */
  fastRoute: FastRoute | undefined;

  add(route: FrontRoute): void {
    this.#routes.push(route);
  }

  serve(req: IncomingMessage, res: ServerResponse): boolean {
    for (const route of this.#routes) if (route.serve(req, res)) return true;
    return false;
  }

  unreadableUrl(url: string): FrontReply | undefined {
    for (const route of this.#routes) {
      const reply = route.unreadableUrl?.(url);
      if (reply) return reply;
    }
    return undefined;
  }
}

const DECORATION = 'qoltanbaFrontDoor';

/** Fastify's serverFactory: our node:http server, asking the front door before Fastify's own handler. */
export function frontDoorServerFactory(door: FrontDoor): NonNullable<FastifyServerOptions['serverFactory']> {
  return (handler, options) => {
    const server: Server = createServer((req, res) => {
      if (!door.serve(req, res)) handler(req, res);
    });
    installFastPath(server, door);
    // What Fastify does to the server it makes itself (lib/server.js), so behaviour does not change.
    const o = options as { keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number; maxRequestsPerSocket?: number };
    if (o.keepAliveTimeout !== undefined) server.keepAliveTimeout = o.keepAliveTimeout;
    if (o.requestTimeout !== undefined) server.requestTimeout = o.requestTimeout;
    if (o.connectionTimeout !== undefined) server.setTimeout(o.connectionTimeout);
    if (o.maxRequestsPerSocket) server.maxRequestsPerSocket = o.maxRequestsPerSocket;
    return server;
  };
}

/**
 * Every accepted connection meets the fast path (fast-path.ts) first; what it does not answer it hands to
 * node:http's own connection listener — the one `createServer` installed, called as `emit('connection')` would
 * (that event now reaches the fast path). Fastify's close (closeIdleConnections / closeAllConnections) reaches
 * the connections the fast path still holds too, so a kept-alive idle one does not hold the close up.
 */
export function installFastPath(server: Server, door: FrontDoor): FastPath {
  const nodeListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  const handOver = (socket: Socket) => {
    for (const listener of nodeListeners) listener.call(server, socket);
  };
  const fast = new FastPath(server, () => door.fastRoute, handOver);
  server.on('connection', (socket: Socket) => fast.accept(socket));
  const closeIdle = server.closeIdleConnections.bind(server);
  const closeAll = server.closeAllConnections.bind(server);
  server.closeIdleConnections = () => {
    fast.closeIdle();
    closeIdle();
  };
  server.closeAllConnections = () => {
    fast.closeAll();
    closeAll();
  };
  (server as Server & { [FAST_PATH]?: FastPath })[FAST_PATH] = fast;
  return fast;
}

const FAST_PATH = Symbol('qoltanba.fastPath');

/** The server's fast path (tests: how many connections it holds). */
export function fastPathOf(server: Server): FastPath | undefined {
  return (server as Server & { [FAST_PATH]?: FastPath })[FAST_PATH];
}

export function attachFrontDoor(app: FastifyInstance, door: FrontDoor): void {
  app.decorate(DECORATION, door);
}

/** The app's front door (also from inside an encapsulated plugin), if it was made by createHttpApp. */
export function frontDoorOf(app: FastifyInstance): FrontDoor | undefined {
  const door = (app as unknown as Record<string, unknown>)[DECORATION];
  return door instanceof FrontDoor ? door : undefined;
}
