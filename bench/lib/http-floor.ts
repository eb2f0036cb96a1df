/**
 * BENCH SUPPORT: the floor for any node:http responder on this machine — N node:cluster workers answering every
 * request with one fixed 1.6 KB body and precomputed headers (as `qoltanba up --workers N` shares its port), no
 * routing, no lookup. bench/ocsp.ts runs it in the same run as ours and nginx: what node:http itself costs, and
 * the p99 that the scheduler leaves when wrk shares the cores.
 *
 *   node bench/lib/http-floor.ts '{"workers":2}'     → one JSON line {"port":…, "pids":[…]}; SIGTERM stops it
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';

const { workers } = JSON.parse(process.argv[2] ?? '{"workers":1}') as { workers: number };

if (cluster.isPrimary) {
  const ready: Promise<number>[] = Array.from({ length: workers }, () => {
    const w = cluster.fork();
    return new Promise((resolve) => w.on('message', (m: { port: number }) => resolve(m.port)));
  });
  const [port] = await Promise.all(ready);
  process.stdout.write(`${JSON.stringify({ port, pids: Object.values(cluster.workers ?? {}).map((w) => w!.process.pid) })}\n`);
  process.once('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w!.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const body = Buffer.alloc(1600, 0x30);
  const headers = ['content-type', 'application/ocsp-response', 'cache-control', 'no-store', 'content-length', String(body.length)];
  const server = createServer((_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  });
  // Port 0 in every worker: node:cluster gives them all the one port the first got.
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
}
