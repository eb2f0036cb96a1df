/**
 * TEST SUPPORT ONLY: a TCP relay to PostgreSQL that a test can stall or cut, to play a network fault on one
 * connection (the OCSP cache's change feed) while everything else reaches the database directly. Stalled, it
 * accepts connections and holds every byte both ways (a half-open link: nothing arrives, nothing fails);
 * cut, it drops every relayed connection at once.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The database URL `through` rewritten to reach the database via this relay. */
  url: string;
  /** Connections relayed so far (opened, including closed ones). */
  readonly connections: number;
  stall(): void;
  resume(): void;
  cut(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(through: string): Promise<TcpProxy> {
  const target = new URL(through);
  const pairs = new Set<[Socket, Socket]>();
  let stalled = false;
  let opened = 0;
  const server: Server = createServer((client) => {
    opened++;
    const upstream = connect({ host: target.hostname, port: Number(target.port || 5432) });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    // Forwarded by hand rather than pipe(): pipe resumes a paused source when the other side drains.
    client.on('data', (d: Buffer) => upstream.write(d));
    upstream.on('data', (d: Buffer) => client.write(d));
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of pair) {
      s.on('error', close);
      s.on('close', close);
      if (stalled) s.pause();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(through);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    get connections() {
      return opened;
    },
    stall() {
      stalled = true;
      for (const pair of pairs) for (const s of pair) s.pause();
    },
    resume() {
      stalled = false;
      for (const pair of pairs) for (const s of pair) s.resume();
    },
    cut() {
      for (const pair of [...pairs]) for (const s of pair) s.destroy();
    },
    async close() {
      for (const pair of [...pairs]) for (const s of pair) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
